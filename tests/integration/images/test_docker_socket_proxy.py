# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The socket proxy's coarse sections (the docker-socket-proxy contract, what another image of it
gets; the roles run this image with an exact ALLOW_PATHS list, test_docker_socket_proxy_allow_paths.py
and the Molecule scenarios), run against this machine's real Docker engine: reads of containers,
events, info and images pass; creating, removing and exec are refused; stop, start and restart
pass with POST=0 because they are allowed one by one. Its own throwaway container is the only one
stopped.

Runs local/docker-socket-proxy:1 (tests/images/docker-socket-proxy) as ztest-socket-proxy on
127.0.0.1:47375 and local/debian:bookworm as ztest-socket-proxy-victim; both removed after.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time

import pytest

IMAGE = "local/docker-socket-proxy:1"
PROXY = "ztest-socket-proxy"
VICTIM = "ztest-socket-proxy-victim"
PORT = 47375
DASHBOARD_SETTINGS = {"CONTAINERS": "1", "EVENTS": "1", "INFO": "1", "IMAGES": "1", "POST": "0",
                      "ALLOW_START": "1", "ALLOW_STOP": "1", "ALLOW_RESTARTS": "1"}


def _docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check)


def _present(image):
    return shutil.which("docker") is not None and _docker("image", "inspect", image, check=False).returncode == 0


pytestmark = pytest.mark.skipif(not _present(IMAGE) or not _present("local/debian:bookworm"),
                                reason="needs Docker and the local/docker-socket-proxy:1 image (scripts/testbed.sh)")


def request(method, path, body=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _run_proxy(settings):
    _docker("rm", "-f", PROXY, check=False)
    env = []
    for key, value in sorted(settings.items()):
        env += ["-e", "%s=%s" % (key, value)]
    _docker("run", "-d", "--name", PROXY, "-v", "/var/run/docker.sock:/var/run/docker.sock",
            "-p", "127.0.0.1:%d:2375" % PORT, *env, IMAGE)
    deadline = time.monotonic() + 20
    while True:
        try:
            if request("GET", "/_ping", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the proxy did not answer: %s" % _docker("logs", PROXY, check=False).stderr)
        time.sleep(0.2)


@pytest.fixture
def proxy():
    def start(settings=None):
        _run_proxy(DASHBOARD_SETTINGS if settings is None else settings)
    yield start
    _docker("rm", "-f", PROXY, check=False)


@pytest.fixture
def victim():
    _docker("rm", "-f", VICTIM, check=False)
    cid = _docker("run", "-d", "--name", VICTIM, "--label", "ztest=socket-proxy", "local/debian:bookworm",
                  "sleep", "infinity").stdout.strip()
    yield cid
    _docker("rm", "-f", VICTIM, check=False)


def state_of(name):
    return _docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()


def test_reads_pass_and_creating_a_container_is_refused(proxy, victim):
    proxy()
    status, body = request("GET", "/v1.41/containers/json?all=1")
    assert status == 200
    assert VICTIM in [n.lstrip("/") for c in json.loads(body) for n in c["Names"]]
    for path in ("/v1.41/info", "/v1.41/images/json", "/_ping", "/v1.41/version"):
        assert request("GET", path)[0] == 200, path
    assert request("GET", "/v1.41/events?since=0&until=1")[0] == 200
    for path in ("/v1.41/volumes", "/v1.41/networks", "/v1.41/secrets"):
        assert request("GET", path)[0] == 403, path
    status, dummy = request("POST", "/v1.41/containers/create?name=ztest-socket-proxy-created",
                            {"Image": "local/debian:bookworm", "Cmd": ["true"]})
    assert status == 403
    assert _docker("inspect", "ztest-socket-proxy-created", check=False).returncode != 0
    assert request("POST", "/v1.41/containers/%s/exec" % VICTIM, {"Cmd": ["true"]})[0] == 403
    assert request("DELETE", "/v1.41/containers/%s?force=1" % VICTIM)[0] == 403
    assert state_of(VICTIM) == "running"


def test_stop_start_and_restart_pass_with_post_disabled(proxy, victim):
    proxy()
    assert request("POST", "/v1.41/containers/%s/stop?t=1" % VICTIM)[0] == 204
    assert state_of(VICTIM) == "exited"
    assert request("POST", "/v1.41/containers/%s/start" % VICTIM)[0] == 204
    assert state_of(VICTIM) == "running"
    assert request("POST", "/v1.41/containers/%s/restart?t=1" % VICTIM)[0] == 204
    assert state_of(VICTIM) == "running"


def test_without_allow_stop_a_stop_is_refused(proxy, victim):
    proxy({"CONTAINERS": "1", "POST": "0"})
    assert request("POST", "/v1.41/containers/%s/stop?t=1" % VICTIM)[0] == 403
    assert request("GET", "/v1.41/info")[0] == 403
    assert state_of(VICTIM) == "running"
