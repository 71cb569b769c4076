# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Health probes against real sockets: local HTTP and HTTPS servers, closed ports, Docker containers.

The HTTPS server holds a certificate for svc.ztest.localhost from a CA made for the test; nothing
resolves that name here, so a passing probe proves the connect-to-127.0.0.1, Host, SNI and
host-name verification path. Containers are named ztest-health-* and removed afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from health_servers import SERVICE_HOST, free_port  # noqa: E402

from ansible_collections.korczewski.platform.plugins.module_utils.health.check import (  # noqa: E402
    normalize_endpoints,
    run_checks,
)
from ansible_collections.korczewski.platform.plugins.module_utils.health.probes import (  # noqa: E402
    DOCKER_SOCKET,
    ssl_context,
)


def check(raw_endpoints, context=None, **options):
    endpoints, errors, warnings = normalize_endpoints(raw_endpoints)
    assert (errors, warnings) == ([], [])
    options.setdefault("retries", 0)
    options.setdefault("timeout", 3.0)
    return run_checks(endpoints, context=context, **options)


def test_https_connects_to_loopback_with_host_header_sni_and_ca(pki, https_server):
    url = "https://%s:%d/host" % (SERVICE_HOST, https_server.port)
    [result] = check([{"name": "svc", "kind": "https", "url": url, "conditions": [
        "[STATUS] == 200",
        "[BODY].host == %s:%d" % (SERVICE_HOST, https_server.port),
        "[BODY].sni[0] == %s" % SERVICE_HOST,
        "[CERTIFICATE_EXPIRATION] > 9d",
        "[CERTIFICATE_EXPIRATION] < 10d",
        "[RESPONSE_TIME] < 2s",
    ]}], context=ssl_context(pki["ca"]))
    assert result["failed_conditions"] == []
    assert result["ok"] is True
    assert (result["status"], result["address"], result["host"], result["connected"]) == (
        200, "127.0.0.1", SERVICE_HOST, True)
    expected_hours = (pki["not_after"].timestamp() - time.time()) / 3600.0
    assert abs(result["certificate_expires_in_hours"] - expected_hours) < 0.2
    assert 0 < result["latency_ms"] < 2000


def test_https_host_override_on_an_address_url(pki, https_server):
    results = check([
        {"name": "by-host", "kind": "https", "url": "https://127.0.0.1:%d/host" % https_server.port,
         "host": SERVICE_HOST, "conditions": ["[STATUS] == 200", "[BODY].host == %s:%d" % (SERVICE_HOST, https_server.port)]},
        {"name": "by-address", "kind": "https", "url": "https://%s:%d/health" % (SERVICE_HOST, https_server.port),
         "address": "127.0.0.1"},
    ], context=ssl_context(pki["ca"]))
    assert [(r["name"], r["ok"], r["failed_conditions"]) for r in results] == [
        ("by-host", True, []), ("by-address", True, [])]


def test_wrong_ca_fails_with_the_tls_error(pki, https_server):
    url = "https://%s:%d/health" % (SERVICE_HOST, https_server.port)
    [result] = check([{"name": "svc", "kind": "https", "url": url}], context=ssl_context(pki["wrong_ca"]))
    assert result["ok"] is False
    assert result["connected"] is True
    assert result["status"] is None
    # the server sends its chain, so OpenSSL sees the unknown CA itself
    assert result["error"] == "TLS certificate verify failed: self-signed certificate in certificate chain"
    assert result["failed_conditions"] == ["[STATUS] == 200 ([STATUS] has no value: %s)" % result["error"]]


def test_certificate_for_another_name_fails(pki, https_server):
    url = "https://127.0.0.1:%d/health" % https_server.port
    [result] = check([{"name": "svc", "kind": "https", "url": url, "host": "other.ztest.localhost"}],
                     context=ssl_context(pki["ca"]))
    assert result["ok"] is False
    assert "Hostname mismatch" in result["error"]


def test_unverified_tls_still_measures_expiration(pki, https_server):
    url = "https://%s:%d/health" % (SERVICE_HOST, https_server.port)
    [result] = check([{"name": "svc", "kind": "https", "url": url, "conditions": [
        "[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 30d"]}],
        context=ssl_context(pki["wrong_ca"], validate_certs=False))
    assert result["status"] == 200
    assert result["ok"] is False
    [failed] = result["failed_conditions"]
    assert failed.startswith("[CERTIFICATE_EXPIRATION] > 30d (got 2")  # about 240 hours
    assert 239 < result["certificate_expires_in_hours"] <= 240


def test_slow_endpoints_are_probed_concurrently(http_server):
    base = "http://127.0.0.1:%d" % http_server.port
    endpoints = [{"name": "slow-%d" % i, "kind": "http", "url": base + "/slow?s=1"} for i in range(2)]
    endpoints += [{"name": "fast-%d" % i, "kind": "http", "url": base + "/health"} for i in range(10)]
    start = time.monotonic()
    results = check(endpoints, workers=16)
    elapsed = time.monotonic() - start
    assert [r["name"] for r in results] == [e["name"] for e in endpoints]
    assert all(r["ok"] for r in results), [r["failed_conditions"] for r in results]
    assert all(r["latency_ms"] >= 1000 for r in results[:2])
    assert elapsed < 1.8


def test_retries_until_a_pass_and_only_while_failing(http_server):
    base = "http://127.0.0.1:%d" % http_server.port
    tag = uuid.uuid4().hex
    results = check([
        {"name": "recovers", "kind": "http", "url": base + "/flaky?id=%s-a&fail=2" % tag},
        {"name": "gives-up", "kind": "http", "url": base + "/flaky?id=%s-b&fail=5" % tag},
        {"name": "fine", "kind": "http", "url": base + "/health"},
    ], retries=2, retry_interval=0.05)
    summary = [(r["name"], r["ok"], r["attempts"], r["failed_conditions"]) for r in results]
    assert summary == [
        ("recovers", True, 3, []),
        ("gives-up", False, 3, ["[STATUS] == 200 (got 503)"]),
        ("fine", True, 1, []),
    ]


def test_tcp_connect_to_open_and_closed_ports(http_server):
    closed = free_port()
    results = check([
        {"name": "open", "kind": "tcp", "port": http_server.port},
        {"name": "closed", "kind": "tcp", "port": closed},
        {"name": "closed-wanted", "kind": "tcp", "port": closed, "conditions": ["[CONNECTED] == false"]},
    ])
    assert [(r["name"], r["ok"], r["connected"], r["target"]) for r in results] == [
        ("open", True, True, "127.0.0.1:%d" % http_server.port),
        ("closed", False, False, "127.0.0.1:%d" % closed),
        ("closed-wanted", True, False, "127.0.0.1:%d" % closed),
    ]
    assert results[1]["failed_conditions"] == ["[CONNECTED] == true (got false)"]
    assert results[1]["error"] == "connection refused"
    assert results[0]["latency_ms"] is not None


def test_bad_gateway_names_the_failed_condition(http_server):
    [result] = check([{"name": "api", "kind": "http", "url": "http://127.0.0.1:%d/status/502" % http_server.port,
                       "conditions": ["[STATUS] == 200", "[BODY].status == DOWN", "[BODY].detail == x"]}])
    assert result["ok"] is False
    assert result["status"] == 502
    assert result["failed_conditions"] == [
        "[STATUS] == 200 (got 502)",
        "[BODY].detail == x ([BODY].detail did not resolve: [BODY] has no key 'detail')",
    ]


def test_http_refused_names_the_error():
    port = free_port()
    [result] = check([{"name": "down", "kind": "http", "url": "http://127.0.0.1:%d/health" % port}])
    assert (result["ok"], result["connected"], result["error"]) == (False, False, "connection refused")
    assert result["failed_conditions"] == ["[STATUS] == 200 ([STATUS] has no value: connection refused)"]


def test_body_read_is_capped_and_non_json_fails_paths(http_server):
    base = "http://127.0.0.1:%d" % http_server.port
    results = check([
        {"name": "big", "kind": "http", "url": base + "/big", "conditions": ["len([BODY]) == 1048576"]},
        {"name": "text", "kind": "http", "url": base + "/text",
         "conditions": ["[BODY] == pat(*fine*)", "[BODY].status == UP"]},
    ])
    assert results[0]["failed_conditions"] == []
    [failed] = results[1]["failed_conditions"]
    assert failed.startswith("[BODY].status == UP ([BODY].status did not resolve: [BODY] is not JSON")


def test_timeout_bounds_a_slow_answer(http_server):
    start = time.monotonic()
    [result] = check([{"name": "slow", "kind": "http", "url": "http://127.0.0.1:%d/slow?s=1" % http_server.port,
                       "timeout": 0.3}])
    assert time.monotonic() - start < 0.9
    assert (result["ok"], result["error"], result["status"]) == (False, "timed out", None)


# --- Docker ----------------------------------------------------------------------------------

def _docker_usable():
    if shutil.which("docker") is None or not os.access(DOCKER_SOCKET, os.R_OK | os.W_OK):
        return False
    return subprocess.run(["docker", "image", "inspect", "local/python-standin-base:1"],
                          capture_output=True, check=False).returncode == 0


needs_docker = pytest.mark.skipif(not _docker_usable(), reason="needs Docker and local/python-standin-base:1")


@pytest.fixture(scope="module")
def containers():
    prefix = "ztest-health-%s" % uuid.uuid4().hex[:8]
    names = {"web": prefix + "-web", "plain": prefix + "-plain", "created": prefix + "-created"}
    image = "local/python-standin-base:1"
    try:
        subprocess.run(["docker", "run", "-d", "--name", names["web"], "--health-cmd", "true",
                        "--health-interval", "1s", image, "python3", "-m", "http.server", "8080"],
                       check=True, capture_output=True)
        subprocess.run(["docker", "run", "-d", "--name", names["plain"], image, "sleep", "60"],
                       check=True, capture_output=True)
        subprocess.run(["docker", "create", "--name", names["created"], image, "true"],
                       check=True, capture_output=True)
        yield names
    finally:
        subprocess.run(["docker", "rm", "-f"] + list(names.values()), capture_output=True, check=False)


@needs_docker
def test_container_health_state_and_port(containers):
    missing = containers["plain"] + "-missing"
    # starting until the first healthcheck ran, then healthy: retries cover the wait
    [web] = check([{"name": "web", "kind": "container", "container": containers["web"], "port": 8080}],
                  retries=10, retry_interval=0.3)
    assert (web["ok"], web["container_health"], web["container_state"], web["connected"]) == (
        True, "healthy", "running", True), web
    plain, created, gone, closed = check([
        {"name": "plain", "kind": "container", "container": containers["plain"]},
        {"name": "created", "kind": "container", "container": containers["created"],
         "conditions": ["[CONTAINER_HEALTH] == healthy", "[CONTAINER_STATE] == created"]},
        {"name": "missing", "kind": "container", "container": missing},
        {"name": "plain-port", "kind": "container", "container": containers["plain"], "port": 8080},
    ])
    inspect = json.loads(subprocess.run(["docker", "inspect", containers["web"]], capture_output=True,
                                        check=True).stdout)[0]
    ips = [n["IPAddress"] for n in inspect["NetworkSettings"]["Networks"].values() if n["IPAddress"]]
    assert web["address"] == ips[0]
    assert web["target"] == "container %s:8080" % containers["web"]
    assert (plain["ok"], plain["container_health"], plain["attempts"]) == (True, "healthy", 1)
    assert created["container_health"] == "created"
    assert created["failed_conditions"] == ["[CONTAINER_HEALTH] == healthy (got created)"]
    assert (gone["ok"], gone["error"]) == (False, "no container named %r" % missing)
    assert gone["failed_conditions"] == [
        "[CONTAINER_HEALTH] == healthy ([CONTAINER_HEALTH] has no value: no container named %r)" % missing]
    assert (closed["ok"], closed["container_health"], closed["connected"]) == (False, "healthy", False)
    assert closed["failed_conditions"] == ["[CONNECTED] == true (got false)"]


def test_unreachable_docker_socket_is_an_error(tmp_path):
    [result] = check([{"name": "c", "kind": "container", "container": "ztest-x"}],
                     docker_socket=str(tmp_path / "no.sock"))
    assert result["ok"] is False
    assert result["error"].startswith("cannot reach the Docker engine at unix://%s: " % (tmp_path / "no.sock"))
