# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imported settings: plain environment variables of a service's production containers.

playbooks/import_env.yml writes a hand-run installation's non-secret .env values into
platform_imported_settings ({service: {NAME: value}}). They join the production environment's env
of the raw catalog before it is checked, so every later step sees one catalog. A setting never
replaces what the catalog entry itself declares: a differing value is an error naming both.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import ENV_NAME_RE, env_value
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import ENVIRONMENTS, CatalogError

SETTINGS_VARIABLE = "platform_imported_settings"
PRODUCTION = ENVIRONMENTS[0]


def apply_settings(services, settings):
    """services with settings merged into each service's production env; services itself untouched."""
    if not settings:
        return services
    if not isinstance(settings, dict):
        raise CatalogError(["%s: expected a mapping of service names to {NAME: value}" % SETTINGS_VARIABLE])
    if not isinstance(services, dict):
        return services  # the catalog check reports what is wrong with services itself
    errors = []
    merged = dict(services)
    for service, names in settings.items():
        path = "%s.%s" % (SETTINGS_VARIABLE, service)
        raw = services.get(service)
        envs = raw.get("environments") if isinstance(raw, dict) else None
        production = envs.get(PRODUCTION) if isinstance(envs, dict) else None
        if not isinstance(production, dict):
            errors.append("%s: platform_services has no service %s with a %s environment" % (path, service, PRODUCTION))
            continue
        if not isinstance(names, dict):
            errors.append("%s: expected a mapping of environment variable names to values" % path)
            continue
        own = production.get("env") or {}
        if not isinstance(own, dict):
            continue  # the catalog check names platform_services.<service>.environments.production.env
        env = dict(own)
        for name, value in names.items():
            if not ENV_NAME_RE.match(str(name)):
                errors.append("%s.%s: not a valid environment variable name" % (path, name))
            elif name in own and env_value(own[name]) != env_value(value):
                errors.append("%s.%s conflicts with platform_services.%s.environments.%s.env.%s, which the catalog "
                              "entry declares: remove one" % (path, name, service, PRODUCTION, name))
            else:
                env[name] = value
        merged[service] = dict(raw, environments=dict(envs, **{PRODUCTION: dict(production, env=env)}))
    if errors:
        raise CatalogError(errors)
    return merged
