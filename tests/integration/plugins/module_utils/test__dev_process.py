# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for plugins/module_utils/devserver/ (proc, ports, record, process, stop) against real processes and sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[4]


def _collections_dir():
    # Either the checkout sits at .../ansible_collections/korczewski/platform (ansible-test), or
    # the repository's own collections/ directory links back to it.
    if REPO_ROOT.parent.parent.name == 'ansible_collections':
        return REPO_ROOT.parents[2]
    return REPO_ROOT / 'collections'


if str(_collections_dir()) not in sys.path:
    sys.path.insert(0, str(_collections_dir()))

from ansible_collections.korczewski.platform.plugins.module_utils.devserver import ports as devports  # noqa: E402
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import proc as procfs  # noqa: E402
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import process as devprocess  # noqa: E402
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import record as devrecord  # noqa: E402
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import stop as devstop  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux'), reason='needs Linux /proc')


@pytest.fixture
def sessions():
    """Start processes in their own session; kill every session afterwards."""
    started = []

    def start(code, **kwargs):
        proc = subprocess.Popen([sys.executable, '-c', textwrap.dedent(code)], start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait(timeout=10)


def _listening_socket(family=socket.AF_INET, address='127.0.0.1'):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((address, 0))
    sock.listen(1)
    return sock


def test_read_stat_of_self():
    stat = procfs.read_stat(os.getpid())
    assert stat['pid'] == os.getpid()
    assert stat['ppid'] == os.getppid()
    assert stat['session'] == os.getsid(0)
    assert stat['pgrp'] == os.getpgrp()
    assert stat['state'] in ('R', 'S')
    assert procfs.start_time(os.getpid()) == stat['start_time']
    assert procfs.is_alive(os.getpid())
    assert procfs.is_alive(os.getpid(), stat['start_time'])
    assert not procfs.is_alive(os.getpid(), stat['start_time'] + 1)


def test_read_stat_handles_odd_comm(tmp_path):
    # comm may contain spaces and parentheses: the parser must split at the LAST ')'.
    exe = tmp_path / 'we ird) (name'
    exe.symlink_to(sys.executable)
    proc = subprocess.Popen([str(exe), '-c', 'import time; time.sleep(30)'])
    try:
        stat = procfs.read_stat(proc.pid)
        assert stat['comm'].startswith('we ird) (')
        assert stat['ppid'] == os.getpid()
    finally:
        proc.kill()
        proc.wait()


def test_gone_and_zombie_processes_are_not_alive():
    proc = subprocess.Popen(['true'])
    deadline = time.monotonic() + 5
    while procfs.read_stat(proc.pid)['state'] != 'Z' and time.monotonic() < deadline:
        time.sleep(0.02)
    assert procfs.read_stat(proc.pid)['state'] == 'Z'  # not reaped yet: a zombie
    assert not procfs.is_alive(proc.pid)
    assert procfs.start_time(proc.pid) is None
    proc.wait()
    assert procfs.read_stat(proc.pid) is None
    assert not procfs.is_alive(proc.pid)
    assert procfs.cmdline(proc.pid) == ''


def test_cmdline():
    with open('/proc/self/cmdline', 'rb') as f:
        expected = ' '.join(part.decode() for part in f.read().split(b'\0') if part)
    assert procfs.cmdline(os.getpid()) == expected
    assert 'pytest' in expected


def test_session_members_and_terminate_session_with_sigterm_ignoring_child(sessions):
    code = '''
        import os, signal, subprocess, sys, time
        child = subprocess.Popen([sys.executable, '-c',
            'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready", flush=True); time.sleep(60)'],
            stdout=subprocess.PIPE)
        child.stdout.readline()
        print(child.pid, flush=True)
        time.sleep(60)
    '''
    leader = sessions(code)
    child_pid = int(leader.stdout.readline())
    members = procfs.session_members(leader.pid)
    assert leader.pid in members and child_pid in members

    started = time.monotonic()
    outcome = devstop.terminate_session(leader.pid, timeout=1.0, child=leader)
    assert outcome['killed'] is True  # the child ignored SIGTERM, so SIGKILL was needed
    assert outcome['remaining'] == []
    assert time.monotonic() - started < 8
    assert not procfs.is_alive(child_pid)
    assert procfs.session_members(leader.pid) == []


def test_terminate_session_of_nothing():
    assert devstop.terminate_session(2 ** 22 - 7, timeout=0.1) == {'members': [], 'killed': False, 'remaining': []}


def test_port_holders_name_the_owner():
    sock = _listening_socket()
    port = sock.getsockname()[1]
    try:
        found = procfs.listening_sockets(port)
        assert {'family': socket.AF_INET, 'address': '127.0.0.1', 'inode': os.fstat(sock.fileno()).st_ino} in found
        holders = devports.port_holders(port)
        assert [h['pid'] for h in holders] == [os.getpid()]
        assert holders[0]['session'] == os.getsid(0)
        assert 'pid %d (' % os.getpid() in devports.describe_holder(holders[0])
        assert devports.tcp_answers(port, devports.connect_addresses(holders))
    finally:
        sock.close()
    assert devports.port_holders(port) == []
    assert not devports.tcp_answers(port)


def test_ipv6_wildcard_listener_is_decoded():
    if not socket.has_ipv6:
        pytest.skip('no IPv6')
    try:
        sock = _listening_socket(socket.AF_INET6, '::')
    except OSError:
        pytest.skip('cannot bind IPv6')
    port = sock.getsockname()[1]
    try:
        assert [s['address'] for s in procfs.listening_sockets(port)] == ['::']
        assert devports.connect_addresses(devports.port_holders(port)) == ['::1']
    finally:
        sock.close()


def test_ipv6_loopback_address_is_decoded():
    try:
        sock = _listening_socket(socket.AF_INET6, '::1')
    except OSError:
        pytest.skip('cannot bind ::1')
    port = sock.getsockname()[1]
    try:
        assert [s['address'] for s in procfs.listening_sockets(port)] == ['::1']
        assert devports.tcp_answers(port, ['::1'])
    finally:
        sock.close()


def test_unknown_holder_description():
    assert devports.describe_holder({'pid': None}) == 'an unknown process'
    long_holder = {'pid': 1, 'cmdline': 'x' * 500}
    assert len(devports.describe_holder(long_holder)) < 220


def test_atomic_write_read_pid_file_and_remove(tmp_path):
    pid_path = tmp_path / 'x.pid'
    assert devrecord.read_pid_file(str(pid_path)) is None
    devrecord.atomic_write(str(pid_path), '1234\n', mode=0o644)
    assert devrecord.read_pid_file(str(pid_path)) == 1234
    assert oct(pid_path.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ['x.pid']  # no temporary file left behind
    devrecord.atomic_write(str(pid_path), b'garbage')
    assert devrecord.read_pid_file(str(pid_path)) == 'invalid'
    assert devrecord.remove_file(str(pid_path)) is True
    assert devrecord.remove_file(str(pid_path)) is False


def test_tail(tmp_path):
    log = tmp_path / 'x.log'
    log.write_text(''.join('line %d\n' % i for i in range(100)))
    assert devprocess.tail(str(log), 3) == ['line 97', 'line 98', 'line 99']
    assert devprocess.tail(str(tmp_path / 'missing.log')) == []


def test_boot_id_and_proc():
    assert procfs.proc_available()
    assert procfs.boot_id()
