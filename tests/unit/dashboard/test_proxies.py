# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's address behind proxies: X-Forwarded-For counts only from a trusted peer, and then
only its right-most entry that is not a trusted proxy itself."""

from __future__ import annotations

import socket

import pytest

from korczewski_dashboard.proxies import TrustedProxies, parse


def test_without_trusted_proxies_the_client_is_the_peer():
    trusted = TrustedProxies()
    assert trusted.client("172.18.0.5", ["1.2.3.4"]) == "172.18.0.5"
    assert trusted.client(None, ["1.2.3.4"]) == "unknown"


def test_a_trusted_peer_names_the_client_and_an_untrusted_one_cannot():
    trusted = TrustedProxies(["172.18.0.2", "10.9.0.0/16"])
    assert trusted.client("172.18.0.2", ["203.0.113.7"]) == "203.0.113.7"
    # Another container on the same network claims an address: ignored.
    assert trusted.client("172.18.0.3", ["203.0.113.7"]) == "172.18.0.3"
    # What the client wrote itself is left of what the proxy appended.
    assert trusted.client("172.18.0.2", ["198.51.100.1, 203.0.113.7"]) == "203.0.113.7"
    assert trusted.client("172.18.0.2", ["198.51.100.1", "203.0.113.7"]) == "203.0.113.7"
    # A chain of trusted proxies is walked through.
    assert trusted.client("172.18.0.2", ["203.0.113.7, 10.9.3.4"]) == "203.0.113.7"
    assert trusted.client("172.18.0.2", ["10.9.3.4"]) == "10.9.3.4"
    assert trusted.client("172.18.0.2", []) == "172.18.0.2"
    assert trusted.client("172.18.0.2", ["203.0.113.7:5123"]) == "203.0.113.7"
    assert trusted.client("172.18.0.2", ["[2001:db8::1]:443"]) == "2001:db8::1"
    assert trusted.client("172.18.0.2", ["not-an-address"]) == "172.18.0.2"
    assert trusted.client("::ffff:172.18.0.2", ["203.0.113.7"]) == "203.0.113.7"


def test_host_names_resolve_in_refresh_only():
    answers = {"traefik": ["172.18.0.2"]}

    def resolve(name, port, family, kind):
        if name not in answers:
            raise socket.gaierror("no such host")
        return [(socket.AF_INET, kind, 6, "", (address, 0)) for address in answers[name]]

    trusted = TrustedProxies(["traefik"], resolve=resolve)
    assert trusted.client("172.18.0.2", ["203.0.113.7"]) == "172.18.0.2"
    trusted.refresh()
    assert trusted.client("172.18.0.2", ["203.0.113.7"]) == "203.0.113.7"
    # Gone from DNS: its old address is trusted no more.
    del answers["traefik"]
    trusted.refresh()
    assert trusted.client("172.18.0.2", ["203.0.113.7"]) == "172.18.0.2"


@pytest.mark.parametrize("entry", ["*", "10.0.0.300", "10.0.0.0/33", "bad host", "-x"])
def test_a_bad_entry_is_refused(entry):
    with pytest.raises(ValueError, match="neither an IP address"):
        parse([entry])


def test_entries():
    networks, names = parse(["10.0.0.1", " 172.18.0.0/16 ", "", "Traefik", "::1"])
    assert [str(n) for n in networks] == ["10.0.0.1/32", "172.18.0.0/16", "::1/128"] and names == ["traefik"]
