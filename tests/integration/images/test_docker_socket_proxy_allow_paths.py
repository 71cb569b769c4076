# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The socket proxy's entrypoint (tests/images/docker-socket-proxy/docker-entrypoint.sh) as it
writes haproxy's configuration for ALLOW_PATHS, run with the host's sh (dash, as in the image)
and `true` instead of haproxy: no container, no Docker. The Molecule scenarios send the real
requests through the real haproxy."""

from __future__ import annotations

import os
import subprocess

import pytest

ENTRYPOINT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "images",
                                          "docker-socket-proxy", "docker-entrypoint.sh"))


def render(tmp_path, allow_paths, cwd=None):
    config = tmp_path / "haproxy.cfg"
    env = {"PATH": os.environ["PATH"], "HAPROXY_CONFIG": str(config), "ALLOW_PATHS": allow_paths}
    proc = subprocess.run(["sh", ENTRYPOINT, "true"], env=env, cwd=str(cwd or tmp_path), capture_output=True,
                          text=True, check=False, timeout=30)
    rules = [line.strip() for line in config.read_text().splitlines() if line.strip().startswith("http-request")] \
        if config.exists() else []
    return proc, rules


def test_an_exact_list_replaces_every_section(tmp_path):
    proc, rules = render(tmp_path, "GET:/version  POST:/containers/[a-zA-Z0-9][a-zA-Z0-9_.-]*/(start|stop)\n"
                                   "GET,DELETE:/x")
    assert proc.returncode == 0, proc.stderr
    assert rules == [
        "http-request allow if { method GET HEAD } { path,url_dec -m reg ^(/v[0-9.]+)?(/version)$ }",
        "http-request allow if { method POST } "
        "{ path,url_dec -m reg ^(/v[0-9.]+)?(/containers/[a-zA-Z0-9][a-zA-Z0-9_.-]*/(start|stop))$ }",
        "http-request allow if { method GET DELETE HEAD } { path,url_dec -m reg ^(/v[0-9.]+)?(/x)$ }",
        "http-request deny",
    ]


def test_regular_expressions_are_not_expanded_as_file_names(tmp_path):
    (tmp_path / "GET:" / "containers" / "abc").mkdir(parents=True)
    (tmp_path / "GET:" / "containers" / "abc" / "json").write_text("")
    proc, rules = render(tmp_path, "GET:/containers/[a-z]*/json")
    assert proc.returncode == 0, proc.stderr
    assert rules[0].endswith("^(/v[0-9.]+)?(/containers/[a-z]*/json)$ }"), rules


@pytest.mark.parametrize("entry", ["GET:/a'b", 'GET:/a"b', "GET:/a#b", "get:/a", "GET/a", "GET:a", "GET:/a\\b",
                                   "GET:/${HOME}", ":/a", "GET,:/a"])
def test_an_entry_that_could_reach_the_configuration_stops_the_proxy(tmp_path, entry):
    proc, dummy = render(tmp_path, "GET:/version " + entry)
    assert proc.returncode == 64, (proc.returncode, proc.stderr)
    assert entry in proc.stderr


def test_without_a_list_the_sections_of_the_contract_apply(tmp_path):
    proc, rules = render(tmp_path, " ")
    assert proc.returncode == 0, proc.stderr
    assert any("env(CONTAINERS)" in rule for rule in rules)
    assert any("env(ALLOW_RESTARTS)" in rule for rule in rules)
