# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules of the shared infrastructure's shape: what the service that ``provides: database``
and the one that ``provides: proxy`` must look like in every environment, because the model and
the roles built on it (shared_postgres, traefik) assume it.

Catalog rules like those of catalog/rules.py (which runs them): each receives the error collector
and the parsed catalog, reports with ``chk.error(path, message)`` and never raises. Private to
korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations


def _env_path(svc, env):
    return "platform_services.%s.environments.%s" % (svc.name, env.name)


def _provider_environments(catalog, kind):
    """The environments of the provider the model uses (a second provider is an error of its own)."""
    svc = catalog.provider(kind)
    for env in svc.environments.values() if svc is not None else ():
        yield svc, env


def _one_container(chk, env, path, what):
    """The model takes a provider's first container as the server (database_server, the proxy's
    entry points): a second one would run beside it unseen."""
    # No container in a method that runs containers is already the method's error.
    if len(env.containers) != 1 and (env.containers or not env.runs_containers):
        chk.error(path + ".containers", "%s is exactly one container, got %d" % (what, len(env.containers)))
    return env.containers[0] if env.containers else None


def _database_server_shape(chk, catalog):
    """One PostgreSQL per environment, one data directory, kept in a volume."""
    for svc, env in _provider_environments(catalog, "database"):
        path = _env_path(svc, env)
        cont = _one_container(chk, env, path, "the database server (provides: database)")
        if cont is None:
            continue
        cpath = "%s.containers[%d]" % (path, cont.index)
        # Two servers on one data directory corrupt it. One that publishes a port is already
        # reported by the container rule (replicas cannot share a host port).
        if cont.replicas != 1 and not cont.publish:
            chk.error(cpath + ".replicas", "the database server runs 1 replica, not %d: two servers must never "
                      "share one data directory" % cont.replicas)
        if not cont.volumes:
            chk.error(cpath + ".volumes", "the database server needs a volume for its data directory "
                      "(such as {name: %s-data, path: /var/lib/postgresql/data}), or its databases go with "
                      "the container" % cont.name)


def _proxy_shape(chk, catalog):
    """One Traefik publishing the HTTP and HTTPS ports on the same container port numbers: the
    HTTP->HTTPS redirect names the websecure entry point's port, which clients must reach as is."""
    for svc, env in _provider_environments(catalog, "proxy"):
        path = _env_path(svc, env)
        cont = _one_container(chk, env, path, "the proxy (provides: proxy)")
        if cont is None:
            continue
        cpath = "%s.containers[%d]" % (path, cont.index)
        # A proxy that publishes ports and runs replicas is already reported by the container rule.
        if cont.replicas != 1 and not cont.publish:
            chk.error(cpath + ".replicas", "the proxy runs 1 replica, not %d" % cont.replicas)
        if len(cont.publish) < 2:
            chk.error(cpath + ".publish", "the proxy publishes the HTTP and the HTTPS port, got %s"
                      % (", ".join(str(p.host) for p in cont.publish) or "none"))
        for j, pub in enumerate(cont.publish):
            if pub.container != pub.host:
                chk.error("%s.publish[%d]" % (cpath, j), "host port %d goes to container port %d; the proxy "
                          "listens on the published port number (its HTTP->HTTPS redirect names the websecure "
                          "port), so publish %d on container port %d" % (pub.host, pub.container, pub.host, pub.host))


PROVIDER_RULES = (_database_server_shape, _proxy_shape)
