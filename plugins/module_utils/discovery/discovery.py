# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run-time discovery: what runs on this host for each (service, environment) of the catalog.

One call reads the Docker engine (one container list plus an inspect per catalog container) and
``/proc`` (the TCP tables once, every process's file descriptors once) and reports, per unit, its
compose projects and containers, its development servers (pid files and listeners), everything
that holds a catalog name, port or volume without belonging to its unit, and labelled containers
whose unit left the catalog (orphans; dev servers too, by their settings records). It only reads;
rule.single_environment judges the result.

The package's files, one job each: ``index`` (the catalog's expected units and owners),
``containers`` (container facts), ``devservers`` and ``processes`` (dev servers judged by
``devserver.judge``, orphan dev servers, host processes), ``state`` (a unit's state and summary);
this module runs them and attributes containers.

Containers are attributed to a unit by the identity labels first, by the catalog's container
name second. A container without labels but with the unit's name inside the unit's own compose
project counts as the unit's (a redeploy labels it); anywhere else the name makes it unmanaged.
"""

from __future__ import annotations

import os
import time

from ansible_collections.korczewski.platform.plugins.module_utils.discovery.containers import (
    add_inspect,
    container_record,
    public,
)
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.index import CatalogIndex, unit_key
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.processes import ProcessScan
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.state import unit_state
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import (
    DEFAULT_DOCKER_HOST,
    DockerAPI,
)

DEFAULT_STATE_DIR = "~/.local/state/korczewski-platform/npm"
# Names other modules import from here (swarm.discovery subclasses Discovery).
__all__ = ["DEFAULT_STATE_DIR", "Discovery", "argument_spec", "discover", "unit_key", "unit_state"]


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


class Discovery:
    """One discovery run. ``Discovery(catalog, state_dir, docker).run()`` returns the result dict."""

    def __init__(self, catalog, state_dir=DEFAULT_STATE_DIR, docker=None, docker_host=DEFAULT_DOCKER_HOST, net_dir=None,
                 processes=True, proc=None):
        self.index = CatalogIndex(catalog)
        self.net_dir = net_dir
        self.proc = proc    # the /proc to read (devserver.proc.Proc), the host's unless a test gives one
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
            ProcessScan(self.index, self.units, self.unmanaged, self.orphans, self.state_dir).run(
                records, database_servers, self.net_dir, self.proc)
        units = []
        for unit in self.index.units:
            key = unit_key(unit["service"], unit["environment"])
            entry = self.units[key]
            entry["containers"] = [public(r) for r in sorted(entry["containers"], key=lambda r: r["name"])]
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
                    add_inspect(record, info)
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


def discover(catalog, state_dir=DEFAULT_STATE_DIR, docker=None, docker_host=DEFAULT_DOCKER_HOST, net_dir=None,
             processes=True, proc=None):
    """Discover what runs for every unit of the catalog; see :class:`Discovery`."""
    return Discovery(catalog, state_dir, docker=docker, docker_host=docker_host, net_dir=net_dir,
                     processes=processes, proc=proc).run()
