# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Development servers and other host processes as discovery reports them.

A dev server is the unit's own (``managed``) only when the one judgement of its pid file and
settings record (:mod:`devserver.judge`) proves it; everything else is found by what it does:
listening on a catalog port, or working in a unit's source directory. A dev server whose record
names a server no catalog unit has any more is an orphan, like a labelled container whose unit
left the catalog: it is never counted as a second dev server of a unit that shares its source.
"""

from __future__ import annotations

import os
import re

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import ENVIRONMENTS
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.judge import STOPPED, judge_files
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import HOST
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.record import (
    find_paths,
    read_state,
    recorded_names,
)

# A local server's name is its unit's compose project, "<service>-<environment>", maybe "-<server>".
_NAME_RE = re.compile(r"^(?P<service>.+?)-(?P<environment>%s)(?:-.+)?$" % "|".join(ENVIRONMENTS))


class ProcessTable:
    """Listeners and database connections of host processes, from one pass over /proc."""

    def __init__(self, database_targets, net_dir=None, proc=HOST):
        self.proc = proc
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.uptime = proc.uptime()
        listeners, established = proc.tcp_table(net_dir)
        wanted = [c for c in established if (c["remote"], c["remote_port"]) in database_targets]
        owners = proc.socket_owners([s["inode"] for s in listeners] + [c["inode"] for c in wanted])
        self.ports = {}        # pid -> sorted listening ports
        # Listeners whose process is invisible (another user's, when not run as root).
        self.unknown_ports = set()
        for sock in listeners:
            for pid in owners.get(sock["inode"]) or []:
                self.ports.setdefault(pid, set()).add(sock["port"])
            if not owners.get(sock["inode"]):
                self.unknown_ports.add(sock["port"])
        self.ports = dict((pid, sorted(ports)) for pid, ports in self.ports.items())
        self.database_connections = {}   # pid -> [{server, environment, address, port}]
        for conn in wanted:
            target = database_targets[(conn["remote"], conn["remote_port"])]
            for pid in owners.get(conn["inode"]) or []:
                entry = dict(target, address=conn["remote"], port=conn["remote_port"])
                if entry not in self.database_connections.setdefault(pid, []):
                    self.database_connections[pid].append(entry)
        self._info = {}

    def info(self, pid):
        """Facts about one process (None when it is gone)."""
        if pid in self._info:
            return self._info[pid]
        stat = self.proc.live_stat(pid)
        info = None
        if stat is not None:
            info = {
                "pid": pid, "comm": stat["comm"], "pgrp": stat["pgrp"], "session": stat["session"],
                "start_time": stat["start_time"], "cmdline": self.proc.cmdline(pid) or "[%s]" % stat["comm"],
                "cwd": self.proc.cwd(pid), "user": self.proc.user(pid),
                "started": round(max(0.0, self.uptime - stat["start_time"] / float(self.hz)), 1)
                if self.uptime is not None else None,
            }
        self._info[pid] = info
        return info


def is_docker_proxy(info):
    # docker-proxy holds the host side of a published port on behalf of a container.
    return info is not None and (info["comm"] == "docker-proxy"
                                 or os.path.basename(info["cmdline"].split(" ", 1)[0]) == "docker-proxy")


def _blank(name, server, source):
    return {"name": name, "server": server, "source": source, "managed": True,
            "found_by": ["pid_file"], "running": False, "stale": None, "pid": None, "pids": [], "ports": [],
            "pgrp": None, "session": None, "comm": None, "cmdline": None, "cwd": None, "user": None, "started": None,
            "start_time": None, "database_connections": []}


def _judged_entry(entry, paths, procs):
    """Fill ``entry`` from the judgement of the files at ``paths``; None when there are none."""
    state = read_state(paths)
    if state["pid_file"] is None and state["record"] is None and not state["record_unreadable"]:
        return None
    verdict = judge_files(paths, proc=procs.proc)
    entry["pid"] = verdict["pid"] if verdict["pid"] is not None else (
        state["pid_file"] if isinstance(state["pid_file"], int) else None)
    if verdict["status"] == STOPPED:
        entry["stale"] = verdict["stale"]
        if state["pid_file"] == "invalid":
            entry["stale"] = "unreadable pid file %s" % paths.pid
        return entry
    pid = verdict["pid"]
    leader = procs.info(pid)
    entry.update(running=True, session=pid, pgrp=leader["pgrp"] if leader else pid)
    member = leader or (procs.info(verdict["members"][0]) if verdict["members"] else None)
    if member:
        _fill(entry, member)
    return entry


def managed_server(state_dir, server, procs):
    """The pid file and settings record of one catalog dev server, judged: an entry, or None
    when it has neither file. ``running`` exactly when :func:`devserver.judge.judge` says it
    runs (its leader, or members of the leader's session)."""
    return _judged_entry(_blank(server["name"], server["server"], server["source"]),
                         find_paths(state_dir, server["name"]), procs)


def orphan_servers(state_dir, known_names, procs):
    """Running dev servers whose files name a server of no catalog unit: orphan entries of kind
    ``process``, with the service and environment their process started with (the identity
    variables every local server gets), else as their name says."""
    orphans = []
    for name, paths in sorted(recorded_names(state_dir).items()):
        if name in known_names:
            continue
        entry = _judged_entry(_blank(name, None, None), paths, procs)
        if entry is None or not entry["running"]:
            continue
        env = {}
        # The leader first; when it is gone, any member of its session (they inherited it).
        for pid in [entry["pid"]] + procs.proc.session_members(entry["session"]):
            env = procs.proc.environ(pid) or {}
            if env.get("SERVICE_NAME"):
                break
        match = _NAME_RE.match(name)
        service = env.get("SERVICE_NAME") or (match.group("service") if match else None)
        environment = env.get("PLATFORM_ENVIRONMENT") or (match.group("environment") if match else None)
        orphans.append(dict(entry, kind="process", id=None, project=None, service=service, environment=environment,
                            state="running", managed=False))
    return orphans


def _fill(entry, info):
    for key in ("comm", "cmdline", "cwd", "user", "started", "start_time"):
        entry[key] = info[key]


def process_entry(server, info, found_by):
    entry = {"name": server["name"] if server else None, "server": server["server"] if server else None,
             "source": server["source"] if server else None, "managed": False, "found_by": [found_by],
             "running": True, "stale": None, "pid": info["pid"], "pids": [info["pid"]], "ports": [],
             "pgrp": info["pgrp"], "session": info["session"], "database_connections": []}
    _fill(entry, info)
    return entry
