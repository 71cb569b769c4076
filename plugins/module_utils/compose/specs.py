# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_projects entries for many catalog units at once, so a layer is one module call.

Secrets arrive resolved, as {vault path: value}; the playbook resolves them with the
platform_secret lookup (filters cannot call lookups). Units may be the resolved units of
``platform_catalog`` (catalog/resolve.py): what they carry is not derived again. Every unit's
entry comes from this one builder, Traefik's, the database servers' and the dashboard's too:
a role passes what is its own as ``extras`` (see :func:`apply_extras`), never patched YAML.
Private to korczewski.platform.
"""

from __future__ import annotations

import os

from urllib.parse import quote

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LAYERS, CatalogError, secret_file_path
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import env_file_text
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.resolve import SECRETS_MODE

SECRETS_FILE = "secrets.env"


def _pair(unit):
    if isinstance(unit, dict):
        return unit["service"], unit["environment"]
    return unit[0], unit[1]


def _units(catalog, units):
    """(service, environment, unit) of each unit; a resolved unit (it has container_specs) as it is."""
    for unit in units or []:
        if isinstance(unit, dict) and "container_specs" in unit and "secret_templates" in unit:
            yield unit["service"], unit["environment"], unit
        else:
            service, environment = _pair(unit)
            yield service, environment, catalog.unit(service, environment)


def unit_secret_paths(catalog, units):
    """Vault paths the units' containers and dev servers read, sorted, each once."""
    paths = set()
    for dummy, dummy, unit in _units(catalog, units):
        if unit["database"]:
            paths.add(unit["database"]["secret_path"])
        paths.update(unit["secrets"].values())
        paths.update(t["secret_path"] for t in unit["secret_templates"].values())
    return sorted(paths)


def unit_secret_env(catalog, service, environment, secrets, unit=None):
    """The secret environment of one unit: database settings with the password, then its own secrets."""
    unit = unit or catalog.unit(service, environment)
    templates = unit["secret_templates"]
    wanted = ([unit["database"]["secret_path"]] if unit["database"] else []) + list(unit["secrets"].values()) + [
        t["secret_path"] for t in templates.values()]
    missing = sorted(set(p for p in wanted if p not in secrets))
    if missing:
        raise CatalogError(["%s.%s: no value for the secret(s) %s" % (service, environment, ", ".join(missing))])
    env = {}
    if unit["database"]:
        env.update(catalog.database_settings(service, environment, password=secrets[unit["database"]["secret_path"]]))
    env.update((name, secrets[path]) for name, path in unit["secrets"].items())
    env.update((name, fill_secret(t["format"], secrets[t["secret_path"]])) for name, t in templates.items())
    return env


def unit_local_servers(catalog, units):
    """The local dev servers of the units, in the given order."""
    servers = []
    for dummy, dummy, unit in _units(catalog, units):
        servers.extend(unit["local_servers"])
    return servers


def unit_dev_secret_envs(catalog, units, secrets):
    """{server name: secret environment} for the units' local dev servers: a server gets its unit's."""
    envs = {}
    for service, environment, unit in _units(catalog, units):
        if unit["local_servers"]:
            env = unit_secret_env(catalog, service, environment, secrets, unit)
            envs.update((server["name"], env) for server in unit["local_servers"])
    return envs


def fill_secret(text, value):
    """A secret_env format with the secret in its place: {secret} as is, {secret|urlencode}
    percent-encoded (a password inside a URL)."""
    return text.replace("{secret|urlencode}", quote(str(value), safe="")).replace("{secret}", str(value))


def merge(base, extra, list_merge="replace"):
    """base with extra merged in, as Ansible's combine(recursive=true, list_merge=...) does:
    mappings merge, lists are replaced (or appended), any other value replaces; a key keeps its
    place, a new one comes last."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value, list_merge)
        elif list_merge == "append" and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = result[key] + value
        else:
            result[key] = value
    return result


# What an extras mapping may hold beside the entry's own keys (compose_file, restart_on_change,
# wait_timeout, state, project_dir, ...), which replace the builder's.
EXTRAS_KEYS = ("services", "append", "definition", "files", "list_merge")


def apply_extras(spec, extras):
    """A role's additions to its unit's entry: ``services`` ({compose service: settings}, merged
    into the catalog's service or a new one; ``list_merge: append`` adds their lists to the
    catalog's instead of replacing them), ``append`` ({compose service: {key: [items]}},
    added to the catalog's lists: volumes, networks), ``definition`` (top-level project keys,
    merged), ``files`` (by path, replacing the builder's file of that path) and entry keys."""
    if not extras:
        return spec
    definition = dict(spec["definition"])
    services = dict(definition["services"])
    for name, settings in (extras.get("services") or {}).items():
        services[name] = merge(services.get(name) or {}, settings or {}, extras.get("list_merge") or "replace")
    for name, lists in (extras.get("append") or {}).items():
        service = dict(services.get(name) or {})
        for key, items in (lists or {}).items():
            service[key] = list(service.get(key) or []) + list(items or [])
        services[name] = service
    definition["services"] = services
    definition = merge(definition, extras.get("definition") or {})
    spec = dict(spec, definition=definition)
    files = extras.get("files")
    if files:
        paths = set(f["path"] for f in files)
        spec["files"] = [f for f in spec["files"] if f["path"] not in paths] + list(files)
    spec.update((k, v) for k, v in extras.items() if k not in EXTRAS_KEYS)
    return spec


def unit_project_specs(catalog, units, secrets, project_root=None, traefik=None, state="present", wait_timeout=180,
                       extras=None):
    """One compose_projects entry per unit that has containers, in the given order.

    order is the layer's index, so one call over several layers still brings them up in the
    catalog's vertical order. wait_timeout is a minimum: a unit whose slowest healthcheck needs
    longer (a model load's start_period) gets that long. project_root None: each unit's own
    project_dir (a resolved unit's). extras: {project: additions} (:func:`apply_extras`).
    """
    specs = []
    for service, environment, unit in _units(catalog, units):
        if not unit["containers"]:
            continue
        definition = catalog.compose_project(service, environment, traefik=traefik, env_file=SECRETS_FILE)
        files = []
        secret_env = unit_secret_env(catalog, service, environment, secrets, unit) if unit_secret_paths(
            catalog, [unit]) else {}
        # What containers read as files (catalog secret_env file: true) is in no environment.
        for name in unit.get("secret_files") or []:
            files.append({"path": secret_file_path(name), "content": str(secret_env.pop(name)), "mode": SECRETS_MODE,
                          "secret": True})
        if any(SECRETS_FILE in (spec.get("env_file") or []) for spec in definition["services"].values()):
            files.append({"path": SECRETS_FILE, "content": env_file_text(secret_env), "mode": SECRETS_MODE, "secret": True})
        else:
            # A unit that lost its last secret must not keep the old values on disk.
            files.append({"path": SECRETS_FILE, "state": "absent"})
        directory = os.path.join(project_root, unit["project"]) if project_root else unit.get("project_dir")
        if not directory:
            raise CatalogError(["%s.%s: no project directory (give project_root or resolved units)"
                                % (service, environment)])
        spec = {"name": unit["project"], "project_dir": directory,
                "definition": definition, "files": files, "order": LAYERS.index(unit["layer"]),
                "depends_on": [], "state": state,
                "wait_timeout": catalog.wait_timeout(service, environment, minimum=int(wait_timeout)),
                # How an update replaces each container (catalog update_plan): switch or in place, and why.
                "switch": list(unit["update"]["switch"]), "in_place": dict(unit["update"]["recreate"])}
        specs.append(apply_extras(spec, (extras or {}).get(unit["project"])))
    return specs
