# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Endpoint validation, default conditions and the summary table (no probes)."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.health.check import (
    failure_message,
    normalize_endpoints,
    summary_table,
)


def one(raw):
    endpoints, errors, warnings = normalize_endpoints([raw])
    return endpoints[0], errors, warnings


def test_catalog_health_targets_are_accepted_as_they_are(catalog):
    targets = catalog.health_targets(https_port=18443)
    endpoints, errors, warnings = normalize_endpoints(targets)
    assert (errors, warnings) == ([], [])
    assert [ep.name for ep in endpoints] == [t["name"] for t in targets]
    kinds = {ep.kind for ep in endpoints}
    assert kinds == {"https", "http", "tcp", "container"}
    auth = next(ep for ep in endpoints if ep.name == "auth-service")
    assert (auth.kind, auth.url, auth.port, auth.host) == (
        "https", "https://auth.korczewski.de:18443/health", 18443, "auth.korczewski.de")
    assert [c.text for c in auth.conditions] == ["[STATUS] == 200"]


@pytest.mark.parametrize("raw, kind, conditions", [
    ({"name": "a", "kind": "https", "url": "https://a.example/health"}, "https", ["[STATUS] == 200"]),
    ({"name": "a", "kind": "http", "url": "http://127.0.0.1:3000/"}, "http", ["[STATUS] == 200"]),
    ({"name": "a", "kind": "tcp", "port": 4100}, "tcp", ["[CONNECTED] == true"]),
    ({"name": "a", "kind": "container"}, "container", ["[CONTAINER_HEALTH] == healthy"]),
    ({"name": "a", "kind": "container", "port": 6333}, "container",
     ["[CONTAINER_HEALTH] == healthy", "[CONNECTED] == true"]),
    ({"name": "a", "kind": "tcp", "port": 1, "conditions": []}, "tcp", ["[CONNECTED] == true"]),
    ({"name": "a", "kind": "tcp", "port": 1, "conditions": "[CONNECTED] == false"}, "tcp", ["[CONNECTED] == false"]),
    # kind inferred
    ({"name": "a", "url": "https://a.example/"}, "https", ["[STATUS] == 200"]),
    ({"name": "a", "url": "http://a.example/"}, "http", ["[STATUS] == 200"]),
    ({"name": "a", "container": "c"}, "container", ["[CONTAINER_HEALTH] == healthy"]),
    ({"name": "a", "port": 22}, "tcp", ["[CONNECTED] == true"]),
])
def test_kinds_and_default_conditions(raw, kind, conditions):
    ep, errors, _warnings = one(raw)
    assert errors == []
    assert ep.kind == kind
    assert ep.condition_texts == conditions


def test_container_name_defaults_to_the_endpoint_name():
    ep, errors, _warnings = one({"name": "qdrant-dev", "kind": "container"})
    assert (errors, ep.container, ep.target) == ([], "qdrant-dev", "container qdrant-dev")


def test_url_port_is_the_port_and_a_matching_port_key_is_fine():
    ep, errors, _warnings = one({"name": "vllm", "kind": "http", "url": "http://127.0.0.1:4100/health", "port": 4100})
    assert (errors, ep.port) == ([], 4100)
    ep, errors, _warnings = one({"name": "a", "kind": "https", "url": "https://a.example/x"})
    assert ep.port == 443


@pytest.mark.parametrize("raw, message", [
    ({"kind": "tcp", "port": 1}, "endpoints[0]: name is required"),
    ({"name": "a"}, "endpoints[0] (a): kind is required (one of https, http, tcp, container)"),
    ({"name": "a", "kind": "udp", "port": 1}, "endpoints[0] (a): kind 'udp' is not one of https, http, tcp, container"),
    ({"name": "a", "kind": "https"}, "endpoints[0] (a): url is required for kind https"),
    ({"name": "a", "kind": "https", "url": "http://a.example/"},
     "endpoints[0] (a): url 'http://a.example/' does not start with https:// although kind is https"),
    ({"name": "a", "kind": "http", "url": "http:///x"}, "endpoints[0] (a): url 'http:///x' has no host"),
    ({"name": "a", "kind": "http", "url": "http://a:99999/"}, "endpoints[0] (a): url 'http://a:99999/' is not valid"),
    ({"name": "a", "kind": "http", "url": "http://a:80/", "port": 81},
     "endpoints[0] (a): port 81 differs from the url's port 80 (the url decides)"),
    ({"name": "a", "kind": "tcp"}, "endpoints[0] (a): port is required for kind tcp"),
    ({"name": "a", "kind": "tcp", "port": 70000}, "endpoints[0] (a): port 70000 is not a TCP port for kind tcp"),
    ({"name": "a", "kind": "tcp", "port": 1, "host": 5}, "endpoints[0] (a): host must be a string, got 5"),
    ({"name": "a", "kind": "tcp", "port": 1, "timeout": 0},
     "endpoints[0] (a): timeout must be a positive number of seconds, got 0"),
    ({"name": "a", "kind": "tcp", "port": 1, "conditions": {"x": 1}}, "endpoints[0] (a): conditions must be a list of strings"),
    ({"name": "a", "kind": "tcp", "port": 1, "conditions": ["[STATU] == 200"]},
     "endpoints[0] (a): condition '[STATU] == 200': unknown placeholder [STATU]"),
    ({"name": "a", "kind": "tcp", "port": 1, "conditions": ["[STATUS] == 200"]},
     "endpoints[0] (a): condition '[STATUS] == 200': a tcp probe does not measure [STATUS] "
     "(it measures [CONNECTED], [RESPONSE_TIME])"),
    ({"name": "a", "kind": "http", "url": "http://a/", "conditions": ["[CERTIFICATE_EXPIRATION] > 1d"]},
     "endpoints[0] (a): condition '[CERTIFICATE_EXPIRATION] > 1d': a http probe does not measure [CERTIFICATE_EXPIRATION]"),
    ({"name": "a", "kind": "container", "conditions": ["[CONNECTED] == true"]},
     "endpoints[0] (a): condition '[CONNECTED] == true': a container probe without port does not measure [CONNECTED]"),
])
def test_invalid_endpoints_are_named(raw, message):
    _ep, errors, _warnings = one(raw)
    assert any(error.startswith(message) for error in errors), errors


def test_every_error_is_collected_before_any_probe():
    endpoints, errors, _warnings = normalize_endpoints([
        {"name": "a", "kind": "tcp", "port": 1, "conditions": ["[STATU] == 1", "[CONNECTED] == perhaps"]},
        {"name": "a", "kind": "tcp", "port": 1},
        "not a mapping",
    ])
    assert len(endpoints) == 2
    assert errors == [
        "endpoints[0] (a): condition '[STATU] == 1': unknown placeholder [STATU]; known: [STATUS], [RESPONSE_TIME], "
        "[BODY], [CERTIFICATE_EXPIRATION], [CONNECTED], [CONTAINER_HEALTH], [CONTAINER_STATE]",
        "endpoints[0] (a): condition '[CONNECTED] == perhaps': [CONNECTED] compares with true or false",
        "endpoints[1] (a): name 'a' is also used by endpoints[0]",
        "endpoints[2]: must be a mapping, got 'not a mapping'",
    ]


def test_unknown_keys_are_warnings_not_errors():
    _ep, errors, warnings = one({"name": "a", "kind": "tcp", "port": 1, "layer": "control", "conditon": "x"})
    assert errors == []
    assert warnings == ["endpoints[0] (a): ignoring unknown keys conditon, layer (known: name, service, environment, kind, "
                        "url, host, address, port, container, conditions, timeout)"]


def result(name, target, ok=True, status=None, latency=None, failed=(), attempts=1, kind="http", **extra):
    res = {"name": name, "target": target, "kind": kind, "ok": ok, "status": status, "latency_ms": latency,
           "failed_conditions": list(failed), "attempts": attempts, "container_health": None, "connected": None}
    res.update(extra)
    return res


def test_summary_table_aligns_columns():
    table = summary_table([
        result("auth-service", "https://auth.platform.localhost:18443/health", status=200, latency=12.4, connected=True),
        result("l2p-api", "http://127.0.0.1:3001/health", ok=False, status=502, latency=3.0,
               failed=["[STATUS] == 200 (got 502)"], attempts=3, connected=True),
        result("qdrant-dev", "container qdrant-dev", kind="container", container_health="healthy"),
        result("vllm", "127.0.0.1:4100", ok=False, kind="tcp", connected=False,
               failed=["[CONNECTED] == true (got false)"]),
        result("x", "http://127.0.0.1:1/", ok=False, failed=["[STATUS] == 200 ([STATUS] has no value: timed out)"]),
    ])
    assert table.splitlines() == [
        "NAME          TARGET                                        STATUS   LATENCY  RESULT",
        "auth-service  https://auth.platform.localhost:18443/health  200        12 ms  ok",
        "l2p-api       http://127.0.0.1:3001/health                  502         3 ms  FAIL [STATUS] == 200 (got 502) [3 attempts]",
        "qdrant-dev    container qdrant-dev                          healthy        -  ok",
        "vllm          127.0.0.1:4100                                closed         -  FAIL [CONNECTED] == true (got false)",
        "x             http://127.0.0.1:1/                           -              -  FAIL [STATUS] == 200 ([STATUS] has no value: timed out)",
    ]


def test_failure_message_lists_every_failed_endpoint():
    message = failure_message([
        result("a", "t1"),
        result("b", "t2", ok=False, failed=["[STATUS] == 200 (got 502)", "[BODY].x == 1 (got 2)"]),
        result("c", "t3", ok=False, failed=["[CONNECTED] == true (got false)"]),
    ])
    assert message.splitlines() == [
        "2 of 3 endpoints failed:",
        "b (t2): [STATUS] == 200 (got 502); [BODY].x == 1 (got 2)",
        "c (t3): [CONNECTED] == true (got false)",
    ]
