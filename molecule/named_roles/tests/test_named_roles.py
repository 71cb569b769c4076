# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each named role touches its own service only, judged from the snapshots converge and side_effect
took around every role: every container with the platform's identity labels (id, state, start and
stop times) and the databases of both database servers.

Converge applied the roles in order from nothing, side_effect in reverse order with every
application container stopped. So for any two roles, one run applied the first while the other's
containers were missing or stopped: creating, starting, recreating or removing them shows as a
changed entry of another service."""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = helpers.facts("named-roles-converge.json")
RECORDS = CONVERGE["records"]
SIDE_EFFECT = helpers.facts("named-roles-side-effect.json")
SERVICES = [r["service"] for r in RECORDS]
# Which service owns each database, per server.
DATABASE_OWNER = {(d["server"], d["name"]): d["service"] for d in CONVERGE["databases"]}


def role(record):
    return record["role"]


def environments(record):
    return {"production", "development"} if record["environment"] == "all" else {record["environment"]}


def state(container):
    return container["id"], container["status"], container["started"], container["finished"]


def containers(snapshot, service, own=True):
    """name -> container of the service's containers (own) or of every other service's."""
    return {c["name"].lstrip("/"): c for c in snapshot["containers"] if (c["service"] == service) == own}


def test_the_records_cover_every_named_role_in_both_orders():
    assert [role(r) for r in RECORDS] == ["auth", "l2p", "payment", "videovault", "vllm_rag"]
    assert [role(r) for r in SIDE_EFFECT] == [role(r) for r in reversed(RECORDS)]
    assert SERVICES == ["auth", "l2p", "payment", "videovault", "vllm-rag"]


@pytest.mark.parametrize("record", RECORDS, ids=role)
def test_a_role_creates_containers_of_its_own_service_only(record):
    before = {c["id"] for c in record["before"]["containers"]}
    created = [c for c in record["after"]["containers"] if c["id"] not in before]
    assert created, "%s created no container" % role(record)
    strays = ["%s (%s)" % (c["name"], c["service"]) for c in created if c["service"] != record["service"]]
    assert not strays, "%s created containers of other services: %s" % (role(record), strays)
    for container in created:
        assert container["environment"] in environments(record), container
        assert container["project"] == "%s-%s" % (record["service"], container["environment"]), container
        assert container["status"] == "running", container


def test_all_means_both_environments():
    l2p = next(r for r in RECORDS if role(r) == "l2p")
    assert l2p["environment"] == "all"
    assert {c["environment"] for c in containers(l2p["after"], "l2p").values()} == {"production", "development"}


@pytest.mark.parametrize("record", RECORDS + SIDE_EFFECT,
                         ids=["converge-" + role(r) for r in RECORDS] + ["side_effect-" + role(r) for r in SIDE_EFFECT])
def test_a_role_leaves_every_other_container_as_it_was(record):
    before = {name: state(c) for name, c in containers(record["before"], record["service"], own=False).items()}
    after = {name: state(c) for name, c in containers(record["after"], record["service"], own=False).items()}
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    assert not changed, "%s changed containers of other services: %s" % (
        role(record), json.dumps({name: [before.get(name), after.get(name)] for name in changed}, indent=1))


def test_side_effect_started_from_every_application_stopped():
    first = SIDE_EFFECT[0]["before"]["containers"]
    applications = [c for c in first if c["service"] in SERVICES]
    assert applications and all(c["status"] == "exited" for c in applications), applications
    # The infrastructure kept running, so a role that restarted it would show.
    assert all(c["status"] == "running" for c in first if c["service"] not in SERVICES)


@pytest.mark.parametrize("record", SIDE_EFFECT, ids=role)
def test_a_role_starts_its_own_stopped_containers_in_place(record):
    before = containers(record["before"], record["service"])
    after = containers(record["after"], record["service"])
    assert before and all(c["status"] == "exited" for c in before.values()), before
    assert {n: c["id"] for n, c in after.items()} == {n: c["id"] for n, c in before.items()}
    assert all(c["status"] == "running" for c in after.values()), after


@pytest.mark.parametrize("record", RECORDS, ids=role)
def test_a_role_creates_databases_of_its_own_service_only_and_drops_none(record):
    for server, names in record["after"]["databases"].items():
        old = set(record["before"]["databases"][server])
        assert old <= set(names), "%s dropped %s on %s" % (role(record), sorted(old - set(names)), server)
        for name in set(names) - old:
            assert DATABASE_OWNER.get((server, name)) == record["service"], (role(record), server, name)


@pytest.mark.parametrize("dropped", CONVERGE["dropped"], ids=lambda d: "%s-%s" % (d["server"], d["name"]))
def test_the_role_of_a_dropped_database_provisions_it_first(dropped):
    service = DATABASE_OWNER[(dropped["server"], dropped["name"])]
    record = next(r for r in RECORDS if r["service"] == service)
    assert dropped["name"] not in record["before"]["databases"][dropped["server"]]
    assert dropped["name"] in record["after"]["databases"][dropped["server"]]


def test_auth_production_reaches_the_database_its_role_provisioned():
    host = "auth.%s" % CONVERGE["domain"]
    status, body = helpers.curl_body("https://%s:%d/health" % (host, CONVERGE["https_port"]),
                                     ca_cert=CONVERGE["ca_cert"], pin=(CONVERGE["https_port"],))
    assert status == 200, body
    assert json.loads(body)["database"] == "reachable", body


def test_l2p_development_reaches_the_database_its_role_provisioned():
    backend = containers(RECORDS[-1]["after"], "l2p")["l2p-backend-dev"]
    port = helpers.inspect(backend["id"])["NetworkSettings"]["Ports"]["3001/tcp"][0]["HostPort"]
    status, body = helpers.curl_body("http://127.0.0.1:%s/health" % port)
    assert status == 200, body
    assert json.loads(body)["database"] == "reachable", body


def test_auth_development_runs_its_dev_server():
    status, body = helpers.curl_body("http://127.0.0.1:5500/health")
    assert status == 200, body
    health = json.loads(body)
    assert health["service"] == "auth" and health["database"] == "reachable", health
