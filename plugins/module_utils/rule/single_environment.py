# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The single-environment rule, judged on a discovery result (see ``discovery.discovery``).

Pure functions over plain data: no Docker, no ``/proc``, so every case is testable with dicts.
At most one instance of each (service, environment) runs: its rightful compose project
(``Environment.project``) or its managed development server. Anything else holding the unit's
names, ports or volumes, or serving it a second time, is a stray. Development reaches the
production database only where the catalog opts in (``use_production_database``). On a swarm
(``discovery["engine"] == "swarm"``) the rightful instance is the unit's one stack, named like
its compose project; a service with the unit's identity in any other stack is a stray.
"""

from __future__ import annotations

SECOND_PROJECT = "second_project"
SECOND_STACK = "second_stack"
OUTSIDE_PROJECT = "outside_project"
SECOND_DEV_SERVER = "second_dev_server"
UNMANAGED = "unmanaged"
PRODUCTION_DATABASE = "production_database"
KINDS = (SECOND_PROJECT, SECOND_STACK, OUTSIDE_PROJECT, SECOND_DEV_SERVER, UNMANAGED, PRODUCTION_DATABASE)
_NOT_RUNNING = ("stopped", "missing")


def _key(service, environment):
    return "%s/%s" % (service, environment)


def _environment(catalog, service, environment):
    svc = catalog.services.get(service)
    return svc.environments.get(environment) if svc is not None else None


def _project_of(catalog, key):
    if not key or "/" not in key:
        return None
    env = _environment(catalog, *key.split("/", 1))
    return env.project if env is not None else None


def container_stray(record, rightful=False, port=None, kind="container"):
    """A container, or with kind="service" a swarm service (its stack as the project)."""
    return {"kind": kind, "name": record.get("name"), "id": record.get("id"),
            "project": record.get("project"), "pid": None, "cmdline": None, "port": port,
            "pgrp": None, "start_time": None, "rightful": bool(rightful)}


def process_stray(record, rightful=False, port=None):
    ports = record.get("ports") or []
    return {"kind": "process", "name": record.get("comm") or record.get("name"), "id": None, "project": None, "pid": record.get("pid"),
            "cmdline": record.get("cmdline"), "port": port if port is not None else (ports[0] if ports else None),
            "pgrp": record.get("pgrp"), "start_time": record.get("start_time"), "rightful": bool(rightful)}


def _identity(stray):
    return (stray["kind"], stray["pid"] if stray["kind"] == "process" else stray["id"])


def _describe_process(record):
    if record.get("pid") is None:
        return "an unknown process (its owner is not visible to this user; run as root to name it)"
    command = record.get("cmdline") or "?"
    if len(command) > 120:
        command = command[:117] + "..."
    return "pid %s (%s)" % (record.get("pid"), command)


def _violation(kind, unit, reason, strays):
    return {"kind": kind, "unit": unit, "reason": reason, "strays": strays}


def evaluate(catalog, discovery):
    """Violations of the single-environment rule: a list of
    ``{kind, unit, reason, strays: [{kind, name, id, project, pid, cmdline, port, pgrp, start_time, rightful}]}``.

    ``rightful`` marks a stray that is itself the rightful instance of some unit (its compose
    project or managed dev server): it breaks the rule through its configuration and is never
    stopped. Orphans (``discovery["orphans"]``) are not violations; callers judge them apart.
    """
    violations = []
    unmanaged = discovery.get("unmanaged") or []
    production_hosts = _production_database_hosts(catalog, discovery)
    production_network = catalog.network_for("production")
    for unit in discovery.get("units") or []:
        key = _key(unit["service"], unit["environment"])
        env = _environment(catalog, unit["service"], unit["environment"])
        if env is None:
            continue
        seen = set()
        if discovery.get("engine") == "swarm":
            violations.extend(_second_stacks(env, unit, key, seen))
        else:
            violations.extend(_second_instances(env, unit, key, seen))
        violations.extend(_unmanaged(catalog, unit, key, [u for u in unmanaged if u.get("unit") == key], seen))
        violations.extend(_second_dev_servers(unit, key, seen))
        if env.name == "development" and not env.use_production_database:
            violations.extend(_production_database(env, unit, key, production_network, production_hosts))
    return violations


def _second_instances(env, unit, key, seen):
    result = []
    by_project = {}
    own = [id(record) for record in env.kind.own_containers(unit.get("containers") or [], env.project)]
    for record in unit.get("containers") or []:
        if record.get("matched") != "labels" or id(record) in own:
            continue
        stray = container_stray(record)
        seen.add(_identity(stray))
        if not env.runs_containers:
            result.append(_violation(OUTSIDE_PROJECT, key, "%s runs as a dev server; container %s (%s) carries its "
                                     "identity labels and is a second instance" % (key, record["name"], record["id"]),
                                     [stray]))
        elif record.get("project"):
            by_project.setdefault(record["project"], []).append(stray)
        else:
            result.append(_violation(OUTSIDE_PROJECT, key, "container %s (%s) carries the identity labels of %s "
                                     "outside its compose project %s: a second instance"
                                     % (record["name"], record["id"], key, env.project), [stray]))
    for project in sorted(by_project):
        strays = by_project[project]
        result.append(_violation(SECOND_PROJECT, key, "second compose project %s for %s (the rightful project is %s): "
                                 "containers %s" % (project, key, env.project,
                                                    ", ".join("%s (%s)" % (s["name"], s["id"]) for s in strays)),
                                 strays))
    return result


def _second_stacks(env, unit, key, seen):
    """On a swarm, a production unit is its one stack (``Environment.project``); a development unit
    runs on its development host, so any service with its identity on the swarm is a stray."""
    rightful = env.project if env.name == "production" else None
    by_stack = {}
    for record in unit.get("services") or []:
        if record.get("matched") != "labels" or (rightful and record.get("stack") == rightful):
            continue
        stray = container_stray(dict(record, project=record.get("stack")), kind="service")
        seen.add(_identity(stray))
        by_stack.setdefault(record.get("stack") or "", []).append(stray)
    result = []
    for stack in sorted(by_stack):
        strays = by_stack[stack]
        services = ", ".join("%s (%s)" % (s["name"], s["id"]) for s in strays)
        if rightful is None:
            result.append(_violation(SECOND_STACK, key, "%s runs on its development host, not on the swarm: service%s "
                                     "%s%s carr%s its identity labels" % (
                                         key, "s" if len(strays) != 1 else "", services,
                                         " of stack %s" % stack if stack else "", "ies" if len(strays) == 1 else "y"),
                                     strays))
        elif stack:
            result.append(_violation(SECOND_STACK, key, "second stack %s for %s (the rightful stack is %s): services %s"
                                     % (stack, key, rightful, services), strays))
        else:
            result.append(_violation(OUTSIDE_PROJECT, key, "service%s %s carr%s the identity labels of %s outside any "
                                     "stack (the rightful stack is %s): a second instance" % (
                                         "s" if len(strays) != 1 else "", services,
                                         "ies" if len(strays) == 1 else "y", key, rightful), strays))
    return result


def _unmanaged(catalog, unit, key, items, seen):
    grouped = {}
    order = []
    for item in items:
        if item.get("kind") in ("container", "service"):
            owner_project = _project_of(catalog, item.get("owner"))
            stray = container_stray(item, rightful=owner_project is not None and item.get("project") == owner_project,
                                    port=item.get("port"), kind=item["kind"])
        else:
            stray = process_stray(item, rightful=item.get("owner") is not None, port=item.get("port"))
        ident = _identity(stray)
        if ident not in grouped:
            grouped[ident] = (stray, item, [])
            order.append(ident)
        first, dummy, holds = grouped[ident]
        if item.get("holds") and item["holds"] not in holds:
            holds.append(item["holds"])
        if first["port"] is None and item.get("port") is not None:
            first["port"] = item["port"]
    result = []
    stopped = unit.get("state") in _NOT_RUNNING
    for ident in order:
        stray, item, holds = grouped[ident]
        seen.add(ident)
        if stray["kind"] in ("container", "service"):
            project = ", %s %s" % ("stack" if stray["kind"] == "service" else "project",
                                   stray["project"]) if stray["project"] else ""
            who = "%s %s (%s%s)" % (stray["kind"], stray["name"], stray["id"], project)
            why = "without the identity labels of %s" % key
            if stray["rightful"]:
                why = "while it belongs to %s" % item.get("owner")
        else:
            who = _describe_process(item)
            why = "and is not the managed dev server of %s" % key
            if stray["rightful"]:
                why = "while it is the managed dev server of %s" % item.get("owner")
        reason = "unmanaged %s holds %s %s" % (who, " and ".join(holds), why)
        if stopped:
            reason += " (the rightful instance is %s)" % unit.get("state")
        result.append(_violation(UNMANAGED, key, reason, [stray]))
    return result


def _second_dev_servers(unit, key, seen):
    servers = unit.get("dev_servers") or []
    managed = [s for s in servers if s.get("managed") and s.get("running")]
    result = []
    for record in servers:
        if record.get("managed") or not record.get("ports"):
            continue
        stray = process_stray(record)
        if _identity(stray) in seen:
            continue
        seen.add(_identity(stray))
        where = " in its source directory %s" % record["source"] if "source" in (record.get("found_by") or []) else ""
        if managed:
            rightful = "the managed dev server is pid %s" % ", ".join(str(s["pid"]) for s in managed)
        else:
            rightful = "the managed dev server is not running"
        result.append(_violation(SECOND_DEV_SERVER, key, "second dev server for %s: %s%s listens on port%s %s (%s)" % (
            key, _describe_process(record), where, "s" if len(record["ports"]) != 1 else "",
            ", ".join(str(p) for p in record["ports"]), rightful), [stray]))
    return result


def _production_database_hosts(catalog, discovery):
    hosts = set()
    provider = catalog.provider("database")
    if provider is not None and "production" in provider.environments and provider.environments["production"].containers:
        hosts.add(provider.environments["production"].containers[0].name)
    for svc in catalog.services.values():
        env = svc.environments.get("production")
        if svc.database and env is not None:
            server = catalog.database_server(env)
            if server:
                hosts.add(server)
    for server in discovery.get("database_servers") or []:
        if server.get("environment") == "production":
            hosts.add(server.get("name"))
            hosts.update(server.get("addresses") or [])
            hosts.update(server.get("aliases") or [])
    hosts.discard(None)
    return hosts


def _production_database(env, unit, key, production_network, production_hosts):
    result = []
    for record in unit.get("containers") or []:
        stray = container_stray(record, rightful=record.get("project") == env.project)
        reasons = []
        if production_network in (record.get("networks") or []):
            reasons.append("is attached to the production network %s" % production_network)
        for var, host in sorted((record.get("database_hosts") or {}).items()):
            if host in production_hosts:
                reasons.append("has %s pointing at the production database server %s" % (var, host))
        if reasons:
            result.append(_violation(PRODUCTION_DATABASE, key, "development container %s (%s) %s, but %s does not "
                                     "set use_production_database" % (record["name"], record["id"],
                                                                      " and ".join(reasons), key), [stray]))
    for record in unit.get("dev_servers") or []:
        conns = [c for c in record.get("database_connections") or [] if c.get("environment") == "production"]
        if not conns:
            continue
        stray = process_stray(record, rightful=bool(record.get("managed")))
        targets = ", ".join(sorted(set("%s:%s (%s)" % (c["address"], c["port"], c["server"]) for c in conns)))
        result.append(_violation(PRODUCTION_DATABASE, key, "development process %s is connected to the production "
                                 "database at %s, but %s does not set use_production_database"
                                 % (_describe_process(record), targets, key), [stray]))
    return result


def _orphan_reason(orphan):
    if orphan.get("kind") == "process":
        return "dev server of %s, which is not in the catalog"
    return "labelled for %s, which is not in the catalog"


def stop_plan(violations, orphans=None):
    """What enforcing would stop: every stray that is not a rightful instance, and the given orphans.

    Returns a list of ``{kind, name, id, project, pid, pgrp, start_time, cmdline, port, reason}``,
    each container or process once.
    """
    plan = []
    seen = set()
    for violation in violations:
        for stray in violation["strays"]:
            ident = _identity(stray)
            if stray.get("rightful") or ident in seen or ident[1] is None:
                continue
            seen.add(ident)
            target = dict((k, stray.get(k)) for k in ("kind", "name", "id", "project", "pid", "pgrp", "start_time",
                                                      "cmdline", "port"))
            target["reason"] = violation["reason"]
            plan.append(target)
    for orphan in orphans or []:
        # A dev server whose unit left the catalog is stopped by pid and start time, as any stray process.
        if orphan.get("kind") == "process":
            target = process_stray(orphan)
        else:
            target = container_stray(orphan, kind=orphan.get("kind") or "container")
        ident = _identity(target)
        if ident in seen or ident[1] is None:
            continue
        seen.add(ident)
        target.pop("rightful")
        target["reason"] = "orphan: " + _orphan_reason(orphan) % _key(orphan.get("service"), orphan.get("environment"))
        plan.append(target)
    return plan


def unfixable(violations):
    """Violations whose every stray is a rightful instance: stopping nothing fixes them."""
    return [v for v in violations if not any(not s.get("rightful") for s in v["strays"])]


def _cell(value, width=None):
    text = "-" if value is None or value == "" else str(value)
    if width and len(text) > width:
        text = text[:width - 3] + "..."
    return text


def format_table(violations, orphans=None):
    """A plain-text table naming each stray (container name and id, compose project, pid and
    command line, port) with the reason; orphans follow as their own rows."""
    header = ("UNIT", "VIOLATION", "KIND", "NAME", "ID", "PROJECT", "PID", "PORT", "COMMAND", "REASON")
    rows = []
    for violation in violations:
        for stray in violation["strays"] or [{}]:
            rows.append((violation["unit"], violation["kind"], _cell(stray.get("kind")), _cell(stray.get("name")),
                         _cell(stray.get("id")), _cell(stray.get("project")), _cell(stray.get("pid")),
                         _cell(stray.get("port")), _cell(stray.get("cmdline"), 60),
                         violation["reason"] + (" [rightful instance: fix its configuration]"
                                                if stray.get("rightful") else "")))
    for orphan in orphans or []:
        unit = _key(orphan.get("service"), orphan.get("environment"))
        rows.append((unit, "orphan", orphan.get("kind") or "container", _cell(orphan.get("name")), _cell(orphan.get("id")),
                     _cell(orphan.get("project")), _cell(orphan.get("pid")), "-", _cell(orphan.get("cmdline"), 60),
                     _orphan_reason(orphan) % unit))
    if not rows:
        return "no violations"
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header) - 1)]
    lines = []
    for row in [header] + rows:
        cells = [str(row[i]).ljust(widths[i]) for i in range(len(header) - 1)]
        lines.append("  ".join(cells + [str(row[-1])]).rstrip())
    return "\n".join(lines)
