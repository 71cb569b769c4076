# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Imported settings join a service's production containers' environment, never development's."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.settings import apply_settings


def _environment(services, domain, service, environment, container):
    project = Catalog.load(services, domain).compose_project(service, environment)
    return project["services"][container]["environment"]


def test_a_setting_reaches_the_production_containers_only(base_services, base_domain):
    merged = apply_settings(base_services, {"auth": {"SMTP_HOST": "mail.local", "SMTP_PORT": 587}})
    assert _environment(merged, base_domain, "auth", "production", "auth-service")["SMTP_HOST"] == "mail.local"
    assert _environment(merged, base_domain, "auth", "production", "auth-service")["SMTP_PORT"] == "587"
    dev = Catalog.load(merged, base_domain).unit("auth", "development")
    assert all("SMTP_HOST" not in (server.get("env") or {}) for server in dev["local_servers"])


def test_every_container_of_a_production_unit_gets_it(base_services, base_domain):
    merged = apply_settings(base_services, {"l2p": {"FEATURE": "on"}})
    for container in ("l2p-app", "l2p-api"):
        assert _environment(merged, base_domain, "l2p", "production", container)["FEATURE"] == "on"


def test_no_settings_leave_the_catalog_as_it_is(base_services):
    assert apply_settings(base_services, {}) is base_services
    assert apply_settings(base_services, None) is base_services


def test_the_input_catalog_is_not_modified(base_services):
    before = copy.deepcopy(base_services)
    apply_settings(base_services, {"auth": {"SMTP_HOST": "mail.local"}})
    assert base_services == before


def test_a_setting_that_differs_from_the_catalog_entry_names_both(base_services):
    base_services["auth"]["environments"]["production"]["env"] = {"SMTP_HOST": "catalog.local"}
    with pytest.raises(CatalogError) as error:
        apply_settings(base_services, {"auth": {"SMTP_HOST": "mail.local"}})
    assert error.value.errors == [
        "platform_imported_settings.auth.SMTP_HOST conflicts with platform_services.auth.environments.production.env.SMTP_HOST, "
        "which the catalog entry declares: remove one"]
    # The same value twice is no conflict.
    assert apply_settings(base_services, {"auth": {"SMTP_HOST": "catalog.local"}})["auth"]["environments"]["production"]["env"] == {
        "SMTP_HOST": "catalog.local"}


@pytest.mark.parametrize("settings,message", [
    ({"mailer": {"A": "1"}}, "platform_imported_settings.mailer: platform_services has no service mailer with a production environment"),
    ({"auth": ["A"]}, "platform_imported_settings.auth: expected a mapping of environment variable names to values"),
    ({"auth": {"1A": "x"}}, "platform_imported_settings.auth.1A: not a valid environment variable name"),
])
def test_bad_settings_are_named_by_path(base_services, settings, message):
    with pytest.raises(CatalogError) as error:
        apply_settings(base_services, settings)
    assert error.value.errors == [message]
