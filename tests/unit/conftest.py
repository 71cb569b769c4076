# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unit tier: pure logic that runs anywhere in seconds, without Docker, npm or a network.

The shared fixtures (import path, base catalog) come from tests/conftest.py. A unit test that
starts a process fails here: it belongs in tests/integration/, which may.
"""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture(autouse=True, scope="session")
def no_processes():
    def refuse(self, args, *dummy_args, **dummy_kwargs):
        raise AssertionError("unit tests start no processes (tried %r); move the test to tests/integration/"
                             % (args,))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "__init__", refuse)
        yield
