# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running dashboard for the tests of this directory.

With ``DASHBOARD_URL`` and ``DASHBOARD_PASSWORD`` set (the dashboard deployed through Traefik)
the tests use that one. Otherwise they start the app from this checkout on 127.0.0.1:47440,
reading this machine's Docker engine (``DASHBOARD_TEST_DOCKER_HOST``, default the unix socket)
and the local inventory's catalog rendered by Ansible, with a throwaway
password; it is stopped after the session. Needs the app's dependencies in the running venv
(dashboard/requirements-test.txt).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SRC = os.path.join(REPO, "dashboard", "src")
PORT = 47440
TRUSTED_PROXY = "127.0.0.2"
# The local inventory's state directory, a fresh one under make test (scripts/fresh_state.sh).
STATE_DIR = os.environ.get("PLATFORM_STATE_DIR") or "/var/lib/korczewski-platform/state"

pytest.importorskip("starlette", reason="the dashboard's dependencies (dashboard/requirements-test.txt)")


def _ansible():
    for candidate in (os.environ.get("DASHBOARD_TEST_ANSIBLE"), os.path.join(REPO, ".venv", "bin", "ansible"),
                      shutil.which("ansible")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("needs ansible to render the local inventory's catalog (DASHBOARD_TEST_ANSIBLE)")


def render_local_catalog(dest):
    """The catalog file as the role renders it: the local inventory's platform_services through Ansible
    (the inventory's values include a lookup, which only Ansible resolves)."""
    content = "{{ {'services': platform_services, 'domain': platform_domain, 'network': platform_network} | to_json }}"
    subprocess.run([_ansible(), "all", "-i", os.path.join(REPO, "inventory", "local"), "-c", "local",
                    "-m", "ansible.builtin.copy", "-a", "content=%s dest=%s" % (content, dest)],
                   check=True, capture_output=True, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")))


def _wait(url, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the dashboard did not come up at %s" % url)
        time.sleep(0.3)


def app_environment(work, **extra):
    """The environment of a dashboard started from this checkout, its files in ``work``."""
    env = dict(os.environ, PYTHONPATH=SRC, DASHBOARD_CATALOG=str(work / "catalog.json"),
               DASHBOARD_PASSWORD_HASH_FILE=str(work / "hash"), DASHBOARD_SESSION_SECRET_FILE=str(work / "secret"),
               DASHBOARD_AUDIT_LOG=str(work / "audit.jsonl"), DASHBOARD_DISCOVERY_INTERVAL="3",
               DASHBOARD_HEALTH_INTERVAL="5", DASHBOARD_HTTPS_PORT="18443", DASHBOARD_VALIDATE_CERTS="0",
               DASHBOARD_DOCKER_HOST=os.environ.get("DASHBOARD_TEST_DOCKER_HOST", "unix:///var/run/docker.sock"),
               DASHBOARD_STATE_DIR=os.path.join(STATE_DIR, "npm"), DASHBOARD_LOGIN_ATTEMPTS="3",
               DASHBOARD_LOGIN_LOCKOUT="60",
               # A client that binds 127.0.0.2 is the proxy; every other loopback address a client of its own.
               DASHBOARD_TRUSTED_PROXIES=TRUSTED_PROXY)
    env.update(extra)
    return env


@contextlib.contextmanager
def running_app(work, port, **extra):
    """The app from this checkout on 127.0.0.1:port until the block ends."""
    log = open(work / ("app-%d.log" % port), "ab")
    proc = subprocess.Popen([sys.executable, "-m", "korczewski_dashboard", "--host", "127.0.0.1", "--port", str(port)],
                            env=app_environment(work, **extra), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait("http://127.0.0.1:%d/healthz" % port)
        yield str(work / ("app-%d.log" % port))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory):
    """{url, user, password}"""
    if os.environ.get("DASHBOARD_URL"):
        yield {"url": os.environ["DASHBOARD_URL"].rstrip("/"), "user": os.environ.get("DASHBOARD_USER", "admin"),
               "password": os.environ["DASHBOARD_PASSWORD"], "local": False}
        return
    sys.path.insert(0, SRC)
    from korczewski_dashboard.auth import hash_password

    work = tmp_path_factory.mktemp("dashboard")
    password = "ztest-" + secrets.token_urlsafe(12)
    render_local_catalog(str(work / "catalog.json"))
    (work / "hash").write_text(hash_password(password))
    (work / "secret").write_text(secrets.token_urlsafe(48))
    with running_app(work, PORT) as log:
        yield {"url": "http://127.0.0.1:%d" % PORT, "user": "admin", "password": password, "local": True,
               "log": log, "work": work, "audit": str(work / "audit.jsonl")}


@pytest.fixture
def app_runner():
    """running_app, for a test that needs a dashboard of its own (restarted, other settings)."""
    return running_app
