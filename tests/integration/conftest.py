# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integration tier: tests that start real processes (npm dev servers, docker compose,
ansible) on this machine; ``make integration``. The shared fixtures (import path, base catalog)
come from tests/conftest.py; the test inventories under inventories/ serve the Molecule scenarios.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys

import pytest

# The collection's import path, also when this tier is run on its own from another directory.
COLLECTIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "collections")
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_docker: skipped where no Docker engine answers (make testbed starts one)")
    config.addinivalue_line("markers", "needs_image(name): skipped where the Docker engine lacks that image")


@functools.lru_cache(maxsize=None)
def _docker_answers():
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True, check=False).returncode == 0


@functools.lru_cache(maxsize=None)
def _image_present(name):
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "image", "inspect", name], capture_output=True, check=False).returncode == 0


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("needs_docker") and not _docker_answers():
            item.add_marker(pytest.mark.skip(reason="needs a Docker engine"))
        for marker in item.iter_markers("needs_image"):
            if not _image_present(marker.args[0]):
                item.add_marker(pytest.mark.skip(reason="needs Docker and the %s image" % marker.args[0]))
