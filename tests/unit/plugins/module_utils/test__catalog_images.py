# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The images of a unit with their catalog paths (catalog/images.py), as the resolved catalog
carries them for the preflight's image check."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.images import unit_images
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.resolve import resolve


def test_every_container_image_with_its_path_service_and_environment(catalog):
    assert unit_images(catalog, "l2p", "production") == [
        {"image": catalog.environment("l2p", "production").containers[i].image,
         "path": "platform_services.l2p.environments.production.containers[%d].image" % i,
         "service": "l2p", "environment": "production"} for i in (0, 1)]
    # A dev server runs no image.
    assert unit_images(catalog, "auth", "development") == []


def test_the_path_is_the_one_validation_names_for_that_image(catalog, break_catalog, base_domain, production_host):
    services = break_catalog("set", "vllm-rag.environments.production.containers.2.image", 5)
    dummy, errors, dummy_warnings = Catalog.check(services, base_domain, **production_host)
    path = unit_images(catalog, "vllm-rag", "production")[2]["path"]
    assert any(error.startswith(path + ": ") for error in errors), errors


def test_a_container_built_on_the_host_is_left_out(break_catalog, base_domain, production_host):
    services = break_catalog("set", "auth.environments.production.containers.0.build", "./auth")
    catalog = Catalog.load(services, base_domain, **production_host)
    assert unit_images(catalog, "auth", "production") == []


def test_the_resolved_units_carry_their_images(catalog):
    resolved = resolve(catalog)
    for unit in resolved["units"]:
        assert unit["images"] == unit_images(catalog, unit["service"], unit["environment"])
    traefik = [u for u in resolved["units"] if u["service"] == "traefik"][0]
    assert [i["path"] for i in traefik["images"]] == ["platform_services.traefik.environments.production.containers[0].image"]
