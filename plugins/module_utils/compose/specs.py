# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_projects entries for many catalog units at once, so a layer is one module call.

Secrets arrive resolved, as {vault path: value}; the playbook resolves them with the
platform_secret lookup (filters cannot call lookups). Private to korczewski.platform.
"""

from __future__ import annotations

import os

from urllib.parse import quote

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LAYERS, CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import env_file_text

SECRETS_FILE = "secrets.env"


def _pairs(units):
    for unit in units or []:
        if isinstance(unit, dict):
            yield unit["service"], unit["environment"]
        else:
            yield unit[0], unit[1]


def unit_secret_paths(catalog, units):
    """Vault paths the units' containers and dev servers read, sorted, each once."""
    paths = set()
    for service, environment in _pairs(units):
        unit = catalog.unit(service, environment)
        if unit["database"]:
            paths.add(unit["database"]["secret_path"])
        paths.update(unit["secrets"].values())
        paths.update(t["secret_path"] for t in unit["secret_templates"].values())
    return sorted(paths)


def unit_secret_env(catalog, service, environment, secrets):
    """The secret environment of one unit: database settings with the password, then its own secrets."""
    unit = catalog.unit(service, environment)
    templates = unit["secret_templates"]
    wanted = ([unit["database"]["secret_path"]] if unit["database"] else []) + list(unit["secrets"].values()) + [
        t["secret_path"] for t in templates.values()]
    missing = sorted(set(p for p in wanted if p not in secrets))
    if missing:
        raise CatalogError(["%s.%s: no value for the secret(s) %s" % (service, environment, ", ".join(missing))])
    env = {}
    if unit["database"]:
        env.update(catalog.database_settings(service, environment, password=secrets[unit["database"]["secret_path"]]))
    env.update((name, secrets[path]) for name, path in unit["secrets"].items())
    env.update((name, fill_secret(t["format"], secrets[t["secret_path"]])) for name, t in templates.items())
    return env


def unit_local_servers(catalog, units):
    """The local dev servers of the units, in the given order."""
    servers = []
    for service, environment in _pairs(units):
        servers.extend(catalog.unit(service, environment)["local_servers"])
    return servers


def unit_dev_secret_envs(catalog, units, secrets):
    """{server name: secret environment} for the units' local dev servers: a server gets its unit's."""
    envs = {}
    for service, environment in _pairs(units):
        unit = catalog.unit(service, environment)
        if unit["local_servers"]:
            env = unit_secret_env(catalog, service, environment, secrets)
            envs.update((server["name"], env) for server in unit["local_servers"])
    return envs


def fill_secret(text, value):
    """A secret_env format with the secret in its place: {secret} as is, {secret|urlencode}
    percent-encoded (a password inside a URL)."""
    return text.replace("{secret|urlencode}", quote(str(value), safe="")).replace("{secret}", str(value))


def unit_project_specs(catalog, units, secrets, project_root, traefik=None, state="present", wait_timeout=180):
    """One compose_projects entry per unit that has containers, in the given order.

    order is the layer's index, so one call over several layers still brings them up in the
    catalog's vertical order. wait_timeout is a minimum: a unit whose slowest healthcheck needs
    longer (a model load's start_period) gets that long.
    """
    specs = []
    for service, environment in _pairs(units):
        unit = catalog.unit(service, environment)
        if not unit["containers"]:
            continue
        definition = catalog.compose_project(service, environment, traefik=traefik, env_file=SECRETS_FILE)
        files = []
        if any(SECRETS_FILE in (spec.get("env_file") or []) for spec in definition["services"].values()):
            files.append({"path": SECRETS_FILE, "content": env_file_text(unit_secret_env(catalog, service, environment, secrets)),
                          "mode": "0600", "secret": True})
        else:
            # A unit that lost its last secret must not keep the old values on disk.
            files.append({"path": SECRETS_FILE, "state": "absent"})
        specs.append({"name": unit["project"], "project_dir": os.path.join(project_root, unit["project"]),
                      "definition": definition, "files": files, "order": LAYERS.index(unit["layer"]),
                      "depends_on": [], "state": state,
                      "wait_timeout": catalog.wait_timeout(service, environment, minimum=int(wait_timeout))})
    return specs
