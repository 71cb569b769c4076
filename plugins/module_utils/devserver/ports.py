# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Who holds a TCP port, and whether a dev server answers on its own: the port side of starting
a local development server (the sockets come from :mod:`devserver.proc`)."""

from __future__ import annotations

import ipaddress
import socket
import time

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import HOST

POLL_INTERVAL = 0.2


def port_holders(port, proc=HOST):
    """Who listens on TCP ``port``.

    Returns a list of dicts ``{'pid', 'cmdline', 'session', 'address', 'family'}``; ``pid`` is
    None for a listening socket whose owner could not be found ("unknown process"). An empty list
    means the port is free as far as ``/proc`` can tell.
    """
    sockets = proc.listening_sockets(port)
    owners = proc.socket_owners([s['inode'] for s in sockets])
    holders = []
    seen = set()
    for sock in sockets:
        for pid in owners.get(sock['inode']) or [None]:
            key = (pid, sock['address'])
            if key in seen:
                continue
            seen.add(key)
            stat = proc.stat(pid) if pid is not None else None
            holders.append({
                'pid': pid,
                'cmdline': proc.cmdline(pid) if pid is not None else '',
                'session': stat['session'] if stat else None,
                'address': sock['address'],
                'family': sock['family'],
            })
    return holders


def is_loopback(address):
    """Whether a listener's address is reachable from this host only (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def public_listeners(port, session, proc=HOST):
    """The listeners of session ``session`` on ``port`` that other hosts (and containers) reach:
    a wildcard or an outside address, where a dev server must listen on loopback only."""
    return [h for h in port_holders(port, proc) if h['session'] == session and not is_loopback(h['address'])]


def describe_holder(holder):
    """Human-readable name of a port holder: ``pid 123 (python3 -m http.server)``."""
    if holder.get('pid') is None:
        return 'an unknown process'
    command = holder.get('cmdline') or '?'
    if len(command) > 200:
        command = command[:197] + '...'
    return 'pid %d (%s)' % (holder['pid'], command)


def foreign_port_message(port, holders, name):
    """Why a server is not started on a port someone else holds."""
    return ('Port %d is in use by %s, which npm_dev_server does not manage for %r; refusing to start'
            % (port, ', '.join(describe_holder(h) for h in holders), name))


def connect_addresses(holders):
    """Addresses worth a TCP connect for the given listeners (wildcards become loopback)."""
    addresses = []
    for holder in holders:
        address = holder['address']
        if address == '0.0.0.0':
            address = '127.0.0.1'
        elif address == '::':
            address = '::1'
        if address not in addresses:
            addresses.append(address)
    return addresses or ['127.0.0.1', '::1']


def tcp_answers(port, addresses=('127.0.0.1', '::1'), timeout=0.5):
    """True when a TCP connect to ``port`` on any of ``addresses`` succeeds."""
    for address in addresses:
        family = socket.AF_INET6 if ':' in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address, int(port)))
            return True
        except (OSError, socket.timeout):
            continue
        finally:
            sock.close()
    return False


def port_status(port, own_sid, fallback_connect=False, proc=HOST):
    """('ready'|'foreign'|'waiting', holders not belonging to session ``own_sid``).

    ``ready``: our session listens and answers; ``foreign``: someone else holds the port (with
    ``fallback_connect``, a port that answers while /proc shows no listener counts too: another
    network namespace publishes it); ``waiting``: nobody yet.
    """
    holders = port_holders(port, proc)
    ours = [h for h in holders if own_sid is not None and h['pid'] is not None and h['session'] == own_sid]
    foreign = [h for h in holders if h not in ours]
    if ours and tcp_answers(port, connect_addresses(ours)):
        return 'ready', foreign
    if foreign:
        return 'foreign', foreign
    if not holders and fallback_connect and tcp_answers(port):
        return 'foreign', [dict(pid=None, cmdline='', session=None, address='127.0.0.1')]
    return 'waiting', []


def wait_ready(pid, port, timeout, child=None, proc=HOST, poll=POLL_INTERVAL):
    """Wait for session ``pid`` to answer on ``port``: ('ready'|'died'|'foreign'|'timeout', info).

    ``info`` is the exit code for 'died' (when ``child``, our Popen of the leader, tells it) and
    the foreign holders for 'foreign'.
    """
    deadline = time.monotonic() + timeout
    while True:
        if child is not None:
            rc = child.poll()
            if rc is not None:
                return 'died', rc
        elif proc.live_stat(pid) is None:
            return 'died', None
        status, foreign = port_status(port, pid, proc=proc)
        if status == 'ready':
            return 'ready', None
        if status == 'foreign':
            return 'foreign', foreign
        if time.monotonic() >= deadline:
            return 'timeout', None
        time.sleep(poll)
