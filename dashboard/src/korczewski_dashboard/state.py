# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The page's model: every (service, environment) of the catalog, expected against observed.

Pure functions over the catalog, a discovery result (``discovery.discovery.discover``), the rule's
violations (``rule.single_environment.evaluate``) and the health history: no I/O, so every case is a unit test.
The rule itself is never judged here; this module only arranges what the collection decided.
"""

from __future__ import annotations

import collections
import time

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import ENVIRONMENTS
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import unit_containers
from ansible_collections.korczewski.platform.plugins.module_utils.rule.single_environment import stop_plan

RUNNING = "running"
PARTIAL = "partial"
STOPPED = "stopped"
MISSING = "missing"
UNHEALTHY = "unhealthy"
VIOLATING = "violating"
# Worst first: the order a unit's status is picked in and the page sorts by.
SEVERITY = (VIOLATING, UNHEALTHY, PARTIAL, STOPPED, MISSING, RUNNING)
# Restart policies under which an exited container stays exited on purpose.
_ONESHOT_POLICIES = ("no", "on-failure", "", None)


class HealthHistory:
    """The last ``size`` results of every health endpoint, newest last, kept in memory."""

    def __init__(self, size=20):
        self.size = size
        self._rings = {}

    def add(self, result, at=None):
        ring = self._rings.setdefault(result["name"], collections.deque(maxlen=self.size))
        ring.append(dict(result, at=at if at is not None else time.time()))

    def latest(self, name):
        ring = self._rings.get(name)
        return ring[-1] if ring else None

    def samples(self, name):
        return list(self._rings.get(name) or ())

    def forget_except(self, names):
        for name in set(self._rings) - set(names):
            del self._rings[name]


def is_oneshot(container):
    """A container that finished its job: exited 0 under a policy that does not restart it."""
    return (container.get("state") == "exited" and container.get("exit_code") == 0
            and container.get("restart_policy") in _ONESHOT_POLICIES)


def _stray_running(stray, containers_by_id):
    if stray["kind"] == "process":
        return True
    record = containers_by_id.get(stray.get("id"))
    # A stray the discovery no longer lists is gone; one listed but not running serves nothing.
    return record is not None and record.get("state") in ("running", "restarting", "paused")


def _containers_by_id(discovery):
    found = {}
    for unit in discovery.get("units") or []:
        for cont in unit.get("containers") or []:
            found[cont["id"]] = cont
    for item in discovery.get("unmanaged") or []:
        if item.get("kind") == "container" and item.get("id") not in found:
            found[item["id"]] = {"id": item["id"], "name": item.get("name"), "state": item.get("state")}
    for orphan in discovery.get("orphans") or []:
        found.setdefault(orphan["id"], orphan)
    return found


def arrange_violations(violations, discovery):
    """Violations with their strays' run state: ``active`` ones (a stray is running) break the
    rule now; the rest are stopped leftovers. Each stray that the rule would stop is ``stoppable``."""
    by_id = _containers_by_id(discovery)
    arranged = []
    for violation in violations:
        planned = set((t["kind"], t["id"] or t["pid"]) for t in stop_plan([violation]))
        strays = []
        for stray in violation["strays"]:
            running = _stray_running(stray, by_id)
            ident = (stray["kind"], stray["id"] if stray["kind"] == "container" else stray["pid"])
            strays.append(dict(stray, running=running, stoppable=running and ident in planned,
                               target=_target(stray)))
        arranged.append(dict(violation, strays=strays, active=any(s["running"] for s in strays)))
    arranged.sort(key=lambda v: (not v["active"], v["unit"]))
    return arranged


def _target(stray):
    """The action's handle for a stray: a container id or a pid with its start time."""
    if stray["kind"] == "container":
        return "container:%s" % stray["id"]
    return "process:%s:%s" % (stray["pid"], stray.get("start_time"))


def unit_status(unit, replicas, health, active_violations):
    """(status, state, reasons) of one discovered unit.

    ``state`` is what runs of the rightful instance (running, partial, stopped, missing,
    unhealthy); ``status`` is that, or ``violating`` when a stray of the unit runs. A finished
    one-shot container counts as done, never as missing; a container or endpoint that fails its
    health check makes the unit unhealthy, never running.
    """
    own = unit_containers(unit)
    running = [c for c in own if c.get("state") == "running"]
    done = [c for c in own if is_oneshot(c)]
    servers = [s for s in unit.get("dev_servers") or [] if s.get("managed")]
    want_servers = len((unit.get("expected") or {}).get("servers") or [])
    servers_up = sorted(set(s["name"] for s in servers if s.get("running")))
    reasons = []
    up = min(len(running) + len(done), replicas) + len(servers_up)
    sick = [c for c in running if c.get("health") == "unhealthy"]
    failing = [h for h in health if h.get("ok") is False]
    for cont in sick:
        reasons.append("container %s is unhealthy" % cont["name"])
    if not running and not servers_up:
        state = STOPPED if own or servers else MISSING
        if own and len(done) == len(own) and done:
            state = RUNNING
    elif sick or failing:
        state = UNHEALTHY
        for result in failing:
            reasons.append("%s: %s" % (result["name"], "; ".join(result.get("failed_conditions") or [])
                                       or result.get("error") or "failed"))
    elif up >= replicas + want_servers:
        state = RUNNING
    else:
        state = PARTIAL
        reasons.append("%d of %d expected instances up" % (up, replicas + want_servers))
    status = VIOLATING if active_violations else state
    return status, state, reasons


def _container_view(cont):
    return {
        "name": cont.get("name"), "id": cont.get("id"), "image": cont.get("image"), "state": cont.get("state"),
        "health": cont.get("health"), "started_at": cont.get("started_at"), "restart_count": cont.get("restart_count"),
        "exit_code": cont.get("exit_code"), "oneshot": is_oneshot(cont), "project": cont.get("project"),
        "ports": cont.get("ports") or [],
    }


def _server_view(server):
    return {
        "name": server.get("name"), "managed": bool(server.get("managed")), "running": bool(server.get("running")),
        "pid": server.get("pid"), "ports": server.get("ports") or [], "uptime": server.get("started"),
        "command": server.get("cmdline"), "user": server.get("user"), "stale": server.get("stale"),
    }


def _health_view(history, name):
    samples = history.samples(name)
    latest = samples[-1] if samples else None
    if latest is None:
        return {"name": name, "ok": None, "status": None, "latency_ms": None, "certificate_days": None,
                "error": None, "failed_conditions": [], "history": [], "target": None}
    hours = latest.get("certificate_expires_in_hours")
    return {
        "name": name, "ok": latest.get("ok"), "status": latest.get("status") or latest.get("container_health"),
        "latency_ms": latest.get("latency_ms"), "target": latest.get("target"),
        "certificate_days": round(hours / 24.0, 1) if hours is not None else None,
        "error": latest.get("error"), "failed_conditions": latest.get("failed_conditions") or [],
        "history": [{"ok": s.get("ok"), "latency_ms": s.get("latency_ms"), "at": s.get("at")} for s in samples],
    }


def build_status(catalog, discovery, violations, history, endpoints_by_unit, now=None):
    """The whole page as plain data (also ``/api/status``).

    ``endpoints_by_unit`` maps ``service/environment`` to the names of its health endpoints (from
    the catalog's ``health_targets``); ``history`` is a :class:`HealthHistory`.
    """
    arranged = arrange_violations(violations, discovery)
    active_by_unit = {}
    for violation in arranged:
        if violation["active"]:
            active_by_unit.setdefault(violation["unit"], []).append(violation)
    units = dict(("%s/%s" % (u["service"], u["environment"]), u) for u in discovery.get("units") or [])
    services = []
    counts = dict((s, 0) for s in SEVERITY)
    for name in catalog.ordered():
        svc = catalog.services[name]
        row = {"service": name, "layer": svc.layer, "description": svc.description, "environments": {}}
        for env_name in ENVIRONMENTS:
            env = svc.environments.get(env_name)
            if env is None:
                row["environments"][env_name] = None
                continue
            key = "%s/%s" % (name, env_name)
            unit = units.get(key) or {"service": name, "environment": env_name, "project": env.project,
                                      "method": env.method, "containers": [], "dev_servers": [], "expected": {}}
            health = [_health_view(history, ep) for ep in endpoints_by_unit.get(key, [])]
            replicas = sum(c.replicas for c in env.containers)
            status, state, reasons = unit_status(unit, replicas, [h for h in health if h["ok"] is not None],
                                                 active_by_unit.get(key))
            counts[status] += 1
            expected = unit.get("expected") or {}
            row["environments"][env_name] = {
                "unit": key, "status": status, "state": state, "reasons": reasons, "method": env.method,
                "project": env.project, "hostname": catalog.hostname(env),
                "expected": {"containers": [c.name for c in env.containers], "replicas": replicas,
                             "ports": expected.get("ports") or [],
                             "servers": [s.get("name") for s in expected.get("servers") or []]},
                "summary": unit.get("summary"),
                "containers": [_container_view(c) for c in unit.get("containers") or []],
                "dev_servers": [_server_view(s) for s in unit.get("dev_servers") or []],
                "health": health,
                "violations": len(active_by_unit.get(key) or []),
            }
        services.append(row)
    return {
        "generated_at": now if now is not None else time.time(),
        "violations": arranged,
        "active_violations": sum(1 for v in arranged if v["active"]),
        "orphans": discovery.get("orphans") or [],
        "services": services,
        "counts": counts,
        "discovery_elapsed": discovery.get("elapsed"),
    }


def violations_per_service(status):
    """{service: active violation count} for every catalog service (metrics)."""
    counts = dict((row["service"], 0) for row in status["services"])
    for violation in status["violations"]:
        if violation["active"]:
            service = violation["unit"].split("/", 1)[0]
            counts[service] = counts.get(service, 0) + 1
    return counts
