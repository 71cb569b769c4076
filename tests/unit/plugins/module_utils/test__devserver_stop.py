# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What stop_stray (devserver/stop.py) leaves alone, on a procfs tree written by the test: no
signal is sent in any of these cases. Real signals are sent in
tests/integration/plugins/modules/test_single_environment.py."""

from __future__ import annotations

import os

import pytest
from test__devserver_proc import FakeProc

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.stop import protected_groups, stop_stray


@pytest.fixture
def fake(tmp_path):
    fake = FakeProc(tmp_path / "proc")
    # This test process, in a session of its own whose leader is pid 40 (the ancestry stops at pid 1).
    fake.add(os.getpid(), comm="pytest", session=40, pgrp=41, ppid=40)
    fake.add(40, comm="bash", session=40, pgrp=40, ppid=1)
    return fake


def test_gone_and_zombie_strays_are_not_signalled(fake):
    assert stop_stray(999999, proc=fake.proc)["outcome"] == "gone"
    fake.add(900, state="Z")
    assert stop_stray(900, proc=fake.proc)["outcome"] == "gone"


def test_a_reused_pid_is_left_alone(fake):
    fake.add(900, comm="sleep", start_time=2000)
    result = stop_stray(900, start_time=1000, proc=fake.proc)
    assert result["outcome"] == "reused" and result["message"] == "pid 900 now belongs to another program"


def test_managed_dev_servers_are_left_alone(fake):
    fake.add(900, session=800, pgrp=900)
    assert stop_stray(900, managed_groups={800}, proc=fake.proc)["outcome"] == "managed"
    assert stop_stray(900, managed_groups={900}, proc=fake.proc)["outcome"] == "managed"


def test_this_process_and_its_ancestors_are_protected(fake):
    assert protected_groups(fake.proc) >= {0, 1, os.getpid(), 40, 41}
    assert stop_stray(os.getpid(), proc=fake.proc)["outcome"] == "protected"
    assert stop_stray(40, proc=fake.proc)["outcome"] == "protected"
