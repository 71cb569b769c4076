# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Traefik reaches: whether a container is routed, the Docker labels that route
``<service>.<domain>`` (plus the catalog's paths) to it, and which containers join the shared
network Traefik is on or stay on their unit's internal one.

A mixin over the lookups of catalog.model.CatalogModel, combined in catalog.derive.Derivations.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import find_container


def routes_path(cont, path):
    """Whether Traefik sends a request for path to this container; a health path outside its
    path rule is probed through Docker's healthcheck instead of through Traefik."""
    if cont.route is None:
        return False
    return not cont.route.paths or any(path == p or path.startswith(p.rstrip("/") + "/") for p in cont.route.paths)


class Routing(object):
    """Traefik routing and networks over a validated catalog (self is a CatalogModel)."""

    def routed(self, env, cont):
        """Whether Traefik routes the container. Labels, networks and the update plan all ask
        this, so what counts as routed is decided here alone: production only (horizontal
        separation), and a router needs a host name to match and a port to send to."""
        return (env.name == "production" and cont.route is not None and cont.port is not None
                and self.hostname(env) is not None)

    def traefik_labels(self, service, environment, container, entrypoint="websecure", certresolver=None,
                       middlewares=None):
        """Docker labels that route ``<service>.<domain>`` (plus any catalog paths) to a container."""
        env = self.environment(service, environment)
        cont = find_container(env, container)
        if not self.routed(env, cont):
            return {}
        host = self.hostname(env)
        # Traefik label keys are dot-separated: a '.' in a router name would split the key.
        router = ("%s-%s" % (service, cont.service)).replace(".", "-")
        # A Traefik rule's `...` string has no escape for a backtick: what keeps a host name or a
        # path from ending it (and adding a matcher of its own) is their grammar at parse time
        # (host_name_problem, url_path_problem in catalog/parse_fields.py), not quoting here.
        rule = "Host(`%s`)" % host
        if cont.route.paths:
            rule += " && (%s)" % " || ".join("PathPrefix(`%s`)" % p for p in cont.route.paths)
        prefix = "traefik.http.routers.%s" % router
        labels = {
            "traefik.enable": "true",
            "traefik.docker.network": self.route_network(env, cont),
            prefix + ".rule": rule,
            prefix + ".entrypoints": entrypoint,
            prefix + ".tls": "true",
            prefix + ".service": router,
            "traefik.http.services.%s.loadbalancer.server.port" % router: str(cont.port),
        }
        if cont.route.priority:
            labels[prefix + ".priority"] = str(cont.route.priority)
        if certresolver:
            labels[prefix + ".tls.certresolver"] = certresolver
        if middlewares:
            labels[prefix + ".middlewares"] = ",".join(middlewares)
        # No Traefik health check: Docker's (catalog.healthcheck, three misses) already decides
        # what Traefik routes to, since Traefik leaves out containers that are not healthy, and a
        # switch drains through it. Traefik's own check takes a server out on one failed probe
        # until the next one, 30 s later: one slow answer of the only server was a 30 s outage.
        return labels

    def _on_shared_network(self, svc, env, cont):
        """Whether a container joins the environment's shared network: always in development and
        infrastructure; in production only what logs in to the shared database server. What
        Traefik routes besides (the dashboard, an AI stack's API) it reaches over the unit's edge
        network, and the rest (a stack's vector store, embeddings, own database) stays on the
        unit's internal network: a container on the shared network reaches neither."""
        if env.name != "production" or svc.layer == "infrastructure":
            return True
        return bool(svc.database and cont.database)

    def _on_edge_network(self, svc, env, cont):
        return self.routed(env, cont) and not self._on_shared_network(svc, env, cont)

    def route_network(self, env, cont):
        """The network Traefik reaches a routed container on (its traefik.docker.network label)."""
        svc = self.service(env.service)
        if self._on_edge_network(svc, env, cont):
            return self.edge_network(svc.name, env.name)
        return self.network_for(env.name)

    def edge_network(self, service, environment):
        """Name of the network only Traefik shares with the unit's routed containers that stay off
        the shared one; None when the unit has none."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if not any(self._on_edge_network(svc, env, c) for c in env.containers):
            return None
        return "%s-edge" % env.project

    def edge_networks(self):
        """Every unit's edge network: Traefik joins them all; the docker_engine role creates them."""
        found = (self.edge_network(s.name, e) for s in self.services.values() for e in s.environments)
        return sorted(n for n in found if n)

    def internal_network(self, service, environment):
        """Name of the unit's own network, when some of its containers stay off the shared one;
        not for a unit of one container that Traefik reaches on its edge network (no peer to talk to)."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if all(self._on_shared_network(svc, env, c) for c in env.containers):
            return None
        if len(env.containers) == 1 and self._on_edge_network(svc, env, env.containers[0]):
            return None
        return "%s-internal" % env.project
