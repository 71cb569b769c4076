# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The socket proxies' allow-list grammar, one rule for Traefik's and the dashboard's."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.filter.socket_proxy import FilterModule

socket_proxy_errors = FilterModule().filters()["socket_proxy_errors"]


def test_the_roles_own_lists_pass():
    assert socket_proxy_errors(["GET:/_ping", "GET:/containers/[a-zA-Z0-9][a-zA-Z0-9_.-]*/json",
                                "POST:/containers/[a-f0-9]+/(start|stop|restart)"], "x", "traefik-docker-proxy") == []


@pytest.mark.parametrize("entry", [
    "GET /version",                     # no colon
    "get:/version",                     # methods are upper-case
    "GET:version",                      # the path starts at /
    "GET:/containers/json$",            # no anchors: the proxy adds them
    "GET:/a b",                         # white space splits ALLOW_PATHS
    "GET:/x\nfrontend evil",            # would start another haproxy section
    "GET,:/version",
])
def test_a_malformed_entry_is_named_with_its_variable_and_index(entry):
    errors = socket_proxy_errors(["GET:/_ping", entry], "dashboard_proxy_allow")
    assert errors == ["dashboard_proxy_allow[1] %r is not METHODS:/path-regex (upper-case methods joined by commas, "
                      "a path of letters, digits and _./{},()|?*+[]-)" % entry]


def test_an_empty_list_a_string_and_a_bad_container_name():
    assert socket_proxy_errors([], "v") == ["v must not be empty: the proxy would then fall back to its coarse sections"]
    assert socket_proxy_errors("GET:/_ping", "v") == ["v must be a list of METHODS:/path-regex entries, got 'GET:/_ping'"]
    assert socket_proxy_errors(["GET:/_ping"], "v", "-proxy", "c") == [
        "c '-proxy' is not a container name (a letter or digit, then letters, digits, _ . -)"]
