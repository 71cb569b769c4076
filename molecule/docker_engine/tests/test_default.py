# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the docker_engine role promises, checked on the converged host."""

from __future__ import annotations

import json
import os
import sys

import pytest

PIDFILE = "/run/docker.pid"
LOGFILE = "/var/log/dockerd.log"


def under_systemd(host) -> bool:
    return host.file("/run/systemd/system").is_directory


def test_daemon_answers(host):
    version = host.check_output("docker info --format '{{.ServerVersion}}'")
    assert version.strip()


def test_compose_is_v2(host):
    out = host.check_output("docker compose version --short").strip().lstrip("v")
    assert out.split(".")[0] == "2", out


def test_platform_network_exists(host):
    networks = json.loads(host.check_output("docker network inspect platform"))
    assert networks[0]["Name"] == "platform"
    assert networks[0]["Driver"] == "bridge"


def test_scenario_network_has_its_labels(host):
    networks = json.loads(host.check_output("docker network inspect molecule-docker-engine"))
    assert networks[0]["Labels"]["korczewski.platform.test"] == "molecule-docker-engine"


def test_docker_sdk_imports(host):
    python = os.environ.get("MOLECULE_PYTHON") or sys.executable
    out = host.check_output(f"{python} -c 'import docker; print(docker.__version__)'")
    assert int(out.split(".")[0]) >= 7


def test_background_daemon_has_pidfile_and_log(host):
    if under_systemd(host):
        pytest.skip("the daemon runs under systemd")
    pidfile = host.file(PIDFILE)
    assert pidfile.is_file
    pid = pidfile.content_string.strip()
    assert host.file(f"/proc/{pid}/exe").linked_to.endswith("dockerd")
    assert host.file(LOGFILE).is_file
    assert host.check_output("platform-dockerd status") == f"running {pid}"


def test_daemon_is_a_session_leader(host):
    """setsid detached it, so ending the Ansible run cannot take the daemon along."""
    if under_systemd(host):
        pytest.skip("the daemon runs under systemd")
    pid = host.file(PIDFILE).content_string.strip()
    assert host.check_output(f"ps -o sid= -p {pid}").strip() == pid
