# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the catalog derives about databases: which ones each database server holds, how a unit
logs in to its own (server, owner role, vault path of the password) and the connection settings
its processes read.

A mixin over the lookups of catalog.model.CatalogModel, combined in catalog.derive.Derivations.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    DATABASE_PORT,
    DATABASE_SUPERUSER,
    database_secret_path,
)


class Databases(object):
    """Databases and connection settings over a validated catalog (self is a CatalogModel)."""

    def databases(self, environment="production"):
        """Databases a database server must hold: derived from the services that use them."""
        result = []
        for name in self.ordered():
            svc = self.services[name]
            env = svc.environments.get(environment)
            if not svc.database or env is None:
                continue
            if env.use_production_database and environment != "production":
                continue
            server = self.database_server(env)
            result.append({"name": svc.database, "owner": svc.database_user, "service": name,
                           "server": server, "secret_path": database_secret_path(server, svc.database)})
        return result

    def database_login(self, service, environment):
        """How an environment logs in to its database: server, database, owner role and the vault
        path of the password; None without a database."""
        svc = self.service(service)
        env = self.environment(service, environment)
        server = self.database_server(env) if svc.database else None
        if not server:
            return None
        return {"server": server, "name": svc.database, "user": svc.database_user,
                "secret_path": database_secret_path(server, svc.database)}

    def served_databases(self, environment, container):
        """What a database server container serves: its superuser and each application database,
        each with the vault path of its password; None for any other container."""
        provider = self.provider("database")
        penv = provider.environments.get(environment) if provider else None
        if not (penv and penv.containers and penv.containers[0].name == container):
            return None
        return {"superuser": DATABASE_SUPERUSER,
                "superuser_secret_path": database_secret_path(container, DATABASE_SUPERUSER),
                "databases": [dict(db, secret_path=database_secret_path(container, db["name"]))
                              for db in self.databases(environment) if db["server"] == container]}

    def database_settings(self, service, environment, password=None, port=DATABASE_PORT):
        """Connection settings for one environment. The password only appears where one is given."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if not svc.database:
            return {}
        host = self.database_server(env)
        if env.servers:
            host, port = "127.0.0.1", self._database_host_port(env, port)
        settings = {"DATABASE_HOST": host, "DATABASE_PORT": str(port), "DATABASE_NAME": svc.database,
                    "DATABASE_USER": svc.database_user}
        if password is not None:
            settings["DATABASE_PASSWORD"] = password
            settings["DATABASE_URL"] = "postgresql://%s:%s@%s:%s/%s" % (
                svc.database_user, quote(str(password), safe=""), host, port, svc.database)
        return settings

    def _database_host_port(self, env, default):
        """Local dev servers reach their database through its published loopback port."""
        server = self.database_server(env)
        for svc in self.services.values():
            for penv in svc.environments.values():
                for cont in penv.containers:
                    if cont.name == server and cont.publish:
                        return cont.publish[0].host
        return default
