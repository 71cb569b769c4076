# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog as discovery reads it: who owns each container name, host port and volume, which
units are expected with what, and where each development server's source lives."""

from __future__ import annotations

import os

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import DATABASE_PORT


def unit_key(service, environment):
    return "%s/%s" % (service, environment)


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
                    if vol["kind"] == "volume":
                        self.volume_owner[vol["source"]] = key
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
