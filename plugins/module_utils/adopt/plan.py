# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The takeover plan of a hand-run installation: per foreign container that holds a catalog
container name, the managed unit that replaces it, its image against the catalog's, where its data
lives and how the unit will mount it; the database owner roles found against the catalog's.

Pure: it reads what discovery found (unmanaged holders) and what the engine's inspect and the
database server answered, and returns data. playbooks/adopt.yml prints it, records the volume and
owner choices in the inventory and takes over with compose_projects' takeover.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import LAYERS
from ansible_collections.korczewski.platform.plugins.module_utils.compose.takeover import DEFAULT_NETWORKS


def _catalog_containers(catalog):
    """{container name: (service, environment object, container object)}."""
    found = {}
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                found[cont.name] = (svc, env, cont)
    return found


def _mount_plan(cont, mounts):
    """(rows, adopted {catalog volume: source}) for one container's mounts against the catalog's volumes."""
    by_destination = dict((m.get("Destination"), m) for m in mounts or [])
    rows = []
    adopted = {}
    for vol in cont.volumes:
        mount = by_destination.pop(vol["path"], None)
        row = {"mount_point": vol["path"], "catalog_volume": vol["name"]}
        if mount is None:
            row.update(found=None, plan="nothing is mounted there: the unit starts with a new, empty volume %s" % vol["source"])
        elif mount.get("Type") == "volume":
            row.update(found="volume %s" % mount.get("Name"))
            if mount.get("Name") == vol["source"]:
                row["plan"] = "the unit mounts the same volume %s" % vol["source"]
            else:
                row["plan"] = "the unit mounts volume %s in place (external, never removed)" % mount.get("Name")
                adopted[vol["name"]] = {"external": mount.get("Name")}
        elif mount.get("Type") == "bind":
            row.update(found="host directory %s" % mount.get("Source"))
            if vol["kind"] == "directory" and vol["source"] == mount.get("Source"):
                row["plan"] = "the unit mounts the same host directory %s" % vol["source"]
            else:
                row["plan"] = "the unit mounts host directory %s in place" % mount.get("Source")
                adopted[vol["name"]] = {"host_path": mount.get("Source")}
        else:
            row.update(found="%s mount" % mount.get("Type"),
                       plan="a %s mount cannot be kept: the unit starts with a new, empty volume %s"
                       % (mount.get("Type"), vol["source"]))
        rows.append(row)
    for destination, mount in sorted(by_destination.items()):
        source = mount.get("Name") if mount.get("Type") == "volume" else mount.get("Source")
        rows.append({"mount_point": destination, "catalog_volume": None,
                     "found": "%s %s" % ("volume" if mount.get("Type") == "volume" else "host path", source),
                     "plan": "not a volume of the catalog entry: the unit does not mount it; %s stays as it is" % source})
    return rows, adopted


def container_rows(catalog, unmanaged, inspected):
    """(rows, adopted volumes, blocked reasons). unmanaged: discovery's list; inspected: {id: inspect}."""
    containers = _catalog_containers(catalog)
    layer_rank = dict((layer, i) for i, layer in enumerate(LAYERS))
    named = {}
    blocked = []
    for holder in unmanaged:
        if holder.get("kind", "container") != "container":
            continue
        if holder["holds"] == "container name %s" % holder["name"] and holder["name"] in containers:
            named[holder["id"]] = holder
    named_ids = set(named)
    for holder in unmanaged:
        if holder.get("kind", "container") == "container" and holder["port"] and holder["id"] not in named_ids:
            blocked.append("container %s holds %s of unit %s but no catalog container name: stop or remove it "
                           "(adopt takes over containers by their names)" % (holder["name"], holder["holds"], holder["unit"]))
    rows = []
    adopted = {}
    for cid, holder in named.items():
        svc, env, cont = containers[holder["name"]]
        info = inspected.get(cid) or {}
        config = info.get("Config") or {}
        image = config.get("Image") or holder.get("image")
        mounts, volumes = _mount_plan(cont, info.get("Mounts"))
        adopted.update(volumes)
        labels = config.get("Labels") or {}
        networks = sorted((info.get("NetworkSettings") or {}).get("Networks") or {})
        project = catalog.compose_project(svc.name, env.name)
        own = set(project["networks"][key]["name"] for key in project["services"][cont.service]["networks"])
        rows.append({
            "container": holder["name"], "id": cid, "state": holder["state"],
            "compose_project": holder["project"] or labels.get("com.docker.compose.project"),
            "service": svc.name, "environment": env.name, "layer": svc.layer, "order": layer_rank.get(svc.layer, 99),
            "unit": "%s/%s" % (svc.name, env.name), "project": env.project,
            "image": image, "catalog_image": cont.image, "same_image": image == cont.image,
            "networks": networks,
            # Joined by the unit's container during the takeover (compose_projects' bridged), left at its end.
            "bridges": [n for n in networks if n not in own and n not in DEFAULT_NETWORKS],
            "mounts": mounts,
        })
    rows.sort(key=lambda r: (r["order"], r["service"], r["environment"], r["container"]))
    return rows, adopted, blocked


def owner_rows(catalog, server_environment, found):
    """(rows, adopted owners {database: hand-run owner role}). found: provision.OWNERS_SQL's answer
    from the server of that environment: {"databases": [{name, owner}]}."""
    databases = dict((d["name"], d["owner"]) for d in found.get("databases") or [])
    rows = []
    adopted = {}
    for wanted in catalog.databases(server_environment):
        name, owner = wanted["name"], wanted["owner"]
        row = {"environment": server_environment, "database": name, "catalog_owner": owner, "owner": databases.get(name)}
        if name not in databases:
            row["plan"] = "not there: created empty, owned by %s" % owner
        elif databases[name] == owner:
            row["plan"] = "kept with its owner %s and its password from the vault" % owner
        else:
            row["plan"] = ("kept; %s gets every object of %s (REASSIGN OWNED), which keeps its login and its access "
                           "as a member of %s" % (owner, databases[name], owner))
            adopted[name] = databases[name]
        rows.append(row)
    return rows, adopted


def plan_lines(rows, owners):
    """One line per container (and per database), for the run's output."""
    lines = []
    for row in rows:
        image = "same image" if row["same_image"] else "image %s -> %s" % (row["image"], row["catalog_image"])
        data = "; ".join("%s: %s, %s" % (m["mount_point"], m["found"] or "nothing", m["plan"]) for m in row["mounts"])
        lines.append("%s (%s%s) -> %s of %s: %s%s" % (
            row["container"], row["state"], ", compose project %s" % row["compose_project"] if row["compose_project"] else "",
            row["container"], row["project"], image, "; " + data if data else ""))
    for row in owners:
        lines.append("database %s (%s, owner %s): %s" % (row["database"], row["environment"], row["owner"] or "-", row["plan"]))
    return lines
