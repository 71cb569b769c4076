# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's address: the TCP peer, or what ``X-Forwarded-For`` says when the peer is one of
the trusted proxies (``DASHBOARD_TRUSTED_PROXIES``: addresses, networks or host names)."""

from __future__ import annotations

import ipaddress
import re
import socket

# A host name as Docker's DNS answers it (a container name, service or alias).
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*$")


def parse(entries):
    """(networks, host names) from the setting's entries; ValueError names the first bad one."""
    networks, names = [], []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        # "*" would bring back what this setting exists to prevent: anyone on the network choosing its own address.
        if not _HOST_NAME.match(entry) or entry.replace(".", "").isdigit():
            raise ValueError("%r is neither an IP address, a network (CIDR) nor a host name" % entry)
        names.append(entry.lower())
    return networks, names


def _address(text):
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class TrustedProxies:
    """Which peers may speak for a client. Host names resolve in ``refresh()`` (the app runs it in a
    thread at start and then periodically), so the per-request check never waits for DNS."""

    def __init__(self, entries=(), resolve=socket.getaddrinfo):
        self.networks, self.names = parse(entries)
        self.resolve = resolve
        self.resolved = frozenset()

    def refresh(self):
        found = set()
        for name in self.names:
            try:
                infos = self.resolve(name, None, 0, socket.SOCK_STREAM)
            except OSError:
                # Not kept from the last answer: the address of a proxy that went away may go to another container.
                continue
            found.update(ipaddress.ip_address(info[4][0]) for info in infos)
        self.resolved = frozenset(found)
        return self.resolved

    def trusts(self, address):
        if address is None:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address in self.resolved or any(address in network for network in self.networks)

    def client(self, peer, forwarded_for=()):
        """The client's address: the peer unless it is trusted; then the right-most entry of
        X-Forwarded-For (every header joined) that is not itself a trusted proxy, since every
        entry left of a proxy's own came from the client and may be anything."""
        if not peer:
            return "unknown"
        if not self.trusts(_address(peer)):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                # Garbage where an address should be: the proxy's peer is all that is known.
                return peer
            if not self.trusts(address):
                return str(address)
        return str(_address(hops[0])) if hops else peer
