# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adopted volumes: a unit mounts the hand-run installation's volume or directory in place, and
compose neither creates nor removes what it did not create."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.adopted import apply_adopted
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.index import CatalogIndex


def _project(services, domain, service, environment="production"):
    return Catalog.load(services, domain).compose_project(service, environment)


def test_an_adopted_volume_is_mounted_as_an_external_volume(base_services, base_domain):
    merged = apply_adopted(base_services, {"shared-postgres-data": {"external": "handrun_pgdata"}})
    project = _project(merged, base_domain, "shared-postgres")
    assert project["services"]["shared-postgres"]["volumes"] == ["shared-postgres-data:/var/lib/postgresql/data"]
    assert project["volumes"] == {"shared-postgres-data": {"name": "handrun_pgdata", "external": True}}


def test_an_adopted_directory_is_a_bind_mount_and_no_volume(base_services, base_domain):
    merged = apply_adopted(base_services, {"videovault-media": {"host_path": "/srv/handrun/media"}})
    project = _project(merged, base_domain, "videovault")
    assert project["services"]["videovault"]["volumes"] == ["/srv/handrun/media:/data"]
    assert "volumes" not in project
    # The development unit keeps its own volume.
    assert _project(merged, base_domain, "videovault", "development")["volumes"] == {
        "videovault-dev-media": {"name": "videovault-dev-media"}}


def test_discovery_knows_the_adopted_volume_by_its_real_name(base_services, base_domain):
    merged = apply_adopted(base_services, {"shared-postgres-data": {"external": "handrun_pgdata"}})
    owners = CatalogIndex(Catalog.load(merged, base_domain)).volume_owner
    assert owners["handrun_pgdata"] == "shared-postgres/production"
    assert "shared-postgres-data" not in owners


def test_no_adoption_leaves_the_catalog_as_it_is(base_services):
    before = copy.deepcopy(base_services)
    assert apply_adopted(base_services, {}) is base_services
    apply_adopted(base_services, {"videovault-media": {"host_path": "/srv/media"}})
    assert base_services == before


@pytest.mark.parametrize("adopted,message", [
    ({"nothing-here": {"external": "x"}},
     "platform_adopted_volumes.nothing-here: no container of platform_services has a volume of that name"),
    ({"videovault-media": {"directory": "/srv"}},
     "platform_adopted_volumes.videovault-media: expected {external: <volume name>} or {host_path: <directory>}"),
    ({"videovault-media": "/srv"},
     "platform_adopted_volumes.videovault-media: expected {external: <volume name>} or {host_path: <directory>}"),
])
def test_bad_adoptions_name_the_entry(base_services, adopted, message):
    with pytest.raises(CatalogError) as error:
        apply_adopted(base_services, adopted)
    assert error.value.errors == [message]


def test_a_source_the_catalog_entry_declares_otherwise_is_a_conflict(base_services):
    vol = base_services["videovault"]["environments"]["production"]["containers"][0]["volumes"][0]
    vol["host_path"] = "/srv/catalog-media"
    with pytest.raises(CatalogError) as error:
        apply_adopted(base_services, {"videovault-media": {"external": "media"}})
    assert error.value.errors == [
        "platform_adopted_volumes.videovault-media conflicts with "
        "platform_services.videovault.environments.production.containers[0].volumes[0].host_path, "
        "which the catalog entry declares: remove one"]


@pytest.mark.parametrize("volume,message", [
    ({"external": "pg", "host_path": "/srv/pg"},
     "volumes[0]: external (a volume) and host_path (a directory) both name the data of 'videovault-media': keep one"),
    ({"host_path": "srv/media"}, "volumes[0].host_path: must be an absolute host directory without ':', got 'srv/media'"),
    ({"host_path": "/srv/a:b"}, "volumes[0].host_path: must be an absolute host directory without ':', got '/srv/a:b'"),
    ({"external": "bad name"}, "volumes[0].external: 'bad name' is not a valid volume name"),
])
def test_bad_volume_sources_in_the_catalog_are_named(base_services, base_domain, volume, message):
    base_services["videovault"]["environments"]["production"]["containers"][0]["volumes"][0].update(volume)
    _catalog, errors, _warnings = Catalog.check(base_services, base_domain)
    assert ("platform_services.videovault.environments.production.containers[0]." + message) in errors, errors


def test_production_and_development_may_not_share_an_adopted_directory(base_services, base_domain):
    merged = apply_adopted(base_services, {"videovault-media": {"host_path": "/srv/media"},
                                           "videovault-dev-media": {"host_path": "/srv/media"}})
    _catalog, errors, _warnings = Catalog.check(merged, base_domain)
    assert ("platform_services.videovault.environments.development.containers[0].volumes: directory '/srv/media' "
            "is also used by videovault.production: production and development never share data") in errors, errors
