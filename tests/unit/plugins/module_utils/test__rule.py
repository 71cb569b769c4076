# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The single-environment rule on hand-written discovery results: no Docker, no processes.

Every case starts from a clean discovery of the base catalog (each unit's rightful compose
project running, each dev server managed) and adds one stray.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.rule import single_environment as rule

DOMAIN = "korczewski.de"
PROD_DB_IP = "172.18.0.3"
DEV_DB_IP = "172.19.0.2"


def load(services):
    return Catalog.load(services, DOMAIN)


def short_id(name):
    return ("%012x" % (abs(hash(name)) % (16 ** 12)))[:12]


def container(name, project, matched="labels", networks=("platform",), database_hosts=None, state="running",
              health="healthy"):
    return {"name": name, "id": short_id(name), "project": project, "state": state, "health": health,
            "image": "local/app-standin:1", "started_at": "2026-01-01T00:00:00Z", "restart_count": 0,
            "matched": matched, "ports": [], "volumes": [], "networks": list(networks),
            "database_hosts": database_hosts or {}}


def dev_server(name, pid, ports, source, managed=True, found_by=("pid_file",), cmdline="npm run dev",
               connections=()):
    return {"name": name, "server": name, "source": source, "managed": managed, "found_by": list(found_by),
            "running": True, "stale": None, "pid": pid, "pids": [pid], "pgrp": pid, "session": pid,
            "ports": list(ports), "comm": cmdline.split()[0], "cmdline": cmdline, "cwd": source, "user": "dev",
            "started": 12.0, "start_time": 1000 + pid, "database_connections": list(connections)}


def clean_discovery(catalog):
    """Every unit's rightful instance runs: its containers in its project, its dev servers managed."""
    units = []
    pid = 5000
    for unit in catalog.units():
        env = catalog.services[unit["service"]].environments[unit["environment"]]
        network = catalog.network_for(env.name)
        local = catalog.unit(unit["service"], unit["environment"])["local_servers"]
        containers = [container(c.name, env.project, networks=[network]) for c in env.containers]
        servers = []
        for i, server in enumerate(env.servers):
            pid += 10
            servers.append(dev_server(local[i]["name"], pid, [server.port], server.source))
        units.append(dict(unit, expected={}, containers=containers,
                          projects=[env.project] if containers else [], dev_servers=servers, state="running",
                          summary="%s/%s" % (unit["service"], unit["environment"])))
    return {"units": units, "unmanaged": [], "orphans": [], "summary": [],
            "database_servers": [
                {"name": "shared-postgres", "id": short_id("shared-postgres"), "environment": "production",
                 "state": "running", "addresses": [PROD_DB_IP], "aliases": ["shared-postgres"], "port": 5432,
                 "published": []},
                {"name": "postgres-dev", "id": short_id("postgres-dev"), "environment": "development",
                 "state": "running", "addresses": [DEV_DB_IP], "aliases": ["postgres-dev"], "port": 5432,
                 "published": [{"address": "127.0.0.1", "port": 5433}]}]}


def unit_of(discovery, key):
    service, environment = key.split("/")
    return [u for u in discovery["units"] if u["service"] == service and u["environment"] == environment][0]


@pytest.fixture
def catalog(base_services):
    return load(base_services)


@pytest.fixture
def discovery(catalog):
    return clean_discovery(catalog)


def test_clean_state_has_no_violations(catalog, discovery):
    assert rule.evaluate(catalog, discovery) == []
    assert rule.format_table([], []) == "no violations"
    assert rule.stop_plan([], []) == []


def test_stopped_units_alone_break_nothing(catalog, discovery):
    for unit in discovery["units"]:
        for cont in unit["containers"]:
            cont["state"] = "exited"
        unit["dev_servers"] = []
        unit["state"] = "stopped"
    assert rule.evaluate(catalog, discovery) == []


def test_second_compose_project_names_its_containers(catalog, discovery):
    l2p = unit_of(discovery, "l2p/development")
    # The seed's style: `docker compose --profile development` in a directory called l2p.
    l2p["containers"] += [container("l2p-frontend-dev-1", "l2p", networks=["platform-dev"]),
                          container("l2p-backend-dev-1", "l2p", networks=["platform-dev"])]
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["second_project"]
    violation = violations[0]
    assert violation["unit"] == "l2p/development"
    assert "second compose project l2p" in violation["reason"]
    assert "rightful project is l2p-development" in violation["reason"]
    assert sorted(s["name"] for s in violation["strays"]) == ["l2p-backend-dev-1", "l2p-frontend-dev-1"]
    assert all(s["project"] == "l2p" and not s["rightful"] for s in violation["strays"])
    plan = rule.stop_plan(violations)
    assert sorted(t["id"] for t in plan) == sorted([short_id("l2p-frontend-dev-1"), short_id("l2p-backend-dev-1")])
    assert all(t["kind"] == "container" for t in plan)


def test_two_foreign_projects_are_two_violations(catalog, discovery):
    unit_of(discovery, "auth/production")["containers"] += [container("auth-a", "auth-old"),
                                                            container("auth-b", "auth-blue")]
    violations = rule.evaluate(catalog, discovery)
    assert [(v["kind"], [s["project"] for s in v["strays"]]) for v in violations] == [
        ("second_project", ["auth-blue"]), ("second_project", ["auth-old"])]


def test_labelled_container_outside_any_project(catalog, discovery):
    # docker run --label korczewski.platform.service=l2p --label korczewski.platform.environment=development
    unit_of(discovery, "l2p/development")["containers"].append(
        container("ztest-l2p-dev-stray", None, networks=["platform-dev"]))
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["outside_project"]
    assert "ztest-l2p-dev-stray (%s)" % short_id("ztest-l2p-dev-stray") in violations[0]["reason"]
    assert "outside its compose project l2p-development" in violations[0]["reason"]
    table = rule.format_table(violations)
    assert "ztest-l2p-dev-stray" in table and short_id("ztest-l2p-dev-stray") in table


def test_labelled_container_of_an_npm_unit_is_a_second_instance(catalog, discovery):
    unit_of(discovery, "auth/development")["containers"].append(
        container("auth-dev-container", "auth-development", networks=["platform-dev"]))
    # Even in a compose project named like the unit: auth/development is its dev server.
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["outside_project"]
    assert "runs as a dev server" in violations[0]["reason"]
    assert "auth-dev-container (%s)" % short_id("auth-dev-container") in violations[0]["reason"]
    assert [t["name"] for t in rule.stop_plan(violations)] == ["auth-dev-container"]


def test_name_matched_container_is_left_to_the_unmanaged_list(catalog, discovery):
    # A container matched by name only is reported through discovery's unmanaged list, not twice.
    unit_of(discovery, "auth/production")["containers"].append(container("auth-service-old", "auth", matched="name"))
    assert rule.evaluate(catalog, discovery) == []


def test_hand_started_process_in_the_source_directory_is_a_second_dev_server(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    managed_pid = auth["dev_servers"][0]["pid"]
    stray = dev_server("auth-development", 7001, [8080], "/home/patrick/projects/auth", managed=False,
                       found_by=["source"], cmdline="python3 -m http.server 8080")
    stray["pgrp"], stray["session"] = 7001, 900
    auth["dev_servers"].append(stray)
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["second_dev_server"]
    reason = violations[0]["reason"]
    assert "pid 7001 (python3 -m http.server 8080)" in reason
    assert "in its source directory /home/patrick/projects/auth" in reason
    assert "port 8080" in reason and "managed dev server is pid %d" % managed_pid in reason
    stray_out = violations[0]["strays"][0]
    assert stray_out["kind"] == "process" and stray_out["pid"] == 7001 and stray_out["port"] == 8080
    assert stray_out["pgrp"] == 7001 and not stray_out["rightful"]
    plan = rule.stop_plan(violations)
    assert [(t["kind"], t["pid"], t["pgrp"]) for t in plan] == [("process", 7001, 7001)]


def test_process_in_the_source_directory_without_a_port_is_no_dev_server(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    auth["dev_servers"].append(dev_server("auth-development", 7002, [], "/home/patrick/projects/auth",
                                          managed=False, found_by=["source"], cmdline="vim server.js"))
    assert rule.evaluate(catalog, discovery) == []


def test_unmanaged_port_holder_while_the_rightful_server_is_stopped(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    auth["dev_servers"] = []
    auth["state"] = "missing"
    squatter = dev_server("auth-development", 7100, [5500], "/home/patrick/projects/auth", managed=False,
                          found_by=["port"], cmdline="python3 -m http.server 5500")
    auth["dev_servers"].append(squatter)
    discovery["unmanaged"].append({
        "kind": "process", "name": "python3", "id": None, "project": None, "pid": 7100,
        "cmdline": "python3 -m http.server 5500", "port": 5500, "volume": None,
        "holds": "port 5500 of dev server auth-development", "unit": "auth/development", "owner": None,
        "state": "running", "pgrp": 7100, "start_time": 8100})
    violations = rule.evaluate(catalog, discovery)
    # Reported once, as the unmanaged holder of the port, though it is a dev-port listener too.
    assert [v["kind"] for v in violations] == ["unmanaged"]
    reason = violations[0]["reason"]
    assert "pid 7100 (python3 -m http.server 5500) holds port 5500" in reason
    assert "the rightful instance is missing" in reason
    assert violations[0]["strays"][0]["start_time"] == 8100
    table = rule.format_table(violations)
    assert "7100" in table and "5500" in table and "python3 -m http.server 5500" in table


def test_unmanaged_container_holding_a_name_a_port_and_a_volume_is_one_stray(catalog, discovery):
    base = {"kind": "container", "name": "videovault-dev", "id": "abcdefabcdef", "project": None, "pid": None,
            "cmdline": None, "volume": None, "unit": "videovault/development", "owner": None, "state": "running",
            "pgrp": None, "start_time": None}
    discovery["unmanaged"] += [
        dict(base, holds="container name videovault-dev", port=None),
        dict(base, holds="port 5100 of container videovault-dev", port=5100),
        dict(base, holds="volume videovault-dev-media", port=None, volume="videovault-dev-media"),
    ]
    violations = rule.evaluate(catalog, discovery)
    assert len(violations) == 1 and violations[0]["kind"] == "unmanaged"
    reason = violations[0]["reason"]
    assert ("container name videovault-dev and port 5100 of container videovault-dev and volume "
            "videovault-dev-media") in reason
    assert "without the identity labels of videovault/development" in reason
    assert violations[0]["strays"][0]["port"] == 5100
    assert [t["id"] for t in rule.stop_plan(violations)] == ["abcdefabcdef"]


def test_rightful_container_of_another_unit_on_a_port_is_never_planned(catalog, discovery):
    # l2p-backend-dev, deployed from an older catalog, still publishes a port that is now auth's.
    discovery["unmanaged"].append({
        "kind": "container", "name": "l2p-backend-dev", "id": short_id("l2p-backend-dev"),
        "project": "l2p-development", "pid": None, "cmdline": None, "port": 5500, "volume": None,
        "holds": "port 5500 of dev server auth-development", "unit": "auth/development",
        "owner": "l2p/development", "state": "running", "pgrp": None, "start_time": None})
    violations = rule.evaluate(catalog, discovery)
    assert len(violations) == 1
    assert violations[0]["strays"][0]["rightful"] is True
    assert "while it belongs to l2p/development" in violations[0]["reason"]
    assert rule.stop_plan(violations) == []
    assert rule.unfixable(violations) == violations
    assert "rightful instance: fix its configuration" in rule.format_table(violations)


def test_managed_dev_server_of_another_unit_is_never_planned(catalog, discovery):
    discovery["unmanaged"].append({
        "kind": "process", "name": "node", "id": None, "project": None, "pid": 5020, "cmdline": "node server.js",
        "port": 3004, "volume": None, "holds": "port 3004 of dev server payment-development",
        "unit": "payment/development", "owner": "auth/development", "state": "running", "pgrp": 5020,
        "start_time": 6020})
    violations = rule.evaluate(catalog, discovery)
    assert violations[0]["strays"][0]["rightful"] is True
    assert "managed dev server of auth/development" in violations[0]["reason"]
    assert rule.stop_plan(violations) == []


def test_development_container_on_the_production_network(catalog, discovery):
    backend = unit_of(discovery, "l2p/development")["containers"][1]
    backend["networks"] = ["platform-dev", "platform"]
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["production_database"]
    assert "l2p-backend-dev" in violations[0]["reason"]
    assert "attached to the production network platform" in violations[0]["reason"]
    # It is the rightful container: reported, never stopped.
    assert violations[0]["strays"][0]["rightful"] is True
    assert rule.stop_plan(violations) == []
    assert rule.unfixable(violations) == violations


def test_development_container_pointing_at_the_production_database(catalog, discovery):
    backend = unit_of(discovery, "l2p/development")["containers"][1]
    backend["database_hosts"] = {"DATABASE_HOST": "postgres-dev", "DATABASE_URL": "shared-postgres"}
    violations = rule.evaluate(catalog, discovery)
    assert len(violations) == 1
    assert "DATABASE_URL pointing at the production database server shared-postgres" in violations[0]["reason"]
    assert "DATABASE_HOST" not in violations[0]["reason"]


def test_database_host_by_address_is_recognised(catalog, discovery):
    unit_of(discovery, "videovault/development")["containers"][0]["database_hosts"] = {"DATABASE_HOST": PROD_DB_IP}
    violations = rule.evaluate(catalog, discovery)
    assert [v["unit"] for v in violations] == ["videovault/development"]


def test_development_pointing_at_its_own_database_is_fine(catalog, discovery):
    unit_of(discovery, "l2p/development")["containers"][1]["database_hosts"] = {
        "DATABASE_HOST": "postgres-dev", "DATABASE_URL": DEV_DB_IP}
    assert rule.evaluate(catalog, discovery) == []


def test_production_may_use_the_production_database(catalog, discovery):
    unit_of(discovery, "auth/production")["containers"][0]["database_hosts"] = {"DATABASE_HOST": "shared-postgres"}
    assert rule.evaluate(catalog, discovery) == []


def test_opt_in_allows_development_on_production_data(base_services):
    base_services["l2p"]["environments"]["development"]["use_production_database"] = True
    catalog = load(base_services)
    discovery = clean_discovery(catalog)
    backend = unit_of(discovery, "l2p/development")["containers"][1]
    backend["networks"] = ["platform-dev", "platform"]
    backend["database_hosts"] = {"DATABASE_HOST": "shared-postgres"}
    assert rule.evaluate(catalog, discovery) == []
    # The opt-in is per service: videovault development on production data still breaks the rule.
    unit_of(discovery, "videovault/development")["containers"][0]["database_hosts"] = {"DATABASE_HOST": "shared-postgres"}
    assert [v["unit"] for v in rule.evaluate(catalog, discovery)] == ["videovault/development"]


def test_dev_process_connected_to_the_production_database(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    auth["dev_servers"][0]["database_connections"] = [
        {"server": "shared-postgres", "environment": "production", "address": PROD_DB_IP, "port": 5432,
         "pid": auth["dev_servers"][0]["pid"] + 1}]
    violations = rule.evaluate(catalog, discovery)
    assert [v["kind"] for v in violations] == ["production_database"]
    assert "connected to the production database at %s:5432 (shared-postgres)" % PROD_DB_IP in violations[0]["reason"]
    assert violations[0]["strays"][0]["rightful"] is True


def test_dev_process_connected_to_the_development_database_is_fine(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    auth["dev_servers"][0]["database_connections"] = [
        {"server": "postgres-dev", "environment": "development", "address": "127.0.0.1", "port": 5433, "pid": 1}]
    assert rule.evaluate(catalog, discovery) == []


def test_orphans_are_not_violations_but_are_tabled_and_planned(catalog, discovery):
    discovery["orphans"] = [{"name": "legacy-api", "id": "0123456789ab", "project": "legacy-production",
                             "service": "legacy", "environment": "production", "state": "running"}]
    violations = rule.evaluate(catalog, discovery)
    assert violations == []
    table = rule.format_table(violations, discovery["orphans"])
    assert "legacy-api" in table and "0123456789ab" in table and "legacy-production" in table
    assert "labelled for legacy/production, which is not in the catalog" in table
    assert rule.stop_plan(violations) == []
    plan = rule.stop_plan(violations, discovery["orphans"])
    assert [(t["kind"], t["id"]) for t in plan] == [("container", "0123456789ab")]
    assert plan[0]["reason"].startswith("orphan")


def test_a_dev_server_orphan_is_planned_by_pid_and_start_time(catalog, discovery):
    # Its service left the catalog: discovery reports it as an orphan of kind process (no id).
    discovery["orphans"] = [{"kind": "process", "name": "legacy-development", "comm": "node", "id": None,
                             "project": None, "pid": 4242, "pgrp": 4242, "start_time": 99, "cmdline": "npm run dev",
                             "ports": [5599], "service": "legacy", "environment": "development", "state": "running"}]
    table = rule.format_table([], discovery["orphans"])
    assert "dev server of legacy/development, which is not in the catalog" in table and "4242" in table
    plan = rule.stop_plan([], discovery["orphans"])
    assert [(t["kind"], t["pid"], t["start_time"], t["pgrp"]) for t in plan] == [("process", 4242, 99, 4242)]
    assert plan[0]["reason"] == "orphan: dev server of legacy/development, which is not in the catalog"


def test_stop_plan_lists_each_stray_once(catalog, discovery):
    stray = container("ztest-l2p-dev-stray", None, networks=["platform-dev", "platform"])
    unit_of(discovery, "l2p/development")["containers"].append(stray)
    violations = rule.evaluate(catalog, discovery)
    # Outside its project and on the production network: two violations, one container to stop.
    assert sorted(v["kind"] for v in violations) == ["outside_project", "production_database"]
    plan = rule.stop_plan(violations, [{"name": stray["name"], "id": stray["id"], "service": "x",
                                        "environment": "y", "project": None}])
    assert [t["id"] for t in plan] == [stray["id"]]


def test_units_missing_from_the_catalog_are_skipped(catalog, discovery):
    extra = copy.deepcopy(unit_of(discovery, "auth/production"))
    extra["service"] = "gone"
    extra["containers"] = [container("gone", "elsewhere")]
    discovery["units"].append(extra)
    assert rule.evaluate(catalog, discovery) == []


def test_table_has_one_row_per_stray_and_every_column(catalog, discovery):
    unit_of(discovery, "auth/production")["containers"].append(container("auth-copy", "auth-blue"))
    auth_dev = unit_of(discovery, "auth/development")
    auth_dev["dev_servers"].append(dev_server("auth-development", 7300, [9000], "/home/patrick/projects/auth",
                                              managed=False, found_by=["source"], cmdline="node server.js"))
    violations = rule.evaluate(catalog, discovery)
    lines = rule.format_table(violations).splitlines()
    assert lines[0].split() == ["UNIT", "VIOLATION", "KIND", "NAME", "ID", "PROJECT", "PID", "PORT", "COMMAND",
                                "REASON"]
    assert len(lines) == 3
    container_row = [line for line in lines if "auth-copy" in line][0]
    assert short_id("auth-copy") in container_row and "auth-blue" in container_row
    process_row = [line for line in lines if "7300" in line][0]
    assert "9000" in process_row and "node server.js" in process_row and "auth/development" in process_row


def test_long_command_lines_are_cut_in_the_table(catalog, discovery):
    auth = unit_of(discovery, "auth/development")
    auth["dev_servers"].append(dev_server("auth-development", 7400, [9001], "/home/patrick/projects/auth",
                                          managed=False, found_by=["source"], cmdline="node " + "x" * 300))
    table = rule.format_table(rule.evaluate(catalog, discovery))
    row = table.splitlines()[1]
    assert "x" * 57 + "..." in row
    assert "x" * 300 not in row
