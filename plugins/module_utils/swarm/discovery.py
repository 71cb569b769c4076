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
It only reads; rule.single_environment judges the result.
"""

from __future__ import annotations

import time

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    LABEL_ENVIRONMENT,
    LABEL_SERVICE,
    LABEL_UNIT,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LABEL_CONTAINER
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import (
    DEFAULT_STATE_DIR,
    Discovery,
    unit_key,
)
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import (
    DEFAULT_DOCKER_HOST,
    DockerAPI,
    DockerError,
)
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.stack import STACK_LABEL as LABEL_STACK

# Docker keeps a task whose container has a healthcheck "starting" until the check passes.
_ENDED = ("complete", "shutdown", "failed", "rejected", "orphaned", "remove")


def service_record(raw):
    """The facts of one entry of GET /services; labels are the service's, else its containers'."""
    spec = raw.get("Spec") or {}
    template = spec.get("TaskTemplate") or {}
    container = template.get("ContainerSpec") or {}
    labels = dict(container.get("Labels") or {})
    labels.update(spec.get("Labels") or {})
    stack = labels.get(LABEL_STACK)
    name = spec.get("Name") or raw.get("ID", "")[:12]
    mode = spec.get("Mode") or {}
    ports = (raw.get("Endpoint") or {}).get("Ports") or (spec.get("EndpointSpec") or {}).get("Ports") or []
    aliases = sorted(set(a for n in template.get("Networks") or [] for a in n.get("Aliases") or []))
    short = name[len(stack) + 1:] if stack and name.startswith(stack + "_") else name
    healthcheck = container.get("Healthcheck") or {}
    return {
        "kind": "service",
        "name": name,
        "id": raw.get("ID", "")[:12],
        "full_id": raw.get("ID", ""),
        "project": stack,
        "stack": stack,
        # The stack the identity labels name: a copy of the labels in another stack is a stray.
        "unit": labels.get(LABEL_UNIT),
        "container": labels.get(LABEL_CONTAINER) or short,
        "aliases": aliases,
        "labels": {"service": labels.get(LABEL_SERVICE), "environment": labels.get(LABEL_ENVIRONMENT)},
        "mode": "global" if "Global" in mode else "replicated",
        "desired": None if "Global" in mode else (mode.get("Replicated") or {}).get("Replicas", 1),
        "image": (container.get("Image") or "").split("@", 1)[0] or None,
        "healthcheck": bool(healthcheck.get("Test")) and healthcheck.get("Test") != ["NONE"],
        "update_state": (raw.get("UpdateStatus") or {}).get("State"),
        "ports": sorted(set(p["PublishedPort"] for p in ports if p.get("PublishedPort"))),
        "volumes": sorted(set(m.get("Source") for m in container.get("Mounts") or []
                              if m.get("Type") == "volume" and m.get("Source"))),
        "state": None,
        "tasks": [],
    }


def node_names(raw_nodes):
    """{node id: host name} from GET /nodes."""
    return dict((n.get("ID"), (n.get("Description") or {}).get("Hostname") or n.get("ID", "")[:12])
                for n in raw_nodes or [])


def task_health(state, healthcheck):
    """Docker's health of a task's container as far as the task's state tells it: a task with a
    healthcheck leaves "starting" only once the check passed, and fails when it turns unhealthy."""
    if not healthcheck:
        return None
    if state == "running":
        return "healthy"
    if state == "starting":
        return "starting"
    return None


def task_record(raw, nodes, healthcheck=False):
    """The facts of one entry of GET /tasks; nodes from :func:`node_names`."""
    status = raw.get("Status") or {}
    container = status.get("ContainerStatus") or {}
    state = status.get("State")
    health = task_health(state, healthcheck)
    if state == "failed" and "unhealthy" in (status.get("Err") or ""):
        health = "unhealthy"
    addresses = sorted(set(a.split("/", 1)[0] for n in raw.get("NetworksAttachments") or []
                           for a in n.get("Addresses") or []))
    return {
        "id": raw.get("ID", "")[:12],
        "service_id": raw.get("ServiceID"),
        "slot": raw.get("Slot"),
        "node": nodes.get(raw.get("NodeID")) if raw.get("NodeID") else None,
        "state": state,
        "desired_state": raw.get("DesiredState"),
        "message": status.get("Message"),
        "error": status.get("Err") or None,
        "container_id": (container.get("ContainerID") or "")[:12] or None,
        "exit_code": container.get("ExitCode") if state in _ENDED else None,
        "health": health,
        "since": status.get("Timestamp"),
        "addresses": addresses,
    }


def add_tasks(records, raw_tasks, nodes):
    """Attach the tasks to their service records and sum up each service's state."""
    by_id = dict((r["full_id"], r) for r in records)
    for raw in raw_tasks:
        record = by_id.get(raw.get("ServiceID"))
        if record is not None:
            record["tasks"].append(task_record(raw, nodes, record["healthcheck"]))
    for record in records:
        record["tasks"].sort(key=lambda t: (t["slot"] or 0, t["node"] or "", t["id"]))
        running = [t for t in record["tasks"] if t["state"] == "running"]
        record["running"] = len(running)
        if record["desired"] is None:
            # A global service wants one task on each eligible node: the tasks that should run.
            record["desired"] = len([t for t in record["tasks"] if t["desired_state"] == "running"])
        record["nodes"] = sorted(set(t["node"] for t in running if t["node"]))
        if record["desired"] == 0:
            record["state"] = "stopped"
        elif len(running) >= record["desired"]:
            record["state"] = "running"
        else:
            record["state"] = "partial" if running else "pending"


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


# -------------------------------------------------------------------- health


def container_view(records, container):
    """Docker's view of one catalog container on a swarm, in the shape of
    ``health.probes.inspect_container``'s answer, from the service records (with tasks) that carry
    its unit's identity. It is running when every desired replica runs; until then it takes the
    state of a task that does not run yet (``starting`` while a healthcheck has not passed)."""
    result = {"state": None, "health": None, "ip": None, "network_mode": None, "error": None}
    matches = [r for r in records if container == r["container"] or container in r["aliases"]]
    chosen = [r for r in matches if r["stack"] and r["stack"] == r["unit"]] or matches
    if not chosen:
        result["error"] = "no swarm service runs container %s" % container
        return result
    if len(chosen) > 1:
        result["error"] = "%d swarm services run container %s: %s" % (
            len(chosen), container, ", ".join(sorted(r["name"] for r in chosen)))
        return result
    record = chosen[0]
    running = [t for t in record["tasks"] if t["state"] == "running"]
    waiting = [t for t in record["tasks"] if t["state"] != "running"]
    if record["desired"] and len(running) >= record["desired"]:
        result["state"] = "running"
        result["health"] = "healthy" if record["healthcheck"] else None
    elif waiting:
        result["state"] = waiting[0]["state"]
    else:
        result["state"] = "stopped" if record["desired"] == 0 else "missing"
    addresses = [a for t in running for a in t["addresses"]]
    result["ip"] = addresses[0] if addresses else None
    return result


def inspect_swarm_container(service, environment, container, docker_host=DEFAULT_DOCKER_HOST, timeout=5.0):
    """:func:`container_view` of one catalog container, read from a swarm manager's API."""
    if not service or not environment:
        return dict(container_view([], container), error="a container endpoint on a swarm needs its service and "
                    "environment (the health_targets filter sets both)")
    docker = DockerAPI(docker_host, timeout=timeout)
    try:
        records = [service_record(raw) for raw in docker.services(
            {"label": ["%s=%s" % (LABEL_SERVICE, service), "%s=%s" % (LABEL_ENVIRONMENT, environment)]})]
        if records:
            add_tasks(records, docker.tasks({"service": [r["full_id"] for r in records], "desired-state": ["running"]}),
                      node_names(docker.nodes()))
    except DockerError as exc:
        return dict(container_view([], container), error=str(exc))
    finally:
        docker.close()
    return container_view(records, container)
