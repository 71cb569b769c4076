# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the catalog says a unit is healthy: each container's Docker healthcheck (the catalog's own
or one derived from its health path, which the drain file fails), how long Docker may take to
judge it, and where every unit answers its health probe.

The functions take a parsed container; the mixin's methods are lookups over
catalog.model.CatalogModel, combined in catalog.derive.Derivations. Private to
korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import shlex

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import DRAIN_FILE, as_list
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse import duration_seconds
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.routing import routes_path

# Docker's own defaults, for a catalog healthcheck that leaves a field out.
DOCKER_HEALTHCHECK_DEFAULTS = {"interval": "30s", "timeout": "30s", "retries": 3, "start_period": "0s"}


def healthcheck(cont):
    """The catalog's healthcheck (for images without curl or wget), else one probing the health
    path with curl or wget, which most application images carry. The container's start_period
    replaces the default grace period of either: a model load takes minutes."""
    if cont.healthcheck:
        check = dict(cont.healthcheck)
    elif cont.health_path and cont.port:
        # The health path's grammar (catalog/parse_fields.py) already keeps shell characters out;
        # quoting is the second guard, should that grammar ever be widened.
        url = shlex.quote("http://127.0.0.1:%d%s" % (cont.port, cont.health_path))
        # The drain file fails the check on purpose (LABEL_DRAIN): a switch drains the old container.
        probe = ("if [ -e %s ]; then exit 1; fi; if command -v curl >/dev/null; then curl -fsS -o /dev/null %s; "
                 "else wget -q -O /dev/null %s; fi" % (shlex.quote(DRAIN_FILE), url, url))
        # Docker before 25 has no start_interval: a short interval is what lets `up --wait` (and a
        # takeover) see a new container healthy within seconds instead of after the first interval.
        # Three misses (6 s) make it unhealthy: that is how long draining a container takes.
        check = {"test": ["CMD-SHELL", probe], "interval": "2s", "timeout": "4s", "retries": 3, "start_period": "60s"}
    else:
        return None
    if cont.start_period:
        check["start_period"] = cont.start_period
    return check


def drains(cont):
    """Whether the container's health check is the derived one, which the drain file fails."""
    return not cont.healthcheck and bool(cont.health_path and cont.port)


def healthy_within(cont):
    """Seconds after which Docker has called a container with a healthcheck unhealthy at the
    latest: its grace period, then every retry timing out. None without a healthcheck."""
    check = healthcheck(cont)
    if not check or check.get("disable") or (check.get("test") or [None])[0] == "NONE":
        return None
    value = dict(DOCKER_HEALTHCHECK_DEFAULTS, **check)
    return int(duration_seconds(value["start_period"]) + int(value["retries"])
               * (duration_seconds(value["interval"]) + duration_seconds(value["timeout"])))


class HealthTargets(object):
    """Health targets and wait timeouts over a validated catalog (self is a CatalogModel with Routing)."""

    def health_targets(self, environment=None, service=None, https_port=443):
        """Where each unit answers its health probe: through Traefik, a loopback port or Docker."""
        targets = []
        for unit in self.units(environment=environment, tags=as_list(service) if service else None):
            svc = self.services[unit["service"]]
            env = svc.environments[unit["environment"]]
            host = self.hostname(env)
            for cont in env.containers:
                target = {"service": svc.name, "environment": env.name, "name": cont.name,
                          "kind": "container", "container": cont.name}
                if cont.health_path and self.routed(env, cont) and routes_path(cont, cont.health_path):
                    target.update(url="https://%s:%d%s" % (host, https_port, cont.health_path),
                                  host=host, kind="https")
                elif cont.publish and cont.health_path:
                    target.update(url="http://127.0.0.1:%d%s" % (cont.publish[0].host, cont.health_path),
                                  kind="http")
                if cont.health_conditions:
                    target["conditions"] = list(cont.health_conditions)
                targets.append(target)
            for server in env.servers:
                target = {"service": svc.name, "environment": env.name, "name": server.name, "kind": "tcp",
                          "port": server.port}
                if server.health_path:
                    target.update(kind="http", url="http://127.0.0.1:%d%s" % (server.port, server.health_path))
                if server.health_conditions:
                    target["conditions"] = list(server.health_conditions)
                targets.append(target)
        return targets

    def wait_timeout(self, service, environment, minimum=0):
        """Seconds to wait for a unit to become healthy: at least minimum, and long enough for
        its slowest container's grace period and retries, so a healthy first start (a model
        load of minutes) never times out."""
        env = self.environment(service, environment)
        slowest = [s for s in (healthy_within(c) for c in env.containers) if s is not None]
        return max([int(minimum)] + [s + 30 for s in slowest])
