# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Docker Swarm's services and tasks as records, and one catalog container's state read from them.

The swarm API's answers (GET /services, /tasks, /nodes) become the records swarm.discovery
attributes to units and the health check reads (:func:`inspect_swarm_container`). This module
needs no catalog: the health check, which probes a swarm's containers, imports it alone.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    LABEL_CONTAINER,
    LABEL_ENVIRONMENT,
    LABEL_SERVICE,
    LABEL_UNIT,
)
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import (
    DEFAULT_DOCKER_HOST,
    DockerAPI,
    DockerError,
)

# Docker's own label naming the stack a service belongs to.
STACK_LABEL = "com.docker.stack.namespace"

# Docker keeps a task whose container has a healthcheck "starting" until the check passes.
_ENDED = ("complete", "shutdown", "failed", "rejected", "orphaned", "remove")


def service_record(raw):
    """The facts of one entry of GET /services; labels are the service's, else its containers'."""
    spec = raw.get("Spec") or {}
    template = spec.get("TaskTemplate") or {}
    container = template.get("ContainerSpec") or {}
    labels = dict(container.get("Labels") or {})
    labels.update(spec.get("Labels") or {})
    stack = labels.get(STACK_LABEL)
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
