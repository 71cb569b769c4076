# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run-time discovery: what runs on this host for each (service, environment) of the catalog.

One call reads the Docker engine (one container list plus an inspect per catalog container) and
``/proc`` (the TCP tables once, every process's file descriptors once) and reports, per unit, its
compose projects and containers, its development servers (pid files and listeners), everything
that holds a catalog name, port or volume without belonging to its unit, and labelled containers
whose unit left the catalog. It only reads; rule.single_environment judges the result.

Containers are attributed to a unit by the identity labels first, by the catalog's container
name second. A container without labels but with the unit's name inside the unit's own compose
project counts as the unit's (a redeploy labels it); anywhere else the name makes it unmanaged.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import time
from urllib.parse import urlsplit

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    DATABASE_PORT,
    LABEL_ENVIRONMENT,
    LABEL_SERVICE,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import unit_containers
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.process import (
    PROC,
    _decode_address,
    boot_id,
    cmdline,
    read_pid_file,
    read_stat,
    session_members,
    socket_owners,
)
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import (
    DEFAULT_DOCKER_HOST,
    DockerAPI,
)

DEFAULT_STATE_DIR = "~/.local/state/korczewski-platform/npm"
LABEL_PROJECT = "com.docker.compose.project"

_TCP_LISTEN = "0A"
_TCP_ESTABLISHED = "01"
_GONE_STATES = ("Z", "X", "x")
_LOOPBACK = {"0.0.0.0": ("127.0.0.1",), "::": ("::1", "127.0.0.1"), "": ("127.0.0.1", "::1")}


def argument_spec():
    """Options shared by service_environment_info and single_environment (doc fragment: discovery)."""
    return dict(
        services=dict(type="dict", required=True),
        domain=dict(type="str", required=True),
        network=dict(type="str"),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        docker_host=dict(type="str", default=DEFAULT_DOCKER_HOST),
        engine=dict(type="str", default="compose", choices=["compose", "swarm"]),
    )


def unit_key(service, environment):
    return "%s/%s" % (service, environment)


# -------------------------------------------------------------------- catalog facts


class CatalogIndex:
    """Who owns each container name, host port and volume, and where each dev server lives."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.units = catalog.units()
        self.project = {}
        self.name_owner = {}
        self.port_owner = {}     # port -> (unit key, "container"|"server", container or server name)
        self.volume_owner = {}
        self.servers = {}        # unit key -> [{name, server, source, port}]
        self.expected = {}
        for unit in self.units:
            key = unit_key(unit["service"], unit["environment"])
            env = catalog.services[unit["service"]].environments[unit["environment"]]
            self.project[key] = env.project
            local = catalog.unit(unit["service"], unit["environment"])["local_servers"]
            servers = []
            for i, server in enumerate(env.servers):
                servers.append({"name": local[i]["name"], "server": server.name, "port": server.port,
                                "source": _real(server.source)})
                if server.port:
                    self.port_owner[server.port] = (key, "server", local[i]["name"])
            self.servers[key] = servers
            ports = []
            for cont in env.containers:
                self.name_owner[cont.name] = key
                for pub in cont.publish:
                    self.port_owner[pub.host] = (key, "container", cont.name)
                    ports.append(pub.host)
                for vol in cont.volumes:
                    self.volume_owner[vol["name"]] = key
            self.expected[key] = {
                "containers": [c.name for c in env.containers],
                "replicas": sum(c.replicas for c in env.containers),
                "ports": sorted(set(ports + [s["port"] for s in servers if s["port"]])),
                "servers": [dict(s) for s in servers],
            }

    def database_servers(self):
        """[(container name, environment, container port, publish list)] of the database provider."""
        provider = self.catalog.provider("database")
        result = []
        if provider is None:
            return result
        for env in provider.environments.values():
            if env.containers:
                cont = env.containers[0]
                result.append((cont.name, env.name, cont.port or DATABASE_PORT, cont.publish))
        return result

    def source_owners(self, cwd):
        """[(unit key, server entry)] whose source directory holds cwd, the deepest directory only,
        in catalog order (several units may share one source directory)."""
        found = []
        for unit in self.units:
            key = unit_key(unit["service"], unit["environment"])
            for server in self.servers[key]:
                src = server["source"]
                if src and (cwd == src or cwd.startswith(src.rstrip("/") + "/")):
                    found.append((len(src), key, server))
        deepest = max([f[0] for f in found] or [0])
        return [(key, server) for length, key, server in found if length == deepest]

    def source_owner(self, cwd, serving=()):
        """The unit a process in cwd is a dev server of: among the source owners, the unit whose dev
        port it already listens on, else none when it serves another unit's port, else the first."""
        owners = self.source_owners(cwd)
        for key, server in owners:
            if key in serving:
                return key, server
        if owners and not serving:
            return owners[0]
        return None, None


def _real(path):
    return os.path.realpath(os.path.expanduser(path)) if path else None


# -------------------------------------------------------------------- containers


def container_record(raw):
    """The facts of one entry of GET /containers/json."""
    labels = raw.get("Labels") or {}
    names = raw.get("Names") or []
    ports = sorted(set(p["PublicPort"] for p in raw.get("Ports") or [] if p.get("PublicPort")))
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        "name": names[0].lstrip("/") if names else raw.get("Id", "")[:12],
        "id": raw.get("Id", "")[:12],
        "full_id": raw.get("Id", ""),
        "project": labels.get(LABEL_PROJECT),
        "state": raw.get("State"),
        "health": _health_from_status(raw.get("Status") or ""),
        "image": raw.get("Image"),
        "started_at": None,
        "restart_count": None,
        "exit_code": None,
        "restart_policy": None,
        "labels": {"service": labels.get(LABEL_SERVICE), "environment": labels.get(LABEL_ENVIRONMENT)},
        "ports": ports,
        "volumes": sorted(set(m.get("Name") for m in raw.get("Mounts") or []
                              if m.get("Type") == "volume" and m.get("Name"))),
        "networks": sorted(networks),
        "addresses": sorted(set(n.get("IPAddress") for n in networks.values() if n.get("IPAddress"))),
    }


def _health_from_status(status):
    for word in ("healthy", "unhealthy"):
        if "(%s)" % word in status:
            return word
    return "starting" if "(health: starting)" in status else None


def _add_inspect(record, info):
    state = info.get("State") or {}
    config = info.get("Config") or {}
    record["state"] = state.get("Status") or record["state"]
    record["health"] = (state.get("Health") or {}).get("Status") or None
    record["started_at"] = state.get("StartedAt")
    record["restart_count"] = info.get("RestartCount")
    record["exit_code"] = state.get("ExitCode")
    record["restart_policy"] = ((info.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no"
    record["image"] = config.get("Image") or record["image"]
    networks = (info.get("NetworkSettings") or {}).get("Networks") or {}
    record["networks"] = sorted(networks)
    record["addresses"] = sorted(set(n.get("IPAddress") for n in networks.values() if n.get("IPAddress")))
    record["aliases"] = sorted(set(a for n in networks.values() for a in (n.get("Aliases") or [])))
    record["database_hosts"] = database_hosts(config.get("Env") or [])


def database_hosts(env_list):
    """DATABASE_HOST and the host part of DATABASE_URL from a container's environment: never
    the rest of the URL, which may hold a password."""
    hosts = {}
    for item in env_list:
        key, dummy, value = item.partition("=")
        if key == "DATABASE_HOST" and value:
            hosts["DATABASE_HOST"] = value
        elif key == "DATABASE_URL" and value:
            try:
                host = urlsplit(value).hostname
            except ValueError:
                host = None
            if host:
                hosts["DATABASE_URL"] = host
    return hosts


def _public(record):
    keys = ("name", "id", "project", "state", "health", "image", "started_at", "restart_count", "exit_code",
            "restart_policy", "matched",
            "ports", "volumes", "networks", "database_hosts")
    return dict((k, record.get(k)) for k in keys)


# -------------------------------------------------------------------- processes


def _tcp_table(net_dir=None):
    """(listeners, established): listening sockets and established connections of this network namespace,
    or of the one whose ``/proc/<pid>/net`` is ``net_dir`` (a container sharing the host's pids reads the
    host's through ``/proc/1/net``)."""
    listeners = []
    established = []
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            with open(os.path.join(net_dir or os.path.join(PROC, "net"), name)) as f:
                lines = f.readlines()[1:]
        except (IOError, OSError):
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10 or parts[3] not in (_TCP_LISTEN, _TCP_ESTABLISHED):
                continue
            try:
                local_hex, local_port = parts[1].split(":")
                inode = int(parts[9])
                if parts[3] == _TCP_LISTEN:
                    dummy, address = _decode_address(local_hex, family)
                    listeners.append({"inode": inode, "address": address, "port": int(local_port, 16)})
                else:
                    remote_hex, remote_port = parts[2].split(":")
                    dummy, remote = _decode_address(remote_hex, family)
                    established.append({"inode": inode, "remote": remote, "remote_port": int(remote_port, 16)})
            except (ValueError, OSError):
                continue
    return listeners, established


class ProcessTable:
    """Listeners and database connections of host processes, from one pass over /proc."""

    def __init__(self, database_targets, net_dir=None):
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.uptime = _uptime()
        listeners, established = _tcp_table(net_dir)
        wanted = [c for c in established if (c["remote"], c["remote_port"]) in database_targets]
        owners = socket_owners([s["inode"] for s in listeners] + [c["inode"] for c in wanted])
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
        stat = read_stat(pid)
        info = None
        if stat is not None and stat["state"] not in _GONE_STATES:
            base = os.path.join(PROC, str(pid))
            try:
                cwd = os.readlink(os.path.join(base, "cwd"))
            except OSError:
                cwd = None
            try:
                uid = os.stat(base).st_uid
                try:
                    user = pwd.getpwuid(uid).pw_name
                except KeyError:
                    user = str(uid)
            except OSError:
                user = None
            info = {
                "pid": pid, "comm": stat["comm"], "pgrp": stat["pgrp"], "session": stat["session"],
                "start_time": stat["start_time"], "cmdline": cmdline(pid) or "[%s]" % stat["comm"],
                "cwd": cwd, "user": user,
                "started": round(max(0.0, self.uptime - stat["start_time"] / float(self.hz)), 1)
                if self.uptime is not None else None,
            }
        self._info[pid] = info
        return info


def _uptime():
    try:
        with open(os.path.join(PROC, "uptime")) as f:
            return float(f.read().split()[0])
    except (IOError, OSError, ValueError, IndexError):
        return None


def is_docker_proxy(info):
    # docker-proxy holds the host side of a published port on behalf of a container.
    return info is not None and (info["comm"] == "docker-proxy"
                                 or os.path.basename(info["cmdline"].split(" ", 1)[0]) == "docker-proxy")


def _load_record(path):
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _state_base(state_dir, name):
    """Where a dev server's pid file lives: app_service keeps one state dir per developer account
    (<state_dir>/<user>/<name>.pid), npm_dev_server alone defaults to <state_dir>/<name>.pid."""
    candidates = [os.path.join(state_dir, name)]
    try:
        users = sorted(os.listdir(state_dir))
    except OSError:
        users = []
    candidates.extend(os.path.join(state_dir, user, name) for user in users
                      if os.path.isdir(os.path.join(state_dir, user)))
    for base in candidates:
        if os.path.exists(base + ".pid"):
            return base
    return candidates[0]


def managed_server(state_dir, server, procs):
    """The npm_dev_server pid file of one dev server, judged: an entry, or None without a pid file.

    The pid must be alive and, when npm_dev_server's settings record names it, have the recorded
    start time and boot; a leader that died while its session lives on still counts.
    """
    base = _state_base(state_dir, server["name"])
    pid = read_pid_file(base + ".pid")
    if pid is None:
        return None
    entry = {"name": server["name"], "server": server["server"], "source": server["source"], "managed": True,
             "found_by": ["pid_file"], "running": False, "stale": None, "pid": None, "pids": [], "ports": [],
             "pgrp": None, "session": None, "comm": None, "cmdline": None, "cwd": None, "user": None, "started": None,
             "start_time": None, "database_connections": []}
    if pid == "invalid":
        entry["stale"] = "unreadable pid file %s.pid" % base
        return entry
    entry["pid"] = pid
    record = _load_record(base + ".state.json")
    if record is not None and record.get("pid") != pid:
        record = None
    info = procs.info(pid)
    if record and record.get("boot_id") and boot_id() and record["boot_id"] != boot_id():
        entry["stale"] = "pid %d was recorded before the last reboot" % pid
    elif info is not None:
        if record and record.get("start_time") is not None and record["start_time"] != info["start_time"]:
            entry["stale"] = "pid %d now belongs to another program (%s)" % (pid, info["comm"])
        else:
            entry.update(running=True, session=pid, pgrp=info["pgrp"])
            _fill(entry, info)
    else:
        members = session_members(pid)
        if members:
            entry.update(running=True, session=pid, pgrp=pid)
            member = procs.info(members[0])
            if member:
                _fill(entry, member)
            entry["stale"] = None
        else:
            entry["stale"] = "pid %d is gone" % pid
    return entry


def _fill(entry, info):
    for key in ("comm", "cmdline", "cwd", "user", "started", "start_time"):
        entry[key] = info[key]


def _process_entry(server, info, found_by):
    entry = {"name": server["name"] if server else None, "server": server["server"] if server else None,
             "source": server["source"] if server else None, "managed": False, "found_by": [found_by],
             "running": True, "stale": None, "pid": info["pid"], "pids": [info["pid"]], "ports": [],
             "pgrp": info["pgrp"], "session": info["session"], "database_connections": []}
    _fill(entry, info)
    return entry


# -------------------------------------------------------------------- discovery


class Discovery:
    """One discovery run. ``Discovery(catalog, state_dir, docker).run()`` returns the result dict."""

    def __init__(self, catalog, state_dir=DEFAULT_STATE_DIR, docker=None, docker_host=DEFAULT_DOCKER_HOST, net_dir=None,
                 processes=True):
        self.index = CatalogIndex(catalog)
        self.net_dir = net_dir
        # False where the host's processes cannot be seen (a container without the host's pids):
        # its own listeners would otherwise pass for the host's.
        self.processes = processes
        self.state_dir = os.path.abspath(os.path.expanduser(state_dir))
        self.docker = docker if docker is not None else DockerAPI(docker_host)
        self.units = {}
        self.unmanaged = []
        self.orphans = []
        for unit in self.index.units:
            key = unit_key(unit["service"], unit["environment"])
            expected = self.index.expected[key]
            self.units[key] = dict(unit, expected={"containers": expected["containers"], "ports": expected["ports"],
                                                   "servers": expected["servers"]},
                                   containers=[], projects=[], dev_servers=[])

    def run(self):
        started = time.monotonic()
        records = [container_record(raw) for raw in self.docker.containers()]
        database_servers = self.attribute(records)
        if self.processes:
            self._processes(records, database_servers)
        units = []
        for unit in self.index.units:
            key = unit_key(unit["service"], unit["environment"])
            entry = self.units[key]
            entry["containers"] = [_public(r) for r in sorted(entry["containers"], key=lambda r: r["name"])]
            entry["projects"] = sorted(set(c["project"] for c in entry["containers"] if c["project"]))
            entry["state"], entry["summary"] = unit_state(entry, self.index.expected[key])
            units.append(entry)
        return {
            "units": units,
            "unmanaged": self.unmanaged,
            "orphans": sorted(self.orphans, key=lambda o: o["name"]),
            "database_servers": database_servers,
            "summary": [u["summary"] for u in units],
            "elapsed": round(time.monotonic() - started, 3),
        }

    # ---------------------------------------------------------------- containers

    def _owner(self, record):
        """(unit key or None, how): labels, name, or orphan (labelled for a unit not in the catalog)."""
        labels = record["labels"]
        if labels["service"] is not None or labels["environment"] is not None:
            key = unit_key(labels["service"], labels["environment"])
            return (key, "labels") if key in self.units else (None, "orphan")
        key = self.index.name_owner.get(record["name"])
        return (key, "name") if key else (None, None)

    def _rightful_for(self, record, key):
        """Whether record belongs to unit key, as far as holding its names, ports and volumes goes."""
        if record["owner"] != key:
            return False
        return record["matched"] == "labels" or record["project"] == self.index.project[key]

    def attribute(self, records):
        """Attribute listed containers (from container_record) to units, orphans and unmanaged
        holders; returns the database servers found."""
        db_names = dict((name, (env, cport, publish)) for name, env, cport, publish in self.index.database_servers())
        for record in records:
            record["owner"], record["matched"] = self._owner(record)
            if record["matched"] == "orphan":
                self.orphans.append({"name": record["name"], "id": record["id"], "project": record["project"],
                                     "service": record["labels"]["service"],
                                     "environment": record["labels"]["environment"], "state": record["state"]})
            if record["owner"] is not None or record["name"] in db_names:
                info = self.docker.inspect(record["full_id"])
                if info:
                    _add_inspect(record, info)
            if record["owner"] is not None:
                self.units[record["owner"]]["containers"].append(record)
            self._holdings(record)
        database_servers = []
        for record in records:
            if record["name"] in db_names and record["owner"] is not None:
                env, cport, publish = db_names[record["name"]]
                database_servers.append({
                    "name": record["name"], "id": record["id"], "environment": env, "state": record["state"],
                    "addresses": record.get("addresses") or [], "aliases": record.get("aliases") or [],
                    "port": cport,
                    "published": [{"address": p.address, "port": p.host} for p in publish
                                  if p.host in record["ports"]]})
        return database_servers

    def _holdings(self, record):
        holds = []
        key = self.index.name_owner.get(record["name"])
        if key and not self._rightful_for(record, key):
            holds.append((key, "container name %s" % record["name"], None, None))
        for port in record["ports"]:
            owner = self.index.port_owner.get(port)
            if owner is None:
                continue
            okey, kind, what = owner
            if kind == "server":
                holds.append((okey, "port %d of dev server %s" % (port, what), port, None))
            elif not self._rightful_for(record, okey):
                holds.append((okey, "port %d of container %s" % (port, what), port, None))
        for volume in record["volumes"]:
            okey = self.index.volume_owner.get(volume)
            if okey and not self._rightful_for(record, okey):
                holds.append((okey, "volume %s" % volume, None, volume))
        for okey, what, port, volume in holds:
            self.unmanaged.append({
                "kind": record.get("kind", "container"), "name": record["name"], "id": record["id"],
                "project": record["project"],
                "pid": None, "cmdline": None, "port": port, "volume": volume, "holds": what, "unit": okey,
                "owner": record["owner"], "state": record["state"], "pgrp": None, "start_time": None})

    # ---------------------------------------------------------------- processes

    def _database_targets(self, database_servers):
        targets = {}
        for server in database_servers:
            fact = {"server": server["name"], "environment": server["environment"]}
            for address in server["addresses"]:
                targets[(address, server["port"])] = fact
            for pub in server["published"]:
                for address in _LOOPBACK.get(pub["address"], (pub["address"],)):
                    targets[(address, pub["port"])] = fact
        return targets

    def _processes(self, records, database_servers):
        procs = ProcessTable(self._database_targets(database_servers), self.net_dir)
        managed = {}   # session id -> (unit key, entry)
        for key, servers in self.index.servers.items():
            for server in servers:
                entry = managed_server(self.state_dir, server, procs)
                if entry is None:
                    continue
                self.units[key]["dev_servers"].append(entry)
                if entry["running"]:
                    managed[entry["session"]] = (key, entry)
        unmanaged_entries = {}   # (unit key, pgrp) -> entry

        def group_of(info):
            for sid in (info["session"], info["pgrp"]):
                if sid in managed:
                    return managed[sid]
            return None, None

        def unmanaged_entry(key, server, info, found_by):
            entry = unmanaged_entries.get((key, info["pgrp"]))
            if entry is None:
                entry = _process_entry(server, info, found_by)
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


def discover(catalog, state_dir=DEFAULT_STATE_DIR, docker=None, docker_host=DEFAULT_DOCKER_HOST, net_dir=None,
             processes=True):
    """Discover what runs for every unit of the catalog; see :class:`Discovery`."""
    return Discovery(catalog, state_dir, docker=docker, docker_host=docker_host, net_dir=net_dir,
                     processes=processes).run()


# -------------------------------------------------------------------- unit state


def unit_state(unit, expected):
    """(state, one-line summary) of a unit from its discovered containers and dev servers."""
    project = unit["project"]
    own = unit_containers(unit)
    running = [c for c in own if c["state"] == "running"]
    healthy = [c for c in running if c["health"] == "healthy"]
    unhealthy = [c for c in running if c["health"] == "unhealthy"]
    managed = [s for s in unit["dev_servers"] if s["managed"]]
    servers_up = sorted(set(s["name"] for s in managed if s["running"]))
    want_containers = expected["replicas"]
    want_servers = len(expected["servers"])
    up = min(len(running), want_containers) + len(servers_up)
    if up == 0:
        state = "stopped" if own or managed else "missing"
    elif unhealthy:
        state = "unhealthy"
    elif up >= want_containers + want_servers:
        state = "running"
    else:
        state = "partial"
    parts = []
    if want_containers or own:
        text = "%d/%d containers running" % (len(running), want_containers)
        health = []
        if healthy:
            health.append("%d healthy" % len(healthy))
        if unhealthy:
            health.append("%d unhealthy" % len(unhealthy))
        if health:
            text += " (%s)" % ", ".join(health)
        parts.append(text)
    if want_servers == 1 and not want_containers:
        server = [s for s in managed if s["running"]]
        if server:
            parts.append("dev server running (pid %d, port%s %s)" % (
                server[0]["pid"], "s" if len(server[0]["ports"]) != 1 else "",
                ", ".join(str(p) for p in server[0]["ports"]) or "none yet"))
        else:
            parts.append("dev server not running")
    elif want_servers:
        parts.append("%d/%d dev servers running" % (len(servers_up), want_servers))
    if want_containers:
        parts.append("project %s" % project)
    others = len(unit["containers"]) - len(own)
    strays = len([s for s in unit["dev_servers"] if not s["managed"]])
    extra = []
    if others:
        extra.append("%d container%s outside the project" % (others, "s" if others != 1 else ""))
    if strays:
        extra.append("%d unmanaged dev process group%s" % (strays, "s" if strays != 1 else ""))
    summary = "%s/%s: %s" % (unit["service"], unit["environment"], ", ".join(parts) or state)
    if extra:
        summary += "; also " + ", ".join(extra)
    return state, summary
