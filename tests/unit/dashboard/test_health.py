# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's health endpoints come from the catalog's health targets, and container
targets are judged from discovery with the collection's own conditions."""

from __future__ import annotations

from korczewski_dashboard import health


def test_endpoints_are_the_catalogs_health_targets_grouped_by_unit(catalog):
    eps, by_unit = health.endpoints(catalog, https_port=18443, https_address="traefik")
    names = [ep.name for ep in eps]
    assert names == [t["name"] for t in catalog.health_targets()]
    assert by_unit["l2p/production"] == ["l2p-app", "l2p-api"]
    https = [ep for ep in eps if ep.kind == "https"]
    assert https and all(ep.address == "traefik" and ":18443/" in ep.url for ep in https)


def test_a_container_target_is_judged_from_the_discovered_container(catalog):
    eps, dummy = health.endpoints(catalog)
    target = [ep for ep in eps if ep.kind == "container"][0]
    healthy = health.container_result(target, {"state": "running", "health": "healthy"})
    assert healthy["ok"] and healthy["container_health"] == "healthy"
    sick = health.container_result(target, {"state": "running", "health": "unhealthy"})
    assert not sick["ok"] and "[CONTAINER_HEALTH] == healthy" in sick["failed_conditions"][0]
    # A stopped container's last health status is stale: its state is what counts.
    stopped = health.container_result(target, {"state": "exited", "health": "healthy"})
    assert not stopped["ok"] and stopped["container_health"] == "exited"
    gone = health.container_result(target, None)
    assert not gone["ok"] and "no container named" in gone["error"]
