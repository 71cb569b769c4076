# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters over the service catalog; each is documented in a sidecar YAML file of its name."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.module_utils._catalog import (
    Catalog,
    CatalogError,
    env_file_text,
    parse_env_file,
)


def _load(services, domain, network=None):
    try:
        return Catalog.load(services, domain, network)
    except CatalogError as exc:
        raise AnsibleFilterError(str(exc))


def _guard(func):
    """Turn catalog errors raised while deriving into filter errors with the same message."""
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CatalogError as exc:
            raise AnsibleFilterError("; ".join(exc.errors))
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def catalog_errors(services, domain, network=None):
    """Every validation error of the catalog, each as 'path: message'; empty when valid."""
    return Catalog.check(services, domain, network)[1]


def catalog_warnings(services, domain, network=None):
    """Warnings that do not stop a run, such as container names not prefixed by their service."""
    return Catalog.check(services, domain, network)[2]


@_guard
def catalog_units(services, domain, layer=None, environment=None, tags=None, reverse=False):
    """Deployment units (service, environment) in vertical order."""
    return _load(services, domain).units(layer=layer, environment=environment, tags=tags, reverse=reverse)


@_guard
def catalog_select(services, domain, layer=None, environment=None, tags=None, reverse=False):
    """Service names in vertical order, filtered by layer, environment and tag."""
    return _load(services, domain).ordered(layer=layer, environment=environment, tags=tags, reverse=reverse)


@_guard
def catalog_unit(services, domain, service, environment, network=None):
    """What a role needs to deploy one (service, environment); secrets appear only as vault paths."""
    return _load(services, domain, network).unit(service, environment)


@_guard
def catalog_provider(services, domain, kind):
    """Name of the service that provides kind (proxy, database) to the others."""
    svc = _load(services, domain).provider(kind)
    if svc is None:
        raise AnsibleFilterError("no service of platform_services provides %s (set provides: %s on one "
                                 "infrastructure service)" % (kind, kind))
    return svc.name


@_guard
def identity_labels(services, domain, service, environment):
    return _load(services, domain).identity_labels(service, environment)


@_guard
def traefik_labels(services, domain, service, environment, container, network=None,
                   entrypoint="websecure", certresolver=None, middlewares=None):
    return _load(services, domain, network).traefik_labels(
        service, environment, container, entrypoint=entrypoint, certresolver=certresolver or None,
        middlewares=middlewares)


@_guard
def container_names(services, domain, service=None, environment=None):
    return _load(services, domain).container_names(service=service, environment=environment)


@_guard
def service_databases(services, domain, environment="production"):
    return _load(services, domain).databases(environment)


@_guard
def database_settings(services, domain, service, environment, password=None, port=5432):
    return _load(services, domain).database_settings(service, environment, password=password, port=port)


@_guard
def compose_project(services, domain, service, environment, network=None, traefik=None,
                    labels=None, env_file=None):
    return _load(services, domain, network).compose_project(
        service, environment, extra_labels=labels, traefik=traefik, env_file=env_file)


@_guard
def health_targets(services, domain, environment=None, service=None, https_port=443):
    return _load(services, domain).health_targets(environment=environment, service=service,
                                                  https_port=int(https_port))


@_guard
def secret_names(services, domain, service, environment):
    return _load(services, domain).secret_names(service, environment)


@_guard
def platform_networks(services, domain, network=None):
    return _load(services, domain, network).networks()


@_guard
def env_file(variables):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("env_file expects a mapping of variable names to values")
    return env_file_text(variables)


@_guard
def env_file_parse(text):
    if not isinstance(text, str):
        raise AnsibleFilterError("env_file_parse expects the text of a .env file")
    return parse_env_file(text)


class FilterModule(object):
    def filters(self):
        return {
            "catalog_errors": catalog_errors,
            "catalog_warnings": catalog_warnings,
            "catalog_units": catalog_units,
            "catalog_select": catalog_select,
            "catalog_unit": catalog_unit,
            "catalog_provider": catalog_provider,
            "identity_labels": identity_labels,
            "traefik_labels": traefik_labels,
            "container_names": container_names,
            "service_databases": service_databases,
            "database_settings": database_settings,
            "compose_project": compose_project,
            "health_targets": health_targets,
            "secret_names": secret_names,
            "platform_networks": platform_networks,
            "env_file": env_file,
            "env_file_parse": env_file_parse,
        }
