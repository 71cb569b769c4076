# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one judgement of a development server's identity and liveness: is the process its files
name still ours, and does it run? npm_dev_server (before it starts, stops or leaves a server) and
discovery (and through it the single-environment rule and the dashboard) ask this alone.

The settings record is the proof, the pid file only a pointer. Nothing is killed or claimed that
the record cannot prove is ours; a process we cannot prove is ours is left alone (discovery may
still find it by its port or source directory, as any process nobody manages).

States (``status``, with ``stale`` saying why files are left over):

``running``
    The record names a pid, was written in this boot, and a live process at that pid has the
    recorded start time and, when the record names a source directory and the process's working
    directory is readable, works in that directory. ``(pid, start time)`` is unique within a boot;
    the working directory guards against a record copied or edited by hand.
``orphaned``
    As ``running``, but the leader itself is gone (or a zombie) while members of its session
    live: the kernel does not reuse a pid while a session refers to it, so they are ours. They
    must not have started before the recorded leader. npm_dev_server stops them before a start;
    discovery counts them as the server running.
``stopped``
    Everything else, with ``stale`` naming the leftover when there is one:

    * pid file without a settings record: ``stopped``, stale, "pid not verified, left alone".
      The record is written before the pid file, so a lone pid file was not written by a run that
      completed (or its record was removed); nothing proves the pid is ours, and the pid may have
      been given to any other program since. Never killed, never reported as the server.
    * pid file that does not parse: stale.
    * record without a pid (or unreadable record): stale, nothing to verify.
    * record written before the last reboot: stale (start times of another boot mean nothing).
    * pid gone, no session members: stale "pid N is gone".
    * pid reused by another program (other start time, or a working directory outside the
      recorded source, or no start time recorded at all): stale, "now belongs to another program".

A record whose pid differs from the pid file's is judged by the record: it carries the start time.
A record without a pid file proves its pid the same way (a run that died between writing the two).
"""

from __future__ import annotations

import os

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import HOST
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.record import find_paths, read_state

RUNNING = 'running'
ORPHANED = 'orphaned'
STOPPED = 'stopped'


def _under(cwd, source):
    source = source.rstrip('/') or '/'
    return cwd == source or cwd.startswith(source.rstrip('/') + '/')


def judge(state, proc=HOST, boot_id=None):
    """Judge the files of one server (``state`` from :func:`record.read_state`).

    Returns ``{status, pid, record, stale, leader, members}``: ``pid`` is the proven pid (None
    unless running or orphaned), ``record`` the settings record when it proves that pid,
    ``leader`` the leader's ``/proc`` stat when it lives, ``members`` the live pids of its session.
    ``boot_id`` defaults to the current boot's.
    """
    verdict = {'status': STOPPED, 'pid': None, 'record': None, 'stale': None, 'leader': None, 'members': []}
    pid_file = state.get('pid_file')
    record = state.get('record')
    if record is None or not isinstance(record.get('pid'), int) or isinstance(record.get('pid'), bool):
        if pid_file == 'invalid':
            verdict['stale'] = 'unreadable pid file'
        elif pid_file is not None:
            verdict['stale'] = 'pid file without a settings record (pid %d not verified, left alone)' % pid_file
        elif state.get('record_unreadable'):
            verdict['stale'] = 'unreadable settings record'
        elif record is not None:
            verdict['stale'] = 'settings record without a pid'
        return verdict
    pid = record['pid']
    recorded_boot = record.get('boot_id')
    current_boot = boot_id if boot_id is not None else proc.boot_id()
    if recorded_boot and current_boot and recorded_boot != current_boot:
        verdict['stale'] = 'pid %d was recorded before the last reboot' % pid
        return verdict
    started = record.get('start_time')
    if not isinstance(started, int):
        verdict['stale'] = 'pid %d has no recorded start time (not verified, left alone)' % pid
        return verdict
    leader = proc.live_stat(pid)
    if leader is not None:
        source = (record.get('settings') or {}).get('source')
        cwd = proc.cwd(pid) if source else None
        owner = state.get('owner')
        uid = proc.uid(pid) if owner is not None else None
        if leader['start_time'] != started:
            verdict['stale'] = 'pid %d now belongs to another program (%s)' % (pid, leader['comm'])
        elif leader['session'] != pid:
            # A server is started in a session of its own (setsid): a pid file naming a process
            # that leads no session points at something else, which is never signalled.
            verdict['stale'] = ('pid %d (%s) does not lead its own session (session %d): not a server started here, left alone'
                                % (pid, leader['comm'], leader['session']))
        elif uid is not None and uid != owner:
            # Whoever can write the state files must not make a run signal another account's process.
            verdict['stale'] = ('pid %d (%s) belongs to uid %d, not to uid %d that owns its pid file: left alone'
                                % (pid, leader['comm'], uid, owner))
        elif cwd is not None and not _under(cwd, os.path.realpath(source)):
            verdict['stale'] = 'pid %d now belongs to another program (%s, working in %s)' % (pid, leader['comm'], cwd)
        else:
            verdict.update(status=RUNNING, pid=pid, record=record, leader=leader,
                           members=proc.session_members(pid))
        return verdict
    # The leader is gone (or a zombie). Its session id cannot be reused while members live.
    members = [m for m in proc.session_members(pid) if (proc.start_time(m) or 0) >= started]
    if members:
        verdict.update(status=ORPHANED, pid=pid, record=record, members=members)
    else:
        verdict['stale'] = 'pid %d is gone' % pid
    return verdict


def judge_files(paths, proc=HOST, boot_id=None):
    """Judge the files at ``paths`` (a :class:`record.Paths`)."""
    return judge(read_state(paths), proc=proc, boot_id=boot_id)


def judge_server(state_dir, name, proc=HOST, boot_id=None):
    """(paths, verdict) of server ``name`` under ``state_dir`` (see :func:`record.find_paths`)."""
    paths = find_paths(state_dir, name)
    return paths, judge_files(paths, proc=proc, boot_id=boot_id)
