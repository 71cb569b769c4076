# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of swarm discovery, on answers saved from a real swarm manager (swarm_api/README.md):
service and task records, attribution to units, unit state, the rule's second stack and a
container's health read from tasks. The live swarm is exercised in
tests/integration/plugins/module_utils/test_swarm_discovery.py.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.health.probes import container_health
from ansible_collections.korczewski.platform.plugins.module_utils.rule import single_environment as rule
from ansible_collections.korczewski.platform.plugins.module_utils.swarm import discovery as swarm
from ansible_collections.korczewski.platform.plugins.module_utils.swarm import services

DOMAIN = "korczewski.de"
SAVED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "swarm_api")
NODE = "ztest-swarmdisc-node"


def saved(name):
    with open(os.path.join(SAVED, name + ".json")) as handle:
        return json.load(handle)


class Engine:
    """Answers GET /services, /tasks and /nodes with what a real manager answered."""

    def __init__(self, services, tasks, nodes):
        self._services, self._tasks, self._nodes = services, tasks, nodes
        self.task_filters = []

    def services(self, filters=None):
        return copy.deepcopy(self._services)

    def tasks(self, filters=None):
        self.task_filters.append(filters)
        return copy.deepcopy(self._tasks)

    def nodes(self, filters=None):
        return copy.deepcopy(self._nodes)


def by_name(records):
    return dict((r["name"], r) for r in records)


@pytest.fixture
def catalog(base_services):
    return Catalog.load(base_services, DOMAIN)


@pytest.fixture
def records():
    found = [services.service_record(raw) for raw in saved("services")]
    services.add_tasks(found, saved("tasks"), services.node_names(saved("nodes")))
    return by_name(found)


def relabel(services, name, **labels):
    """The saved services with one service's identity labels changed (service and container labels alike)."""
    services = copy.deepcopy(services)
    for raw in services:
        if raw["Spec"]["Name"] == name:
            for where in (raw["Spec"]["Labels"], raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"]):
                where.update(dict(("korczewski.platform.%s" % k, v) for k, v in labels.items()))
    return services


def discover(catalog, services=None):
    engine = Engine(services if services is not None else saved("services"), saved("tasks"), saved("nodes"))
    return swarm.SwarmDiscovery(catalog, docker=engine).run(), engine


# ------------------------------------------------------------------ records


def test_service_record_reads_stack_identity_replicas_and_ports(records):
    auth = records["auth-production_auth-service"]
    assert auth["kind"] == "service"
    assert (auth["stack"], auth["project"], auth["unit"]) == ("auth-production", "auth-production", "auth-production")
    assert auth["labels"] == {"service": "auth", "environment": "production"}
    assert (auth["mode"], auth["desired"], auth["healthcheck"]) == ("replicated", 2, True)
    assert auth["container"] == "auth-service"
    assert auth["aliases"] == ["auth-service"]
    assert auth["ports"] == [47180]
    assert auth["image"] == "local/app-standin:1"
    copied = records["auth-copy_copy"]
    assert (copied["stack"], copied["unit"], copied["container"]) == ("auth-copy", None, "copy")
    assert copied["labels"] == {"service": "auth", "environment": "production"}


def test_tasks_give_running_replicas_nodes_and_why_one_waits(records):
    auth = records["auth-production_auth-service"]
    assert (auth["running"], auth["state"], auth["nodes"]) == (1, "partial", [NODE])
    running, pending = auth["tasks"]
    assert (running["state"], running["health"], running["node"], running["slot"]) == ("running", "healthy", NODE, 1)
    assert running["container_id"] == "58f4df1dadf1"
    assert running["addresses"] == ["10.0.1.2"]
    assert (pending["state"], pending["node"], pending["container_id"]) == ("pending", None, None)
    assert pending["error"] == "no suitable node (host-mode port already in use on 1 node)"
    copied = records["auth-copy_copy"]
    assert [(t["state"], t["health"]) for t in copied["tasks"]] == [("starting", "starting")]
    assert (copied["running"], copied["state"], copied["nodes"]) == (0, "pending", [])


def test_a_task_killed_as_unhealthy_says_so():
    found = [services.service_record(raw) for raw in saved("services_unhealthy")]
    services.add_tasks(found, saved("tasks_unhealthy"), services.node_names(saved("nodes")))
    tasks = found[0]["tasks"]
    failed = [t for t in tasks if t["state"] == "failed"]
    assert len(failed) == 2
    assert all(t["health"] == "unhealthy" and t["exit_code"] == 137 and t["desired_state"] == "shutdown"
               for t in failed)
    # Its successor waits out the restart delay.
    waiting = [t for t in tasks if t["state"] != "failed"]
    assert [(t["state"], t["desired_state"], t["health"], t["exit_code"]) for t in waiting] == [
        ("ready", "ready", None, None)]
    assert (found[0]["running"], found[0]["state"]) == (0, "pending")


def test_task_health_without_a_healthcheck_is_unknown():
    assert services.task_health("running", False) is None
    assert services.task_health("running", True) == "healthy"
    assert services.task_health("pending", True) is None


# ------------------------------------------------------------------ discovery and the rule


def test_the_unit_is_found_with_its_stack_services_and_tasks(catalog):
    result, engine = discover(catalog)
    assert result["engine"] == "swarm"
    assert engine.task_filters == [{"desired-state": ["running"]}]
    units = dict(("%s/%s" % (u["service"], u["environment"]), u) for u in result["units"])
    auth = units["auth/production"]
    assert auth["stack"] == "auth-production"
    assert auth["stacks"] == ["auth-copy", "auth-production"]
    assert [s["name"] for s in auth["services"]] == ["auth-copy_copy", "auth-production_auth-service"]
    assert auth["containers"] == [] and auth["dev_servers"] == []
    assert auth["state"] == "partial"
    assert auth["summary"] == ("auth/production: 1/2 tasks running (1 pending) on %s, stack auth-production; "
                               "also 1 service outside the stack" % NODE)
    assert units["auth/development"]["stack"] is None
    assert units["auth/development"]["summary"] == \
        "auth/development: not on the swarm (development runs on its development host)"
    assert units["l2p/production"]["state"] == "missing"
    assert result["orphans"] == [] and result["unmanaged"] == []


def test_a_second_stack_is_a_violation_naming_both_stacks_and_the_service(catalog):
    result, dummy = discover(catalog)
    violations = rule.evaluate(catalog, result)
    assert len(violations) == 1
    violation = violations[0]
    assert (violation["kind"], violation["unit"]) == (rule.SECOND_STACK, "auth/production")
    assert violation["reason"] == ("second stack auth-copy for auth/production (the rightful stack is auth-production): "
                                   "services auth-copy_copy (bz9hf97o9x29)")
    stray = violation["strays"][0]
    assert (stray["kind"], stray["name"], stray["project"], stray["rightful"]) == (
        "service", "auth-copy_copy", "auth-copy", False)
    plan = rule.stop_plan(violations)
    assert [(t["kind"], t["id"]) for t in plan] == [("service", "bz9hf97o9x29")]
    assert "auth-copy_copy" in rule.format_table(violations)


def test_the_rightful_stack_alone_breaks_nothing(catalog):
    services = [s for s in saved("services") if s["Spec"]["Name"] != "auth-copy_copy"]
    result, dummy = discover(catalog, services)
    assert rule.evaluate(catalog, result) == []


def test_a_development_identity_on_the_swarm_is_a_stray(catalog):
    result, dummy = discover(catalog, relabel(saved("services"), "auth-copy_copy", environment="development"))
    violations = rule.evaluate(catalog, result)
    assert [(v["kind"], v["unit"]) for v in violations] == [(rule.SECOND_STACK, "auth/development")]
    assert violations[0]["reason"] == ("auth/development runs on its development host, not on the swarm: service "
                                       "auth-copy_copy (bz9hf97o9x29) of stack auth-copy carries its identity labels")


def test_a_service_of_a_unit_left_the_catalog_is_an_orphan_removed_as_a_service(catalog):
    result, dummy = discover(catalog, relabel(saved("services"), "auth-copy_copy", service="gone"))
    assert rule.evaluate(catalog, result) == []
    assert result["orphans"] == [{"kind": "service", "name": "auth-copy_copy", "id": "bz9hf97o9x29",
                                  "project": "auth-copy", "service": "gone", "environment": "production",
                                  "state": "pending"}]
    plan = rule.stop_plan([], result["orphans"])
    assert [(t["kind"], t["name"]) for t in plan] == [("service", "auth-copy_copy")]
    assert "orphan     service" in rule.format_table([], result["orphans"])


def test_a_service_on_a_catalog_port_is_an_unmanaged_holder(catalog):
    services = copy.deepcopy(saved("services"))
    for raw in services:
        for port in raw.get("Endpoint", {}).get("Ports", []):
            port["PublishedPort"] = 443   # Traefik's
    result, dummy = discover(catalog, services)
    held = [u for u in result["unmanaged"] if u["unit"] == "traefik/production"]
    assert [(u["kind"], u["name"], u["port"]) for u in held] == [("service", "auth-production_auth-service", 443)]
    reasons = [v["reason"] for v in rule.evaluate(catalog, result) if v["kind"] == rule.UNMANAGED]
    assert reasons == ["unmanaged service auth-production_auth-service (d4yuajvonmsq, stack auth-production) holds "
                       "port 443 of container traefik while it belongs to auth/production (the rightful instance is "
                       "missing)"]
    # It is auth's own stack: never removed (only the second stack is), its configuration needs the fix.
    assert [t["name"] for t in rule.stop_plan(rule.evaluate(catalog, result))] == ["auth-copy_copy"]
    assert [v["kind"] for v in rule.unfixable(rule.evaluate(catalog, result))] == [rule.UNMANAGED]


# ------------------------------------------------------------------ health from tasks


def test_container_view_waits_for_every_replica(records):
    view = services.container_view(list(records.values()), "auth-service")
    assert (view["state"], view["error"], view["ip"]) == ("pending", None, "10.0.1.2")
    assert container_health(view["state"], view["health"]) == "pending"
    records["auth-production_auth-service"]["desired"] = 1
    view = services.container_view(list(records.values()), "auth-service")
    assert (view["state"], view["health"]) == ("running", "healthy")


def test_container_view_prefers_the_units_own_stack_and_names_what_is_missing(records):
    stray = copy.deepcopy(records["auth-production_auth-service"])
    stray.update(name="auth-copy_auth-service", stack="auth-copy", tasks=[])
    view = services.container_view(list(records.values()) + [stray], "auth-service")
    assert view["state"] == "pending"
    assert services.container_view(list(records.values()), "nope")["error"] == "no swarm service runs container nope"
    unhealthy = [services.service_record(raw) for raw in saved("services_unhealthy")]
    services.add_tasks(unhealthy, [t for t in saved("tasks_unhealthy") if t["DesiredState"] != "shutdown"], {})
    view = services.container_view(unhealthy, "sick")
    assert container_health(view["state"], view["health"]) == "ready"
