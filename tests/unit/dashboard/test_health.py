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


def test_a_name_shared_by_a_container_and_a_dev_server_is_told_apart_by_environment(mutate, base_domain):
    from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog

    services = mutate([{"op": "set", "path": "payment.environments.production.containers.0.name", "value": "payment"}])
    eps, by_unit = health.endpoints(Catalog.load(services, base_domain))
    assert by_unit["payment/production"] == ["payment (production)"]
    assert by_unit["payment/development"] == ["payment (development)"]


def test_a_containerised_dashboard_leaves_the_hosts_loopback_unprobed(catalog):
    everything, dummy = health.endpoints(catalog)
    eps, by_unit = health.endpoints(catalog, probe_loopback=False)
    left_out = set(ep.name for ep in everything) - set(ep.name for ep in eps)
    assert left_out and all(ep.kind in ("http", "tcp") and "127.0.0.1" in ep.target
                            for ep in everything if ep.name in left_out)
    assert "auth/development" not in by_unit and by_unit["auth/production"] == ["auth-service"]
