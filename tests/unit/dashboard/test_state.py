# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's state model: expected against observed, violations first, one-shot
containers and health, over discovery results shaped like discovery's and the rule's own
verdicts (_rule.evaluate is called, never imitated)."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.rule.single_environment import evaluate
from korczewski_dashboard import state


def container(name, project, service, environment, running=True, **extra):
    record = {"name": name, "id": (name.replace("-", "") + "0" * 12)[:12], "project": project,
              "state": "running" if running else "exited", "health": None, "image": "local/app-standin:1",
              "started_at": "2026-01-02T03:04:05Z", "restart_count": 0, "exit_code": 0 if running else 137,
              "restart_policy": "unless-stopped", "matched": "labels", "ports": [], "volumes": [],
              "networks": [], "database_hosts": {}}
    record.update(extra)
    return record


def discovery_of(catalog, containers=(), dev_servers=None, unmanaged=()):
    """A discovery result for the catalog: every unit, with the given containers attributed to the
    unit their labels name (``service/environment`` in ``unit``)."""
    units = []
    for unit in catalog.units():
        key = "%s/%s" % (unit["service"], unit["environment"])
        env = catalog.services[unit["service"]].environments[unit["environment"]]
        units.append(dict(unit, expected={"containers": [c.name for c in env.containers], "ports": [],
                                          "servers": [{"name": s.name} for s in env.servers]},
                          containers=[dict(c) for c in containers if c.get("unit") == key],
                          dev_servers=(dev_servers or {}).get(key, []), projects=[], summary=key))
    return {"units": units, "unmanaged": list(unmanaged), "orphans": [], "elapsed": 0.01}


def rightful(catalog, service, environment, **extra):
    env = catalog.services[service].environments[environment]
    return [container(c.name, env.project, service, environment, unit="%s/%s" % (service, environment), **extra)
            for c in env.containers]


def everything_running(catalog, **extra):
    result = []
    for unit in catalog.units():
        if unit["method"] != "npm":
            result.extend(rightful(catalog, unit["service"], unit["environment"], **extra))
    return result


def build(catalog, discovery, history=None, endpoints=None):
    return state.build_status(catalog, discovery, evaluate(catalog, discovery), history or state.HealthHistory(),
                              endpoints or {}, now=1.0)


def cell(status, service, environment):
    for row in status["services"]:
        if row["service"] == service:
            return row["environments"][environment]
    raise LookupError(service)


def test_every_service_and_environment_of_the_catalog_is_a_cell(catalog):
    status = build(catalog, discovery_of(catalog))
    assert [row["service"] for row in status["services"]] == catalog.ordered()
    for row in status["services"]:
        for env in ("production", "development"):
            declared = env in catalog.services[row["service"]].environments
            assert (row["environments"][env] is not None) == declared
    # Nothing runs: containers are missing, never running.
    assert cell(status, "auth", "production")["status"] == state.MISSING
    assert cell(status, "auth", "production")["expected"]["containers"] == ["auth-service"]
    assert status["violations"] == [] and status["counts"][state.RUNNING] == 0


def test_running_stopped_and_partial_come_from_the_rightful_project(catalog):
    conts = everything_running(catalog)
    for cont in conts:
        if cont["name"] == "l2p-api":
            cont["state"] = "exited"
    conts += [dict(c, state="exited", exit_code=137) for c in rightful(catalog, "videovault", "production")]
    conts = [c for c in conts if not (c["name"] == "videovault" and c["state"] == "running")]
    status = build(catalog, discovery_of(catalog, conts))
    assert cell(status, "auth", "production")["status"] == state.RUNNING
    assert cell(status, "l2p", "production")["status"] == state.PARTIAL
    assert cell(status, "videovault", "production")["status"] == state.STOPPED
    assert cell(status, "auth", "production")["containers"][0]["image"] == "local/app-standin:1"


def test_unhealthy_is_never_running(catalog):
    conts = everything_running(catalog)
    for cont in conts:
        if cont["name"] == "auth-service":
            cont["health"] = "unhealthy"
    status = build(catalog, discovery_of(catalog, conts))
    auth = cell(status, "auth", "production")
    assert auth["status"] == state.UNHEALTHY and "auth-service is unhealthy" in auth["reasons"][0]


def test_a_failing_health_probe_makes_a_running_unit_unhealthy(catalog):
    history = state.HealthHistory(size=3)
    history.add({"name": "web", "ok": False, "status": 503, "latency_ms": 4.0, "failed_conditions": ["[STATUS] == 200 (503)"],
                 "error": None, "certificate_expires_in_hours": 240.0}, at=1.0)
    status = build(catalog, discovery_of(catalog, everything_running(catalog)), history, {"payment/production": ["web"]})
    payment = cell(status, "payment", "production")
    assert payment["status"] == state.UNHEALTHY
    assert payment["health"][0]["status"] == 503 and payment["health"][0]["certificate_days"] == 10.0
    assert "[STATUS] == 200 (503)" in payment["reasons"][0]


def test_a_finished_one_shot_container_does_not_turn_its_stack_red(catalog):
    conts = everything_running(catalog)
    for cont in conts:
        if cont["name"] == "rag-ingest-engine":
            cont.update(state="exited", exit_code=0, restart_policy="no")
    status = build(catalog, discovery_of(catalog, conts))
    rag = cell(status, "vllm-rag", "production")
    assert rag["status"] == state.RUNNING
    assert [c["oneshot"] for c in rag["containers"] if c["name"] == "rag-ingest-engine"] == [True]
    # The same container crashed (or stopped under a restart policy) is not done: the stack is partial.
    for cont in conts:
        if cont["name"] == "rag-ingest-engine":
            cont.update(exit_code=1)
    assert cell(build(catalog, discovery_of(catalog, conts)), "vllm-rag", "production")["status"] == state.PARTIAL


def stray_l2p(catalog, running=True):
    return container("ztest-l2p-stray", None, "l2p", "development", running=running, unit="l2p/development")


def test_violations_stand_first_and_name_each_stray(catalog):
    conts = everything_running(catalog) + [stray_l2p(catalog)]
    status = build(catalog, discovery_of(catalog, conts))
    assert status["active_violations"] == 1
    first = status["violations"][0]
    assert first["unit"] == "l2p/development" and first["active"]
    assert "ztest-l2p-stray" in first["reason"]
    stray = first["strays"][0]
    assert stray["name"] == "ztest-l2p-stray" and stray["stoppable"] and stray["target"].startswith("container:")
    l2p = cell(status, "l2p", "development")
    assert l2p["status"] == state.VIOLATING and l2p["state"] == state.RUNNING
    assert state.violations_per_service(status)["l2p"] == 1


def test_a_stopped_stray_is_a_leftover_not_an_active_violation(catalog):
    conts = everything_running(catalog) + [stray_l2p(catalog, running=False)]
    status = build(catalog, discovery_of(catalog, conts))
    assert status["active_violations"] == 0 and len(status["violations"]) == 1
    assert not status["violations"][0]["strays"][0]["stoppable"]
    assert cell(status, "l2p", "development")["status"] == state.RUNNING


def test_active_violations_sort_before_leftovers(catalog):
    conts = everything_running(catalog) + [stray_l2p(catalog, running=False)]
    conts.append(container("ztest-auth-second", "ztest-other", "auth", "production", unit="auth/production"))
    status = build(catalog, discovery_of(catalog, conts))
    assert [v["active"] for v in status["violations"]] == [True, False]
    assert status["violations"][0]["kind"] == "second_project"


def test_a_rightful_instance_breaking_the_rule_is_not_stoppable(catalog):
    # The managed dev server of auth/development also holds payment/development's port.
    servers = {"auth/development": [{"name": "auth-development", "managed": True, "running": True, "pid": 4242,
                                     "ports": [5500, 3004], "session": 4242, "pgrp": 4242, "started": 12.5,
                                     "cmdline": "npm run dev", "user": "platform-dev", "found_by": ["pid_file"]}]}
    unmanaged = [{"kind": "process", "name": "node", "id": None, "project": None, "pid": 4242, "cmdline": "npm run dev",
                  "port": 3004, "volume": None, "holds": "port 3004 of dev server payment-development",
                  "unit": "payment/development", "owner": "auth/development", "state": "running", "pgrp": 4242,
                  "start_time": 99}]
    status = build(catalog, discovery_of(catalog, everything_running(catalog), servers, unmanaged))
    violation = [v for v in status["violations"] if v["unit"] == "payment/development"][0]
    assert violation["active"] and not violation["strays"][0]["stoppable"]
    auth = cell(status, "auth", "development")
    assert auth["status"] == state.RUNNING
    assert auth["dev_servers"][0]["pid"] == 4242 and auth["dev_servers"][0]["uptime"] == 12.5


def test_health_history_is_a_ring_per_endpoint():
    history = state.HealthHistory(size=3)
    for i in range(5):
        history.add({"name": "a", "ok": i % 2 == 0, "latency_ms": float(i)}, at=float(i))
    history.add({"name": "b", "ok": True, "latency_ms": 1.0}, at=9.0)
    assert [s["latency_ms"] for s in history.samples("a")] == [2.0, 3.0, 4.0]
    assert history.latest("a")["at"] == 4.0 and history.latest("missing") is None
    history.forget_except(["b"])
    assert history.samples("a") == [] and len(history.samples("b")) == 1


@pytest.mark.parametrize("record,expected", [
    ({"state": "exited", "exit_code": 0, "restart_policy": "no"}, True),
    ({"state": "exited", "exit_code": 0, "restart_policy": "on-failure"}, True),
    ({"state": "exited", "exit_code": 0, "restart_policy": "unless-stopped"}, False),
    ({"state": "exited", "exit_code": 2, "restart_policy": "no"}, False),
    ({"state": "running", "exit_code": 0, "restart_policy": "no"}, False),
])
def test_one_shot_means_finished_successfully_and_not_restarted(record, expected):
    assert state.is_oneshot(record) is expected
