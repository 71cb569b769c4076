# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog resolved once per run: one document the plays keep as the host fact
``platform_catalog`` (playbooks/validate.yml) and read instead of calling catalog filters again.

It holds the validation result (errors, warnings), the vocabulary plays need (environments,
layers, the secrets file mode) and every unit with what a play reads of it: the unit as
``Catalog.unit`` describes it, its layer order (up and down), its selection tags, identity
labels, project directory, secret paths, local servers and container images. :func:`select`
picks units from it the way ``Catalog.units`` does, without the catalog.

Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import posixpath

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.images import unit_images
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    ENVIRONMENTS,
    LAYERS,
    PROVIDES,
    as_list,
)

# Where a unit's compose project lives below platform_state_dir: <state_dir>/projects/<project>.
# The proxy's project keeps the directory of its first versions, <state_dir>/<service>, where its
# configuration, certificates and ACME storage live beside it.
PROJECTS_DIR = "projects"
# Every file that holds secrets (a unit's secrets.env, the database server's password file).
SECRETS_MODE = "0600"
# Bumped when the document's shape changes, so a caller can tell an old fact from a new one.
RESOLVED_VERSION = 1


def project_dir(catalog, state_dir, service, environment):
    """The directory of a unit's compose project below state_dir; None without a state_dir."""
    if not state_dir:
        return None
    svc = catalog.service(service)
    env = catalog.environment(service, environment)
    if svc.provides == "proxy":
        return posixpath.join(state_dir, svc.name)
    return posixpath.join(state_dir, PROJECTS_DIR, env.project)


def unit_secret_paths(unit):
    """Vault paths one unit's containers and dev servers read, sorted, each once."""
    paths = set(unit["secrets"].values())
    if unit["database"]:
        paths.add(unit["database"]["secret_path"])
    paths.update(t["secret_path"] for t in unit["secret_templates"].values())
    return sorted(paths)


def resolved_unit(catalog, service, environment, state_dir=None):
    """One unit with everything a play reads of it."""
    svc = catalog.service(service)
    unit = catalog.unit(service, environment)
    index = LAYERS.index(unit["layer"])
    unit.update({
        "order": index,
        # stop_all stops control first and the infrastructure last.
        "stop_order": len(LAYERS) - 1 - index,
        "tags": sorted({svc.name, svc.layer} | set(svc.tags)),
        "identity_labels": catalog.identity_labels(service, environment),
        "project_dir": project_dir(catalog, state_dir, service, environment),
        "secret_paths": unit_secret_paths(unit),
        # Checked on the host before anything changes (playbooks/plays/images.yml).
        "images": unit_images(catalog, service, environment),
        # What its slowest health check needs to pass; a play's own minimum may be longer.
        "wait_timeout": catalog.wait_timeout(service, environment),
    })
    return unit


def deploy_environments(environment=None):
    """The environments a run deploys: all (or none given) is every one, in the model's order; an
    unknown name none (the caller reports it)."""
    if environment in (None, "", "all"):
        return list(ENVIRONMENTS)
    return [environment] if environment in ENVIRONMENTS else []


def resolve(catalog, errors=None, warnings=None, state_dir=None, environment=None):
    """The document of one run: catalog None (invalid) gives the errors and no units."""
    units = []
    providers = {}
    if catalog is not None:
        for pair in catalog.units():
            units.append(resolved_unit(catalog, pair["service"], pair["environment"], state_dir))
        for kind in PROVIDES:
            svc = catalog.provider(kind)
            providers[kind] = svc.name if svc else None
    return {
        "version": RESOLVED_VERSION,
        "valid": catalog is not None and not errors,
        "errors": list(errors or []),
        "warnings": list(warnings or []),
        "environments": list(ENVIRONMENTS),
        "deploy_environments": deploy_environments(environment),
        "layers": list(LAYERS),
        "secrets_mode": SECRETS_MODE,
        "network": catalog.network if catalog is not None else None,
        "providers": providers,
        "units": units,
    }


def select(resolved, layer=None, environment=None, tags=None, reverse=False, service=None):
    """The units of a resolved document Catalog.units would select, in the same order, with
    their local servers and secret paths gathered (each path once, sorted). The units are the
    document's own, not copies: a deep copy of Ansible's tagged values costs more than the rest of
    a run's catalog work, and nothing changes a fact in place."""
    layers = set(as_list(layer))
    envs = set(as_list(environment))
    wanted = set(as_list(tags))
    services = set(as_list(service))
    units = [u for u in resolved.get("units") or []
             if (not layers or u["layer"] in layers) and (not envs or u["environment"] in envs)
             and (not wanted or wanted & set(u["tags"])) and (not services or u["service"] in services)]
    if reverse:
        units.reverse()
    return {
        "units": units,
        "local_servers": [s for u in units for s in u["local_servers"]],
        "secret_paths": sorted({p for u in units for p in u["secret_paths"]}),
    }
