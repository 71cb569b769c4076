# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one judgement of a dev server's pid file and settings record (devserver/judge.py), state
by state, on a procfs tree written by the test, and the files it reads (devserver/record.py)."""

from __future__ import annotations

import json
import os

import pytest
from test__devserver_proc import BOOT, FakeProc

from ansible_collections.korczewski.platform.plugins.module_utils.devserver import judge as dj
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import record as dr

SOURCE = "/home/dev/projects/auth"


@pytest.fixture
def fake(tmp_path):
    return FakeProc(tmp_path / "proc")


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "state").mkdir()
    return dr.Paths(str(tmp_path / "state" / "auth-development"))


def write(paths, pid_file=None, record=None):
    if pid_file is not None:
        with open(paths.pid, "w") as f:
            f.write("%s\n" % pid_file)
    if record is not None:
        with open(paths.record, "w") as f:
            f.write(record if isinstance(record, str) else json.dumps(record))


def rec(pid, start_time=1000, boot_id=BOOT, source=SOURCE):
    return {"version": 1, "name": "auth-development", "pid": pid, "start_time": start_time, "boot_id": boot_id,
            "settings": {"source": source, "port": 5500}}


def verdict(paths, fake):
    return dj.judge_files(paths, proc=fake.proc)


def test_running(paths, fake):
    fake.add(500, start_time=1000, cwd=SOURCE)
    fake.add(501, session=500, start_time=1003, cwd=SOURCE + "/node_modules/.bin")
    write(paths, 500, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.RUNNING and result["pid"] == 500 and result["stale"] is None
    assert result["members"] == [500, 501] and result["record"]["pid"] == 500


def test_a_pid_that_leads_no_session_is_not_trusted(paths, fake):
    # A record naming a process of someone else's session (a shell, a login), written by whoever
    # can write the state directory: it is never taken for the server, so never signalled.
    fake.add(500, session=400, start_time=1000, cwd=SOURCE)
    write(paths, 500, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.STOPPED and result["pid"] is None
    assert result["stale"] == "pid 500 (node) does not lead its own session (session 400): not a server started here, left alone"


def test_a_process_of_another_account_than_the_pid_files_is_not_trusted(paths, fake):
    fake.add(500, start_time=1000, cwd=SOURCE)
    write(paths, 500, rec(500))
    state = dict(dr.read_state(paths), owner=os.getuid() + 1)
    result = dj.judge(state, proc=fake.proc)
    assert result["status"] == dj.STOPPED and result["pid"] is None
    assert result["stale"] == "pid 500 (node) belongs to uid %d, not to uid %d that owns its pid file: left alone" % (
        os.getuid(), os.getuid() + 1)
    # The same files owned by the process's account prove it.
    assert dj.judge(dr.read_state(paths), proc=fake.proc)["status"] == dj.RUNNING


def test_running_without_a_readable_working_directory(paths, fake):
    # Another user's process, judged by a discovery run that is not root: the start time proves it.
    fake.add(500, start_time=1000)
    write(paths, 500, rec(500))
    assert verdict(paths, fake)["status"] == dj.RUNNING


def test_stale_pid_is_gone(paths, fake):
    write(paths, 500, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.STOPPED and result["pid"] is None and result["stale"] == "pid 500 is gone"


def test_zombie_leader_without_members_is_gone(paths, fake):
    fake.add(500, start_time=1000, state="Z")
    write(paths, 500, rec(500))
    assert verdict(paths, fake)["stale"] == "pid 500 is gone"


def test_leader_gone_while_its_session_lives_is_orphaned(paths, fake):
    fake.add(501, session=500, pgrp=500, start_time=1004, cwd=SOURCE)
    write(paths, 500, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.ORPHANED and result["pid"] == 500 and result["members"] == [501]


def test_members_older_than_the_leader_are_not_its_children(paths, fake):
    fake.add(501, session=500, pgrp=500, start_time=900)
    write(paths, 500, rec(500))
    assert verdict(paths, fake)["stale"] == "pid 500 is gone"


def test_pid_reused_by_another_program(paths, fake):
    fake.add(500, comm="sleep", start_time=2000, cwd="/tmp")
    write(paths, 500, rec(500, start_time=1000))
    result = verdict(paths, fake)
    assert result["status"] == dj.STOPPED and result["pid"] is None
    assert result["stale"] == "pid 500 now belongs to another program (sleep)"


def test_same_start_time_outside_the_recorded_source_is_not_ours(paths, fake):
    fake.add(500, comm="vim", start_time=1000, cwd="/home/dev/projects/authx")
    write(paths, 500, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.STOPPED and "another program (vim, working in" in result["stale"]


def test_record_without_pid_file_still_proves_its_pid(paths, fake):
    # A run that died between writing the record and the pid file: the record is the proof.
    fake.add(500, start_time=1000, cwd=SOURCE)
    write(paths, None, rec(500))
    assert verdict(paths, fake)["status"] == dj.RUNNING


def test_record_without_a_pid(paths, fake):
    record = rec(500)
    del record["pid"]
    write(paths, None, record)
    assert verdict(paths, fake) == dict(status=dj.STOPPED, pid=None, record=None, leader=None, members=[],
                                        stale="settings record without a pid")


def test_pid_file_without_a_record_is_never_claimed(paths, fake):
    # A live process at the pid, even in the source directory: nothing proves it is ours.
    fake.add(500, start_time=1000, cwd=SOURCE)
    write(paths, 500, None)
    result = verdict(paths, fake)
    assert result["status"] == dj.STOPPED and result["pid"] is None and result["record"] is None
    assert result["stale"] == "pid file without a settings record (pid 500 not verified, left alone)"


def test_record_without_a_start_time_is_not_trusted(paths, fake):
    fake.add(500, start_time=1000, cwd=SOURCE)
    write(paths, 500, rec(500, start_time=None))
    assert verdict(paths, fake)["status"] == dj.STOPPED


def test_record_of_another_boot(paths, fake):
    fake.add(500, start_time=1000, cwd=SOURCE)
    write(paths, 500, rec(500, boot_id="another-boot"))
    assert verdict(paths, fake)["stale"] == "pid 500 was recorded before the last reboot"


def test_the_record_wins_over_a_pid_file_naming_another_pid(paths, fake):
    fake.add(500, start_time=1000, cwd=SOURCE)
    fake.add(777, comm="sleep", start_time=5)
    write(paths, 777, rec(500))
    result = verdict(paths, fake)
    assert result["status"] == dj.RUNNING and result["pid"] == 500


def test_unreadable_files(paths, fake):
    write(paths, "garbage", None)
    assert verdict(paths, fake)["stale"] == "unreadable pid file"
    dr.remove_state(paths)
    write(paths, None, "{not json")
    assert verdict(paths, fake)["stale"] == "unreadable settings record"
    dr.remove_state(paths)
    assert verdict(paths, fake) == dict(status=dj.STOPPED, pid=None, record=None, leader=None, members=[], stale=None)


def test_write_state_writes_the_record_first_and_finds_it_per_account(tmp_path):
    state_dir = tmp_path / "npm"
    (state_dir / "dev").mkdir(parents=True)
    paths = dr.Paths(str(state_dir / "dev" / "auth-development"))
    dr.write_state(paths, rec(500))
    assert dr.read_state(paths) == {"pid_file": 500, "record": rec(500), "record_unreadable": False, "owner": os.getuid()}
    assert dr.find_paths(str(state_dir), "auth-development").base == paths.base
    assert dr.find_paths(str(state_dir), "payment-development").base == str(state_dir / "payment-development")
    assert sorted(dr.recorded_names(str(state_dir))) == ["auth-development"]
    assert dr.remove_state(paths) is True and dr.remove_state(paths) is False
