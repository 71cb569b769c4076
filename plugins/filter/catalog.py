# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters over the service catalog; each is documented in a sidecar YAML file of its name.

Every filter that reads the catalog validates it first. A catalog error becomes an
AnsibleFilterError with the catalog's own message (one format, from catalog.model): the list of
errors under "platform_services is invalid:" for a rejected catalog, the single error otherwise.
A null network means the catalog's default network. gpus and gpu_fallback are the host's
platform_gpus and platform_gpu_fallback: the filters that validate or render pass them on, so a
GPU request is checked and rendered for the host it runs on; left out, the host is unknown.

A run resolves the catalog once (catalog_resolve, the host fact platform_catalog); catalog_select
reads that document without the catalog. The filters that still need the model (compose_specs,
dev_secret_envs, ...) load it through one per-process memo keyed by their exact inputs, so a task
that calls several of them validates the catalog once.
"""

from __future__ import annotations

import collections
import functools
import json

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.module_utils.compose.specs import (
    unit_dev_secret_envs,
    unit_local_servers,
    unit_project_specs,
    unit_secret_paths,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    DEFAULT_NETWORK,
    UNSET,
    Catalog,
    CatalogError,
    env_file_text,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.resolve import resolve, select
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.adopted import apply_adopted
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.settings import apply_settings

# Catalog.load per exact input: a catalog is read-only once loaded, so the same inputs give the
# same catalog. A few entries: a run has one catalog (and a test several).
_LOADED = collections.OrderedDict()
_LOADED_MAX = 8


def _key(*inputs):
    return json.dumps([UNSET_KEY if value is UNSET else value for value in inputs], sort_keys=True, default=repr)


UNSET_KEY = "<unset>"


def _load(services, domain, network=DEFAULT_NETWORK, gpus=UNSET, gpu_fallback=None):
    """Catalog.load, once per process for the same inputs."""
    try:
        key = _key(services, domain, network, gpus, gpu_fallback)
    except (TypeError, ValueError):
        return Catalog.load(services, domain, network, gpus, gpu_fallback)
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    catalog = Catalog.load(services, domain, network, gpus, gpu_fallback)
    _LOADED[key] = catalog
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return catalog


def _catalog_errors_as_filter_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CatalogError as exc:
            raise AnsibleFilterError(str(exc))
    return wrapper


def catalog_errors(services, domain, network=None, gpus=UNSET, gpu_fallback=None):
    """Every validation error of the catalog, each as 'path: message'; empty when valid."""
    return Catalog.check(services, domain, network, gpus, gpu_fallback)[1]


def catalog_warnings(services, domain, network=None, gpus=UNSET, gpu_fallback=None):
    """Warnings that do not stop a run, such as container names not prefixed by their service."""
    return Catalog.check(services, domain, network, gpus, gpu_fallback)[2]


def catalog_resolve(services, domain, network=None, gpus=UNSET, gpu_fallback=None, state_dir=None,
                    environment=None):
    """The catalog of one run as one document: errors, warnings and every unit with what plays read."""
    catalog, errors, warnings = Catalog.check(services, domain, network, gpus, gpu_fallback)
    if catalog is not None:
        try:
            return resolve(catalog, errors, warnings, state_dir=state_dir, environment=environment)
        except CatalogError as exc:
            errors = list(exc.errors)
    return resolve(None, errors, warnings, environment=environment)


def catalog_select(resolved, layer=None, environment=None, tags=None, reverse=False, service=None):
    """Units of a catalog_resolve document, selected as catalog_units selects them."""
    if not isinstance(resolved, dict) or "units" not in resolved:
        raise AnsibleFilterError("catalog_select expects the document of korczewski.platform.catalog_resolve")
    if not resolved.get("valid", True):
        raise AnsibleFilterError("\n".join(["platform_services is invalid:"] + list(resolved.get("errors") or [])))
    return select(resolved, layer=layer, environment=environment, tags=tags or None, reverse=reverse,
                  service=service)


@_catalog_errors_as_filter_errors
def catalog_units(services, domain, layer=None, environment=None, tags=None, reverse=False):
    """Deployment units (service, environment) in vertical order."""
    return _load(services, domain).units(layer=layer, environment=environment, tags=tags, reverse=reverse)


@_catalog_errors_as_filter_errors
def catalog_unit(services, domain, service, environment, network=None):
    """What a role needs to deploy one (service, environment); secrets appear only as vault paths."""
    return _load(services, domain, network).unit(service, environment)


@_catalog_errors_as_filter_errors
def catalog_provider(services, domain, kind):
    """Name of the service that provides kind (proxy, database) to the others."""
    svc = _load(services, domain).provider(kind)
    if svc is None:
        raise CatalogError(["no service of platform_services provides %s (set provides: %s on one "
                            "infrastructure service)" % (kind, kind)])
    return svc.name


@_catalog_errors_as_filter_errors
def identity_labels(services, domain, service, environment):
    return _load(services, domain).identity_labels(service, environment)


@_catalog_errors_as_filter_errors
def traefik_labels(services, domain, service, environment, container, network=None,
                   entrypoint="websecure", certresolver=None, middlewares=None):
    return _load(services, domain, network).traefik_labels(
        service, environment, container, entrypoint=entrypoint, certresolver=certresolver or None,
        middlewares=middlewares)


@_catalog_errors_as_filter_errors
def service_databases(services, domain, environment="production"):
    return _load(services, domain).databases(environment)


@_catalog_errors_as_filter_errors
def database_settings(services, domain, service, environment, password=None, port=5432):
    return _load(services, domain).database_settings(service, environment, password=password, port=port)


@_catalog_errors_as_filter_errors
def compose_project(services, domain, service, environment, network=None, traefik=None,
                    labels=None, env_file=None, gpus=UNSET, gpu_fallback=None):
    return _load(services, domain, network, gpus, gpu_fallback).compose_project(
        service, environment, extra_labels=labels, traefik=traefik, env_file=env_file)


@_catalog_errors_as_filter_errors
def secret_paths(services, domain, units, network=None):
    """Vault paths the units read; resolve them once with the platform_secret lookup."""
    return unit_secret_paths(_load(services, domain, network), units)


@_catalog_errors_as_filter_errors
def compose_specs(services, domain, units, secrets, project_root=None, network=None, traefik=None,
                  state="present", wait_timeout=180, gpus=UNSET, gpu_fallback=None, extras=None):
    """compose_projects entries for the units that have containers, secrets from {path: value};
    extras: {project: a role's additions} (services, append, definition, files, entry keys)."""
    if not isinstance(secrets, dict):
        raise AnsibleFilterError("compose_specs expects secrets as a mapping of vault paths to values")
    if extras is not None and not isinstance(extras, dict):
        raise AnsibleFilterError("compose_specs expects extras as a mapping of project names to additions")
    return unit_project_specs(_load(services, domain, network, gpus, gpu_fallback), units, secrets,
                              project_root or None, traefik=traefik, state=state, wait_timeout=wait_timeout,
                              extras=extras)


@_catalog_errors_as_filter_errors
def local_servers(services, domain, units, network=None):
    """The units' local dev servers (catalog entries), so one task runs them all."""
    return unit_local_servers(_load(services, domain, network), units)


@_catalog_errors_as_filter_errors
def dev_secret_envs(services, domain, units, secrets, network=None):
    """{server name: secret environment} for the units' dev servers, secrets from {path: value}."""
    if not isinstance(secrets, dict):
        raise AnsibleFilterError("dev_secret_envs expects secrets as a mapping of vault paths to values")
    return unit_dev_secret_envs(_load(services, domain, network), units, secrets)


@_catalog_errors_as_filter_errors
def health_targets(services, domain, environment=None, service=None, https_port=443):
    return _load(services, domain).health_targets(environment=environment, service=service,
                                                  https_port=int(https_port))


@_catalog_errors_as_filter_errors
def platform_networks(services, domain, network=None):
    return _load(services, domain, network).networks()


@_catalog_errors_as_filter_errors
def catalog_settings(services, settings=None, volumes=None):
    """services with imported settings in their production environments' env and adopted volumes
    in their volume entries."""
    return apply_adopted(apply_settings(services, settings), volumes)


@_catalog_errors_as_filter_errors
def env_file(variables):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("env_file expects a mapping of variable names to values")
    return env_file_text(variables)


class FilterModule(object):
    def filters(self):
        return {
            "catalog_errors": catalog_errors,
            "catalog_resolve": catalog_resolve,
            "catalog_select": catalog_select,
            "catalog_warnings": catalog_warnings,
            "catalog_units": catalog_units,
            "catalog_unit": catalog_unit,
            "catalog_provider": catalog_provider,
            "identity_labels": identity_labels,
            "traefik_labels": traefik_labels,
            "service_databases": service_databases,
            "database_settings": database_settings,
            "compose_project": compose_project,
            "compose_specs": compose_specs,
            "secret_paths": secret_paths,
            "local_servers": local_servers,
            "dev_secret_envs": dev_secret_envs,
            "health_targets": health_targets,
            "platform_networks": platform_networks,
            "env_file": env_file,
            "catalog_settings": catalog_settings,
        }
