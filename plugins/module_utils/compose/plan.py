# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the apply path: order, change detection and masking (no processes, no files).

Private to korczewski.platform; used by compose.apply and the compose_projects module.
"""

from __future__ import annotations

import json
import os
import re

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.parse import DotenvError, parse_dotenv


class PlanError(Exception):
    """The project list cannot be ordered (unknown dependency, cycle, duplicate name)."""


# ---------------------------------------------------------------------------------------- order
def prerequisites(projects):
    """{name: set of names that must finish first}: explicit depends_on plus every lower order.

    Layer order is a sequence, not a dependency: a failure in a lower layer does not skip a
    higher one (run_ordered skips only explicit dependents).
    """
    names = [p["name"] for p in projects]
    errors = []
    seen = set()
    for name in names:
        if name in seen:
            errors.append("project %s is listed twice" % name)
        seen.add(name)
    for p in projects:
        for dep in p.get("depends_on") or []:
            if dep not in seen:
                errors.append("project %s depends on %s, which is not in the list" % (p["name"], dep))
            elif dep == p["name"]:
                errors.append("project %s depends on itself" % p["name"])
    if errors:
        raise PlanError(errors)
    result = {}
    for p in projects:
        before = set(q["name"] for q in projects if q.get("order", 0) < p.get("order", 0))
        result[p["name"]] = before | set(p.get("depends_on") or [])
    cycle = _find_cycle(result)
    if cycle:
        raise PlanError(["projects depend on each other in a cycle: %s" % " -> ".join(cycle)])
    return result


def _find_cycle(graph):
    state = {}

    def visit(node, path):
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep] if dep in path else [node, dep]
            if state.get(dep) is None:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node, [node])
            if found:
                return found
    return None


def external_networks(projects):
    """Names of the external networks the projects that stay (present or stopped) join: they are
    created by the docker_engine role, never by a project, so they must exist before any up."""
    names = set()
    for spec in projects:
        if spec.get("state", "present") == "absent" or not spec.get("definition"):
            continue
        for key, network in (spec["definition"].get("networks") or {}).items():
            if isinstance(network, dict) and network.get("external"):
                names.add(network.get("name") or key)
    return sorted(names)


def missing_networks_message(missing):
    return ("Docker network(s) %s do not exist. The docker_engine role creates the catalog's networks: "
            "run playbooks/docker_engine.yml (or make testbed) first." % ", ".join(missing))


def execution_order(projects):
    """Names in a sequential order that respects prerequisites (list order breaks ties)."""
    prereq = prerequisites(projects)
    done, order = set(), []
    remaining = [p["name"] for p in projects]
    while remaining:
        for name in remaining:
            if prereq[name] <= done:
                order.append(name)
                done.add(name)
                remaining.remove(name)
                break
    return order


def run_ordered(projects, work, workers=4):
    """Run work(project) for every project with at most `workers` at once, in order.

    A project starts when its prerequisites finished. When an explicit dependency failed or was
    skipped, the project is skipped: its result is {'skipped': True, 'msg': ...}. Returns the
    results by name. work must return a dict; 'failed': True marks a failure.
    """
    prereq = prerequisites(projects)
    by_name = dict((p["name"], p) for p in projects)
    pending = [p["name"] for p in projects]
    results = {}
    running = {}
    with ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
        while pending or running:
            for name in list(pending):
                if not prereq[name] <= set(results):
                    continue
                pending.remove(name)
                broken = [d for d in by_name[name].get("depends_on") or []
                          if results[d].get("failed") or results[d].get("skipped")]
                if broken:
                    results[name] = {"name": name, "skipped": True, "changed": False,
                                     "msg": "not applied: it depends on %s, which did not come up" % ", ".join(broken)}
                    continue
                running[pool.submit(work, by_name[name])] = name
            if not running:
                continue
            finished = wait(list(running), return_when=FIRST_COMPLETED).done
            for future in finished:
                name = running.pop(future)
                try:
                    results[name] = future.result()
                except Exception as exc:  # pylint: disable=broad-except
                    results[name] = {"name": name, "failed": True, "changed": False,
                                     "msg": "%s: %s" % (type(exc).__name__, exc)}
    return results


# ---------------------------------------------------------------------------------------- files
def mounted_secret_files(definition):
    """Project-relative paths of the files the definition mounts as compose secrets. A container
    holds the file it started with (a bind mount of a file follows its inode, and the apply
    replaces files by rename), so a change of one restarts the project."""
    paths = []
    for entry in ((definition or {}).get("secrets") or {}).values():
        if isinstance(entry, dict) and entry.get("file"):
            paths.append(os.path.normpath(str(entry["file"])))
    return sorted(paths)


def file_changes(existing, wanted):
    """Relative paths whose content or mode differs. existing/wanted: {path: (content, mode int)}.

    existing[path] is None when the file does not exist.
    """
    changed = []
    for path in sorted(wanted):
        if existing.get(path) != wanted[path]:
            changed.append(path)
    return changed


def container_name(definition, service):
    """The container name of a compose service: the seed fixes one for every service."""
    return ((definition.get("services") or {}).get(service) or {}).get("container_name", service)


def render_definition(definition):
    """The compose file text: JSON, which is YAML, written the same way on every run."""
    return json.dumps(definition, indent=2, sort_keys=False) + "\n"


def check_relative_path(path):
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise PlanError(["file path %r must be relative, inside the project directory" % path])
    return path


# ---------------------------------------------------------------------------------------- state
_SIGNAL = re.compile(r"^(?:(?:SIG)?[A-Z][A-Z0-9]*(?:[+-][0-9]+)?|[0-9]{1,2})$")


def signal_problem(value):
    """Why value is no signal for `docker compose kill --signal` (a name: SIGHUP, HUP, SIGRTMIN+3;
    or a number), or None. It becomes an argument of the CLI, so nothing else passes."""
    if isinstance(value, str) and _SIGNAL.match(value):
        return None
    return "a signal is a name such as SIGHUP or a number, got %r" % (value,)


def parse_ps(text):
    """Containers from `docker compose ps --format json` (one JSON object a line, or one array)."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    containers = []
    for row in rows:
        containers.append({
            "id": row.get("ID", ""),
            "name": row.get("Name", ""),
            "service": row.get("Service", ""),
            "state": row.get("State", ""),
            "health": row.get("Health", ""),
        })
    return sorted(containers, key=lambda c: c["name"])


_HEALTH_IN_STATUS = re.compile(r"\((healthy|unhealthy|health: starting)\)")


def parse_api_containers(rows):
    """Containers of one project from the Engine API's container list, as parse_ps gives them.

    The list answers what `docker compose ps --all` answers (the API's Status text carries the
    health, as compose shows it) in one request instead of a compose process, and the image id.
    """
    containers = []
    for row in rows:
        labels = row.get("Labels") or {}
        match = _HEALTH_IN_STATUS.search(row.get("Status") or "")
        health = match.group(1) if match else ""
        containers.append({
            "id": (row.get("Id") or "")[:12],
            "name": ((row.get("Names") or [""])[0]).lstrip("/"),
            "service": labels.get("com.docker.compose.service", ""),
            "state": row.get("State", ""),
            "health": "starting" if health == "health: starting" else health,
            # The list names each container's image id too: a moved tag needs no inspect of its own.
            "image_id": row.get("ImageID") or "",
        })
    return sorted(containers, key=lambda c: c["name"])


def snapshot(containers):
    """{container name: {id, state, health}} as reported per project."""
    return dict((c["name"], {"id": c["id"], "state": c["state"], "health": c["health"]}) for c in containers)


def states_changed(before, after):
    """Whether containers were created, removed, recreated or changed state (health alone is not a change)."""
    if set(before) != set(after):
        return True
    return any(before[n]["id"] != after[n]["id"] or before[n]["state"] != after[n]["state"] for n in before)


def recreated(before, after):
    """Containers whose id changed or that are new."""
    return sorted(n for n in after if n not in before or before[n]["id"] != after[n]["id"])


def wanted_services(definition):
    """{service: replicas} that `up` without profiles starts."""
    wanted = {}
    for name, spec in (definition.get("services") or {}).items():
        spec = spec or {}
        if spec.get("profiles"):
            continue
        replicas = (spec.get("deploy") or {}).get("replicas")
        if replicas is None:
            replicas = spec.get("scale", 1)
        wanted[name] = int(replicas)
    return wanted


def not_converged(definition, containers):
    """Why the running project differs from a started one, or None when it runs as declared."""
    wanted = wanted_services(definition)
    reasons = []
    for container in containers:
        if container["service"] not in wanted:
            reasons.append("%s is not in the definition" % container["name"])
        elif container["state"] != "running":
            reasons.append("%s is %s" % (container["name"], container["state"] or "unknown"))
        elif container["health"] in ("unhealthy", "starting"):
            reasons.append("%s is %s" % (container["name"], container["health"]))
    for service, replicas in sorted(wanted.items()):
        running = [c for c in containers if c["service"] == service and c["state"] == "running"]
        if len(running) < replicas:
            reasons.append("service %s has %d of %d containers running" % (service, len(running), replicas))
    return "; ".join(reasons) or None


def moved_images(definition, containers, running_ids, current_ids):
    """Why running containers differ from their unchanged definition in their image alone: the
    reference now names another image on the host (a tag pulled or built again). running_ids:
    {container name: image id}; current_ids: {reference: image id or None}."""
    services = definition.get("services") or {}
    reasons = []
    for container in containers:
        reference = (services.get(container["service"]) or {}).get("image")
        running, current = running_ids.get(container["name"]), current_ids.get(reference)
        if reference and running and current and running != current:
            reasons.append("%s runs %s, but %s now names %s" % (container["name"], running[:19], reference, current[:19]))
    return "; ".join(reasons) or None


_DRY_RUN_LINE = re.compile(r"^\s*(?:DRY-RUN MODE -\s+)?(Container|Network|Volume)\s+(\S+)\s+(\w+)\s*$")
# Past-tense lines repeat the present-tense ones; the rest are no-ops.
_DRY_RUN_QUIET = frozenset(["Running", "Waiting", "Healthy", "Exited", "Created", "Recreated", "Started", "Stopped", "Removed"])


def parse_dry_run(text):
    """What `docker compose --dry-run up` would do: [(kind, name, action)] minus no-op lines."""
    actions = []
    for line in (text or "").splitlines():
        match = _DRY_RUN_LINE.match(line)
        if match and match.group(3) not in _DRY_RUN_QUIET:
            actions.append((match.group(1), match.group(2), match.group(3)))
    return actions


# ---------------------------------------------------------------------------------------- masking
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|DATABASE_URL|DSN)[A-Za-z0-9_.-]*"
_SECRET_ASSIGNMENT = re.compile(r"(?i)\b(" + _SECRET_NAME + r")(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)")
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)")
HIDDEN = "********"
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=")


def secret_values(content):
    """Values to mask from a secret file: each value of an env file as Compose reads it (one
    dotenv reader, so an escaped or multi-line value is masked as the container sees it), of any
    length; a file that is not an env file is one value."""
    values = set()
    lines = [line for line in content.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if lines and _ENV_LINE.match(lines[0]):
        try:
            for value in parse_dotenv(content).values.values():
                # A multi-line value (a PEM key) is also masked line by line, as a log prints it.
                values.update(v for v in [value] + (value.splitlines() if "\n" in value else []) if v.strip())
        except DotenvError:
            values = set()
    if not values and content.strip():
        values.add(content.strip())
    return values


def mask(text, secrets=()):
    """text with known secret values and secret-looking assignments and URL passwords hidden."""
    if not text:
        return text
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, HIDDEN)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + HIDDEN + m.group(3), text)


def masked_secret_file(content, other=None):
    """A secret file for a diff: variable names kept, values hidden, changed values marked.

    other is the content on the before side of the diff; on the after side a value that differs
    from it shows as <hidden, changed>, so a diff still tells which variable changes.
    """
    if content is None:
        return ""

    def entries(text):
        result = {}
        for line in (text or "").splitlines():
            match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if match:
                result[match.group(1)] = match.group(2)
        return result

    mine, theirs = entries(content), entries(other)
    out = []
    for line in content.splitlines():
        match = re.match(r"^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            differs = other is not None and theirs.get(match.group(2)) != match.group(3)
            out.append("%s%s=%s" % (match.group(1), match.group(2), "<hidden, changed>" if differs else "<hidden>"))
        elif line.strip() and not line.lstrip().startswith("#"):
            out.append("<hidden, changed>" if other is not None and other != content else "<hidden>")
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if content.endswith("\n") else "")


def failure_report(project, message, containers, secrets=()):
    """One text naming each container that is not healthy, its probe output and last log lines.

    containers: [{name, status, health, exit_code, probe, logs}] (already collected).
    """
    lines = ["project %s failed: %s" % (project, (message or "").strip())]
    for c in containers:
        health = (" (%s)" % c["health"]) if c.get("health") else ""
        exit_code = (" exit code %s" % c["exit_code"]) if c.get("status") == "exited" else ""
        lines.append("container %s is %s%s%s" % (c["name"], c.get("status") or "missing", health, exit_code))
        if c.get("probe"):
            lines.append("  last health probe: %s" % c["probe"].strip())
        if c.get("logs"):
            lines.append("  last log lines:")
            lines.extend("    " + line for line in c["logs"].rstrip().splitlines())
    return mask("\n".join(lines), secrets)
