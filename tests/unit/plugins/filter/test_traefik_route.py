# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host names and paths of the traefik role's own rules, by the catalog's grammar."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.filter.traefik_route import FilterModule

traefik_route_errors = FilterModule().filters()["traefik_route_errors"]


def test_good_hosts_and_paths_pass():
    assert traefik_route_errors("traefik.platform.localhost", "traefik_dashboard_host") == []
    assert traefik_route_errors("wiki", "u.host", ["/", "/api/v1", "/a%20b"]) == []


def test_a_backtick_in_a_host_or_a_path_is_named():
    errors = traefik_route_errors("nas`) || Host(`evil", "traefik_upstreams[0].host", ["/ok", "/x`)"],
                                  "traefik_upstreams[0].paths")
    assert len(errors) == 2
    assert errors[0].startswith("traefik_upstreams[0].host 'nas`) || Host(`evil' is no host name: a backtick '`' at position 3")
    assert errors[1].startswith("traefik_upstreams[0].paths[1] '/x`)' is no route path: a backtick '`' at position 2 is not allowed")


def test_upper_case_an_empty_host_and_a_relative_path():
    assert traefik_route_errors("NAS.example", "h")[0].startswith("h 'NAS.example' is no host name:")
    assert traefik_route_errors("", "h") == ["h must be a host name, got ''"]
    assert traefik_route_errors("nas", "h", ["api"]) == ["h.paths[0] must be a path starting with '/', got 'api'"]
