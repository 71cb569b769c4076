# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host processes attributed to units: each catalog dev server judged from its files, orphan dev
servers (files of a server no unit has), then every process that listens on a catalog port,
works in a unit's source directory or is connected to a database server.

A process of a judged session (a unit's managed server, or an orphan) is never also reported as
a second dev server of a unit: it is already accounted for. One that holds another unit's port
is still an unmanaged holder of that port.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.discovery.devservers import (
    ProcessTable,
    is_docker_proxy,
    managed_server,
    orphan_servers,
    process_entry,
)

_LOOPBACK = {"0.0.0.0": ("127.0.0.1",), "::": ("::1", "127.0.0.1"), "": ("127.0.0.1", "::1")}


def database_targets(database_servers):
    """{(address, port): {server, environment}} through which a process reaches a database server."""
    targets = {}
    for server in database_servers:
        fact = {"server": server["name"], "environment": server["environment"]}
        for address in server["addresses"]:
            targets[(address, server["port"])] = fact
        for pub in server["published"]:
            for address in _LOOPBACK.get(pub["address"], (pub["address"],)):
                targets[(address, pub["port"])] = fact
    return targets


class ProcessScan:
    """One pass over the host's processes for a discovery run: fills the run's units'
    ``dev_servers``, its ``unmanaged`` holders and its ``orphans``."""

    def __init__(self, index, units, unmanaged, orphans, state_dir):
        self.index = index
        self.units = units
        self.unmanaged = unmanaged
        self.orphans = orphans
        self.state_dir = state_dir

    def run(self, records, database_servers, net_dir=None, proc=None):
        kwargs = {"proc": proc} if proc is not None else {}
        procs = ProcessTable(database_targets(database_servers), net_dir, **kwargs)
        managed = {}   # session id -> (unit key, entry); (None, entry) for an orphan
        for key, servers in self.index.servers.items():
            for server in servers:
                entry = managed_server(self.state_dir, server, procs)
                if entry is None:
                    continue
                self.units[key]["dev_servers"].append(entry)
                if entry["running"]:
                    managed[entry["session"]] = (key, entry)
        known = set(s["name"] for servers in self.index.servers.values() for s in servers)
        for orphan in orphan_servers(self.state_dir, known, procs):
            self.orphans.append(orphan)
            managed.setdefault(orphan["session"], (None, orphan))
        unmanaged_entries = {}   # (unit key, pgrp) -> entry

        def group_of(info):
            for sid in (info["session"], info["pgrp"]):
                if sid in managed:
                    return managed[sid]
            return None, None

        def unmanaged_entry(key, server, info, found_by):
            entry = unmanaged_entries.get((key, info["pgrp"]))
            if entry is None:
                entry = process_entry(server, info, found_by)
                unmanaged_entries[(key, info["pgrp"])] = entry
                self.units[key]["dev_servers"].append(entry)
            else:
                if found_by not in entry["found_by"]:
                    entry["found_by"].append(found_by)
                if info["pid"] not in entry["pids"]:
                    entry["pids"].append(info["pid"])
            return entry

        for pid in sorted(procs.ports):
            info = procs.info(pid)
            if info is None or is_docker_proxy(info):
                continue
            mkey, mentry = group_of(info)
            if mentry is not None:
                if pid not in mentry["pids"]:
                    mentry["pids"].append(pid)
                mentry["ports"] = sorted(set(mentry["ports"]) | set(procs.ports[pid]))
            for port in procs.ports[pid]:
                owner = self.index.port_owner.get(port)
                if owner is None:
                    continue
                okey, kind, what = owner
                if kind == "server" and mentry is not None and mentry["name"] == what:
                    continue
                self.unmanaged.append({
                    "kind": "process", "name": info["comm"], "id": None, "project": None, "pid": pid,
                    "cmdline": info["cmdline"], "port": port, "volume": None,
                    "holds": "port %d of %s %s" % (port, "dev server" if kind == "server" else "container", what),
                    "unit": okey, "owner": mkey, "state": "running", "pgrp": info["pgrp"],
                    "start_time": info["start_time"]})
                if kind == "server" and mentry is None:
                    server = [s for s in self.index.servers[okey] if s["name"] == what][0]
                    entry = unmanaged_entry(okey, server, info, "port")
                    entry["ports"] = sorted(set(entry["ports"]) | set(procs.ports[pid]))
            if mentry is None and info["cwd"]:
                serving = set(self.index.port_owner[p][0] for p in procs.ports[pid]
                              if p in self.index.port_owner and self.index.port_owner[p][1] == "server")
                skey, server = self.index.source_owner(info["cwd"], serving)
                if skey is not None:
                    entry = unmanaged_entry(skey, server, info, "source")
                    entry["ports"] = sorted(set(entry["ports"]) | set(procs.ports[pid]))
        published = set(p for r in records if r["state"] == "running" for p in r["ports"])
        running_servers = set(e["name"] for dummy, e in managed.values())
        for port in sorted(procs.unknown_ports):
            owner = self.index.port_owner.get(port)
            # A container's published port, or a managed dev server of another user: nothing unknown.
            if owner is None or port in published or (owner[1] == "server" and owner[2] in running_servers):
                continue
            okey, kind, what = owner
            self.unmanaged.append({
                "kind": "process", "name": None, "id": None, "project": None, "pid": None, "cmdline": None,
                "port": port, "volume": None,
                "holds": "port %d of %s %s" % (port, "dev server" if kind == "server" else "container", what),
                "unit": okey, "owner": None, "state": "running", "pgrp": None, "start_time": None})
        for pid in sorted(procs.database_connections):
            info = procs.info(pid)
            if info is None or is_docker_proxy(info):
                continue
            dummy, entry = group_of(info)
            if entry is None:
                for (key, pgrp), candidate in unmanaged_entries.items():
                    if pgrp == info["pgrp"]:
                        entry = candidate
                        break
            if entry is None and info["cwd"]:
                skey, server = self.index.source_owner(info["cwd"])
                if skey is not None:
                    entry = unmanaged_entry(skey, server, info, "source")
            if entry is not None:
                for conn in procs.database_connections[pid]:
                    conn = dict(conn, pid=pid)
                    if conn not in entry["database_connections"]:
                        entry["database_connections"].append(conn)
