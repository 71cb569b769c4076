# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment methods: what an environment's ``method`` means, in one place.

A method declares the fields it requires and forbids, whether its unit runs containers (as one
compose project) and local dev servers, and which discovered containers are the unit's own.
Everything that used to compare method names (validation, derivation, discovery, the
single-environment rule, the modules, the dashboard, stop_all) asks the unit's method instead.

Adding a method: subclass :class:`Method`, set its declarations, decorate it with
:func:`register`. Nothing else names methods.

Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LocalServer

_REGISTRY = {}


def register(cls):
    """Class decorator: the method is known under ``cls.name``, in definition order."""
    _REGISTRY[cls.name] = cls()
    return cls


def method_of(name):
    """The registered method called name (a catalog's ``method`` value or a unit's)."""
    return _REGISTRY[name]


def method_names(**declarations):
    """Names of the registered methods, in definition order, whose declarations match."""
    return tuple(name for name, method in _REGISTRY.items()
                 if all(getattr(method, key) == value for key, value in declarations.items()))


def unit_containers(unit):
    """The containers of a discovered unit (a dict with method, project and containers) that
    are its own; the one place that judges it for discovery, the rule, the modules and the dashboard."""
    return method_of(unit["method"]).own_containers(unit.get("containers") or [], unit["project"])


def _names(methods):
    return " and ".join(methods)


class Method(object):
    """One deployment method. The declarations below are read by validation and by every
    consumer of a unit; override :meth:`servers` where the environment itself is a server."""

    name = None
    # The unit is one compose project of the environment's containers.
    runs_containers = False
    # The environment itself is one local dev server (source, script, port at its top level).
    is_dev_server = False
    # The environment lists local dev servers of its own (local_servers) beside its containers.
    lists_local_servers = False
    # Accepted for the seed's compose files with profiles; read only to say it is not needed.
    takes_profile = False

    @property
    def has_source(self):
        return self.is_dev_server or self.lists_local_servers

    def servers(self, env):
        """The environment's local dev servers as LocalServer objects."""
        return list(env.local_servers) if self.lists_local_servers else []

    def own_containers(self, containers, project):
        """The discovered containers (dicts with a ``project``) that are this unit's own: those
        of its compose project. A unit without containers owns none: any is a stray."""
        if not self.runs_containers:
            return []
        return [c for c in containers if c.get("project") == project]

    def port_claims(self, env, path):
        """(host port, catalog path) of every port the environment's dev servers listen on."""
        return [(s.port, "%s.local_servers[%d].port" % (path, s.index)) for s in env.local_servers]

    def check_fields(self, chk, env, raw, path):
        """What the method needs and what it cannot have, each error at its path."""
        if self.runs_containers and not raw.get("containers"):
            chk.error(path + ".containers", "method %s needs at least one container" % self.name)
        if not self.runs_containers and raw.get("containers"):
            chk.error(path + ".containers", "method %s runs no containers; use method %s for both"
                      % (self.name, _names(method_names(runs_containers=True, lists_local_servers=True))))
        if raw.get("source") is not None and not self.has_source:
            chk.error(path + ".source", "only %s environments have a source directory"
                      % _names(name for name, m in _REGISTRY.items() if m.has_source))
        if raw.get("local_servers") and not self.lists_local_servers:
            chk.error(path + ".local_servers", "only %s environments run local servers"
                      % _names(method_names(lists_local_servers=True)))
        if raw.get("profile") is not None:
            if not self.takes_profile:
                chk.error(path + ".profile", "only %s environments have a profile" % _names(method_names(takes_profile=True)))
            else:
                chk.warn(path + ".profile", "is not needed: every (service, environment) is its own compose "
                         "project, so no compose profile is rendered; remove it")


@register
class Compose(Method):
    """The environment's containers, rendered as one compose project."""
    name = "compose"
    runs_containers = True


@register
class ComposeProfile(Compose):
    """The seed ran this unit from a shared compose file under a profile. Documented alias of
    compose: a profile is mapped onto one compose project per (service, environment), because
    ``down --profile`` and ``stop --profile`` also hit the services of other profiles."""
    name = "compose_profile"
    takes_profile = True


@register
class ComposeService(Compose):
    """The seed ran this unit as named services of a shared compose file. Documented alias of
    compose, for the same reason: each unit is its own project."""
    name = "compose_service"


@register
class Npm(Method):
    """One local dev server (``npm run <script>`` in ``source``), no containers."""
    name = "npm"
    is_dev_server = True

    def servers(self, env):
        return [LocalServer(env.service, env.source, env.script, env.port, env.health_path,
                            health_conditions=list(env.health_conditions))]

    def port_claims(self, env, path):
        return [(env.port, path + ".port")] if env.port else []

    def check_fields(self, chk, env, raw, path):
        if env.source is None:
            chk.error(path + ".source", "is required for method npm (the directory holding package.json)")
        if env.port is None and raw.get("port") is None:
            chk.error(path + ".port", "is required for method npm (the port the dev server listens on)")
        super(Npm, self).check_fields(chk, env, raw, path)


@register
class Hybrid(Compose):
    """Containers as one compose project, plus local dev servers of its own."""
    name = "hybrid"
    lists_local_servers = True


METHODS = tuple(_REGISTRY)
