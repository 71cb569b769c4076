# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Stopping processes: a whole session (a dev server we started) and a stray process that
discovery found (single_environment's enforce mode and the dashboard's "stop stray" both call
:func:`stop_stray`, so both leave alone the same processes).
"""

from __future__ import annotations

import os
import signal
import time

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import HOST

KILL_TIMEOUT = 5.0
POLL = 0.05


def _signal_session(sid, members, signum):
    try:
        os.killpg(sid, signum)
    except OSError:
        pass
    for pid in members:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def _wait_gone(sid, timeout, proc):
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        members = proc.session_members(sid)
        if not members or time.monotonic() >= deadline:
            return members
        time.sleep(POLL)


def _reap(child, timeout=0.0):
    if child is None:
        return
    try:
        child.wait(timeout=timeout)
    except Exception:  # subprocess.TimeoutExpired, or already reaped elsewhere
        pass


def terminate_session(sid, timeout=10.0, kill_timeout=KILL_TIMEOUT, child=None, proc=HOST):
    """Stop every process of session/process group ``sid``.

    Sends SIGTERM to the process group and to every member (members that moved to another
    process group inside the session included), waits up to ``timeout`` seconds, then sends
    SIGKILL and waits up to ``kill_timeout`` more. ``child`` is an optional ``subprocess.Popen``
    of the leader, reaped when this process started it.

    Returns a dict ``{'members': [...], 'killed': bool, 'remaining': [...]}``: the pids that were
    signalled, whether SIGKILL was needed, and any that survived even SIGKILL.
    """
    sid = int(sid)
    members = proc.session_members(sid)
    result = {'members': members, 'killed': False, 'remaining': []}
    if members:
        _signal_session(sid, members, signal.SIGTERM)
        _reap(child)
        remaining = _wait_gone(sid, timeout, proc)
        if remaining:
            result['killed'] = True
            _signal_session(sid, remaining, signal.SIGKILL)
            remaining = _wait_gone(sid, kill_timeout, proc)
        result['remaining'] = remaining
    _reap(child, timeout=1.0)
    return result


def terminate_pid(pid, timeout=10.0, kill_timeout=KILL_TIMEOUT, proc=HOST):
    """SIGTERM one process, SIGKILL it after ``timeout``; True when it is gone."""
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, kill_timeout)):
        try:
            os.kill(pid, signum)
        except OSError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.live_stat(pid) is None:
                return True
            time.sleep(POLL)
    return proc.live_stat(pid) is None


def protected_groups(proc=HOST):
    """pids, process groups and sessions of this process and its ancestors (and 0 and 1): never
    signalled as a group, or this very run would stop itself."""
    protected = set([0, 1])
    pid = os.getpid()
    while pid and pid > 1:
        stat = proc.stat(pid)
        if stat is None:
            break
        protected.update([pid, stat['pgrp'], stat['session']])
        pid = stat['ppid']
    return protected


def stop_stray(pid, start_time=None, timeout=10.0, managed_groups=(), proc=HOST):
    """Stop a stray process that discovery reported, with its process group.

    Left alone: a pid that now belongs to another program (``start_time`` given and different),
    a process of a managed dev server's session or group (``managed_groups``), and this process
    or one of its ancestors. A stray sharing a process group with this process or an ancestor is
    signalled alone, never its group.

    Returns ``{outcome, pid, group, members, killed, remaining, message}``; ``outcome`` is one
    of ``gone`` (nothing to stop), ``reused``, ``managed``, ``protected`` (left alone),
    ``stopped`` and ``survived`` (something outlived SIGKILL). ``group`` is the process group
    signalled, None when the pid was signalled alone.
    """
    result = {'outcome': 'gone', 'pid': pid, 'group': None, 'members': [], 'killed': False, 'remaining': [],
              'message': 'pid %s was already gone' % pid}
    stat = proc.live_stat(pid)
    if stat is None:
        return result
    if start_time is not None and stat['start_time'] != start_time:
        return dict(result, outcome='reused', message='pid %d now belongs to another program' % pid)
    if stat['pgrp'] in managed_groups or stat['session'] in managed_groups:
        return dict(result, outcome='managed', message='it is a managed dev server')
    ancestry = protected_groups(proc)
    if pid in ancestry:
        return dict(result, outcome='protected', message='pid %d is this process or one of its ancestors' % pid)
    group = stat['pgrp']
    if group in ancestry:
        # Its process group is also this process's (or an ancestor's): signal the process alone.
        if terminate_pid(pid, timeout, proc=proc):
            return dict(result, outcome='stopped', members=[pid], message='terminated pid %d' % pid)
        return dict(result, outcome='survived', remaining=[pid], message='pid %d: it survived SIGKILL' % pid)
    outcome = terminate_session(group, timeout=timeout, proc=proc)
    result.update(group=group, members=outcome['members'] or [pid], killed=outcome['killed'],
                  remaining=outcome['remaining'])
    if outcome['remaining']:
        result.update(outcome='survived', message='process group %d: pids %s survived SIGKILL' % (
            group, ', '.join(str(p) for p in outcome['remaining'])))
    else:
        result.update(outcome='stopped', message='terminated process group %d (pids %s%s)' % (
            group, ', '.join(str(p) for p in result['members']),
            ', SIGKILL needed' if outcome['killed'] else ''))
    return result
