# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control dashboard as site.yml deploys it (roles/dashboard): behind Traefik at
dashboard.<domain>, with a login, reaching Docker only through its socket proxy. The browser test
of tests/integration/dashboard runs in real headless Chromium against this deployment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position
import socket_proxy  # noqa: E402  pylint: disable=wrong-import-position
from helpers import inspect  # noqa: E402  pylint: disable=wrong-import-position

FACTS = helpers.facts("platform-facts.json")
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
HOST = "dashboard.%s" % FACTS["domain"]
URL = "https://%s:%d" % (HOST, FACTS["https_port"])
ARTIFACTS = os.path.join(REPO, "tests", "output", "dashboard")


def password():
    with open(os.path.join(FACTS["credentials_dir"], "dashboard", "password"), encoding="utf-8") as handle:
        return handle.read().strip()


def test_only_the_socket_proxy_mounts_the_docker_socket():
    app = inspect("vllm-dashboard")
    proxy = inspect("vllm-dashboard-socket-proxy")
    assert not any("docker.sock" in (m.get("Source") or "") for m in app["Mounts"]), app["Mounts"]
    assert any(m.get("Source") == "/var/run/docker.sock" and not m["RW"] for m in proxy["Mounts"]), proxy["Mounts"]
    # Only the dashboard reaches the proxy: the proxy sits on the unit's internal network alone.
    assert list(proxy["NetworkSettings"]["Networks"]) != [] and FACTS["network"] not in proxy["NetworkSettings"]["Networks"]
    assert app["Config"]["Image"].startswith("local/korczewski-dashboard:")


PROXY_ADDRESS = "socket-proxy:2375"
VICTIM = "molecule-dashboard-proxy-victim"


@pytest.fixture(scope="module")
def victim():
    """A throwaway container, unknown to the catalog, for the verbs sent through the proxy."""
    helpers.docker("rm", "-f", VICTIM, check=False)
    helpers.docker("run", "-d", "--name", VICTIM, "--network", "none", "local/debian:bookworm", "sleep", "infinity")
    yield VICTIM
    helpers.docker("rm", "-f", VICTIM, check=False)


def test_the_proxy_allows_exactly_what_the_dashboard_calls(victim):
    """Discovery's reads, the event stream, start, stop and restart pass; kill, logs, files,
    images, info, exec and create answer 403 (the coarse CONTAINERS and ALLOW_RESTARTS sections
    of the docker-socket-proxy contract would let the first ones through)."""
    cid = inspect(victim)["Id"]
    for method, path in (("GET", "/version"), ("GET", "/v1.41/version"), ("GET", "/v1.41/containers/json?all=1"),
                         ("GET", "/v1.41/containers/%s/json" % cid), ("GET", "/v1.41/events?since=0&until=1")):
        assert socket_proxy.request("vllm-dashboard", PROXY_ADDRESS, method, path) == 200, (method, path)
    assert socket_proxy.forbidden("vllm-dashboard", PROXY_ADDRESS, victim) == []
    for method, path in (("GET", "/_ping"), ("GET", "/v1.41/networks"), ("GET", "/v1.41/services"),
                         ("POST", "/v1.41/containers/%s/unpause" % cid), ("POST", "/v1.41/containers/%s/update" % cid),
                         ("POST", "/v1.41/containers/%s/rename?name=x" % cid)):
        assert socket_proxy.request("vllm-dashboard", PROXY_ADDRESS, method, path) == 403, (method, path)
    assert socket_proxy.state_of(victim) == "running"
    assert socket_proxy.request("vllm-dashboard", PROXY_ADDRESS, "POST", "/v1.41/containers/%s/stop?t=1" % cid) == 204
    assert socket_proxy.state_of(victim) == "exited"
    assert socket_proxy.request("vllm-dashboard", PROXY_ADDRESS, "POST", "/v1.41/containers/%s/start" % cid) == 204
    assert socket_proxy.state_of(victim) == "running"
    assert socket_proxy.request("vllm-dashboard", PROXY_ADDRESS, "POST", "/v1.41/containers/%s/restart?t=1" % cid) == 204
    assert socket_proxy.state_of(victim) == "running"


def test_everything_but_health_needs_a_login_through_traefik():
    pin = (FACTS["https_port"],)
    assert helpers.curl_body(URL + "/healthz", ca_cert=FACTS["ca_cert"], pin=pin)[0] == 200
    for path in ("/", "/api/status", "/metrics"):
        status, body = helpers.curl_body(URL + path, ca_cert=FACTS["ca_cert"], pin=pin)
        assert status in (302, 303, 401), (path, status, body[:200])
    status, body = helpers.curl_body(URL + "/api/status", "-u", "admin:%s" % password(), ca_cert=FACTS["ca_cert"], pin=pin)
    assert status == 200, body[:300]
    services = {row["service"] for row in json.loads(body)["services"]}
    assert services >= {"traefik", "shared-postgres", "auth", "l2p", "payment", "videovault", "vllm-rag", "dashboard"}, services


def test_the_browser_test_passes_against_the_deployed_dashboard():
    """Log in, see every service, a hand-started l2p development stray appear without a reload,
    stop it from the page, be refused a second start, find both in the audit log; the uptime table
    and sparklines of the history; screenshots kept."""
    env = dict(os.environ, DASHBOARD_URL=URL, DASHBOARD_PASSWORD=password(), DASHBOARD_ARTIFACTS=ARTIFACTS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           os.path.join(REPO, "tests", "integration", "dashboard", "test_browser.py"),
                           "-k", "control_a_stray or uptime"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "2 passed" in out and "skipped" not in out, out[-3000:]
    assert any(name.endswith(".png") for name in os.listdir(ARTIFACTS)), os.listdir(ARTIFACTS)
