# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run-time discovery on a Docker Swarm: the services and tasks of each (service, environment).

On a manager ``docker ps`` shows that node's containers only, so the cluster's facts come from the
Swarm API: one service list, one task list (tasks that should run) and one node list. A service
is attributed to a unit exactly as a container is on one host (``Discovery._owner``: identity
labels first, the catalog's name second) and holds names, ports and volumes by the same rule
(``Discovery._holdings``); its stack (``com.docker.stack.namespace``) plays the compose project's
part. Development servers run on a development host in compose mode, so no process is read here.
The records themselves come from swarm.services. It only reads; rule.single_environment judges
the result.
"""

from __future__ import annotations

import time

from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import (
    DEFAULT_STATE_DIR,
    Discovery,
    unit_key,
)
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DEFAULT_DOCKER_HOST, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.services import (
    add_tasks,
    node_names,
    service_record,
)

_PUBLIC = ("name", "id", "stack", "container", "matched", "mode", "desired", "running", "nodes", "state", "image",
           "healthcheck", "update_state", "ports", "volumes", "aliases", "tasks")


def _public(record):
    return dict((k, record.get(k)) for k in _PUBLIC)


class SwarmDiscovery(Discovery):
    """One discovery run on a swarm manager; the result has the shape of :class:`Discovery`'s plus,
    per unit, ``engine``, ``stack``, ``stacks`` and ``services`` (each with its tasks)."""

    def __init__(self, catalog, docker=None, docker_host=DEFAULT_DOCKER_HOST):
        super(SwarmDiscovery, self).__init__(catalog, DEFAULT_STATE_DIR, docker=docker, docker_host=docker_host,
                                             processes=False)
        for entry in self.units.values():
            entry.update(engine="swarm", stack=entry["project"] if entry["environment"] == "production" else None,
                         stacks=[], services=[])

    def run(self):
        started = time.monotonic()
        try:
            listed = self.docker.services()
        except DockerError as exc:
            raise DockerError("engine swarm reads the swarm from a manager; %s" % exc)
        records = [service_record(raw) for raw in listed]
        if records:
            add_tasks(records, self.docker.tasks({"desired-state": ["running"]}), node_names(self.docker.nodes()))
        self.attribute_services(records)
        units = []
        for unit in self.index.units:
            key = unit_key(unit["service"], unit["environment"])
            entry = self.units[key]
            entry["services"] = [_public(r) for r in sorted(entry["services"], key=lambda r: r["name"])]
            entry["stacks"] = sorted(set(s["stack"] for s in entry["services"] if s["stack"]))
            entry["projects"] = list(entry["stacks"])
            entry["state"], entry["summary"] = swarm_unit_state(entry, self.index.expected[key])
            units.append(entry)
        return {
            "engine": "swarm",
            "units": units,
            "unmanaged": self.unmanaged,
            "orphans": sorted(self.orphans, key=lambda o: o["name"]),
            "database_servers": [],
            "summary": [u["summary"] for u in units],
            "elapsed": round(time.monotonic() - started, 3),
        }

    def attribute_services(self, records):
        """Attribute service records to units, orphans and unmanaged holders, by the same rules as containers."""
        for record in records:
            record["owner"], record["matched"] = self._owner(record)
            if record["matched"] == "orphan":
                self.orphans.append({"kind": "service", "name": record["name"], "id": record["id"],
                                     "project": record["stack"], "service": record["labels"]["service"],
                                     "environment": record["labels"]["environment"], "state": record["state"]})
            if record["owner"] is not None:
                self.units[record["owner"]]["services"].append(record)
            self._holdings(record)


def discover_swarm(catalog, docker=None, docker_host=DEFAULT_DOCKER_HOST):
    """Discover what runs on the swarm for every unit of the catalog; see :class:`SwarmDiscovery`."""
    return SwarmDiscovery(catalog, docker=docker, docker_host=docker_host).run()


def swarm_unit_state(unit, expected):
    """(state, one-line summary) of a unit from its discovered services; only its own stack counts."""
    stack = unit.get("stack")
    label = "%s/%s" % (unit["service"], unit["environment"])
    own = [s for s in unit["services"] if stack and s["stack"] == stack]
    others = len(unit["services"]) - len(own)
    extra = "; also %d service%s outside the stack" % (others, "s" if others != 1 else "") if others else ""
    if stack is None:
        return "missing", "%s: not on the swarm (development runs on its development host)%s" % (label, extra)
    tasks = [t for s in own for t in s["tasks"]]
    running = len([t for t in tasks if t["state"] == "running"])
    starting = len([t for t in tasks if t["state"] == "starting"])
    waiting = len([t for t in tasks if t["state"] not in ("running", "starting")])
    # What the stack asks for (a stopped stack is scaled to zero); the catalog's count until it exists.
    want = sum(s["desired"] or 0 for s in own) if own else expected["replicas"]
    if not own:
        state = "missing"
    elif running == 0:
        state = "stopped"
    elif running >= want and all(s["state"] == "running" for s in own):
        state = "running"
    else:
        state = "partial"
    text = "%d/%d tasks running" % (running, want)
    notes = []
    if starting:
        notes.append("%d starting" % starting)
    if waiting:
        notes.append("%d pending" % waiting)
    if notes:
        text += " (%s)" % ", ".join(notes)
    nodes = sorted(set(n for s in own for n in s["nodes"]))
    if nodes:
        text += " on %s" % ", ".join(nodes)
    return state, "%s: %s, stack %s%s" % (label, text, stack, extra)
