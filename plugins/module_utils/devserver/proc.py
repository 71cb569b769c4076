# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one reader of ``/proc``: process status, command line, working directory, owner and
environment, session members, and the TCP tables (``net/tcp`` and ``net/tcp6``).

Private to the collection: the interface may change without notice. Standard library only,
Linux only. Every read goes through a :class:`Proc` rooted at ``/proc`` by default; a test roots
one in a directory tree of the same shape, so the judgement and discovery run without real
processes.

Identity of a process is ``(pid, start time)``: ``/proc/<pid>/stat`` field 22 is the start time
in clock ticks since boot, so a pid that the kernel has given to another program no longer
matches. Zombies (state ``Z``) count as gone: this machine's PID 1 may never reap them.

A server started with ``setsid`` leads its own session and process group, whose id is its pid.
The kernel does not reuse a pid while a session or process group still refers to it, so the
live members of session ``sid`` are the server's processes even after the leader itself died.
"""

from __future__ import annotations

import os
import pwd
import socket
import struct

PROC = '/proc'
GONE_STATES = ('Z', 'X', 'x')
TCP_LISTEN = '0A'
TCP_ESTABLISHED = '01'


def decode_address(hex_addr, family):
    """(family, address) of an address as ``/proc/net/tcp{,6}`` prints it: 32-bit words in host
    byte order. An IPv4-mapped IPv6 address comes back as IPv4."""
    raw = b''.join(struct.pack('=I', int(hex_addr[i:i + 8], 16)) for i in range(0, len(hex_addr), 8))
    if len(raw) == 16 and raw[:12] == b'\0' * 10 + b'\xff\xff':
        return socket.AF_INET, socket.inet_ntop(socket.AF_INET, raw[12:])
    return family, socket.inet_ntop(family, raw)


def parse_stat(raw):
    """The fields of one ``/proc/<pid>/stat`` line we use, or None when it does not parse."""
    # comm is in parentheses and may itself contain spaces and parentheses.
    open_paren = raw.find('(')
    close_paren = raw.rfind(')')
    if open_paren < 0 or close_paren < 0:
        return None
    fields = raw[close_paren + 2:].split()
    # fields[0] is field 3 (state); field N is fields[N - 3].
    try:
        return {
            'pid': int(raw[:open_paren].strip()),
            'comm': raw[open_paren + 1:close_paren],
            'state': fields[0],
            'ppid': int(fields[1]),
            'pgrp': int(fields[2]),
            'session': int(fields[3]),
            'start_time': int(fields[19]),
        }
    except (IndexError, ValueError):
        return None


class Proc:
    """Reads one procfs tree (``root``, ``/proc`` unless a test gives another)."""

    def __init__(self, root=PROC):
        self.root = root

    def path(self, *parts):
        return os.path.join(self.root, *[str(p) for p in parts])

    def _read(self, *parts):
        with open(self.path(*parts), 'rb') as f:
            return f.read()

    def available(self):
        """True when the tree looks like Linux procfs."""
        return os.path.exists(self.path('self', 'stat'))

    def boot_id(self):
        """The kernel's boot id, or None. Start times are only comparable within one boot."""
        try:
            return self._read('sys', 'kernel', 'random', 'boot_id').decode('ascii', 'replace').strip() or None
        except (IOError, OSError):
            return None

    def uptime(self):
        """Seconds since boot, or None."""
        try:
            return float(self._read('uptime').split()[0])
        except (IOError, OSError, ValueError, IndexError):
            return None

    def stat(self, pid):
        """``/proc/<pid>/stat`` as a dict (``pid``, ``comm``, ``state``, ``ppid``, ``pgrp``,
        ``session``, ``start_time`` in clock ticks since boot), or None when there is no such process."""
        try:
            return parse_stat(self._read(int(pid), 'stat').decode('utf-8', 'replace'))
        except (IOError, OSError, ValueError, TypeError):
            return None

    def live_stat(self, pid):
        """Like :meth:`stat`, but None for a zombie or dead process too."""
        stat = self.stat(pid)
        return None if stat is None or stat['state'] in GONE_STATES else stat

    def start_time(self, pid):
        """Start time of a live (non-zombie) process in clock ticks since boot, or None."""
        stat = self.live_stat(pid)
        return stat['start_time'] if stat else None

    def is_alive(self, pid, expected_start_time=None):
        """True when ``pid`` runs (not a zombie) and, if given, started at ``expected_start_time``."""
        current = self.start_time(pid)
        return current is not None and (expected_start_time is None or current == expected_start_time)

    def cmdline(self, pid):
        """The command line of ``pid`` as one string ('' for kernel threads or when unreadable)."""
        try:
            raw = self._read(int(pid), 'cmdline')
        except (IOError, OSError, ValueError, TypeError):
            return ''
        return ' '.join(part.decode('utf-8', 'replace') for part in raw.split(b'\0') if part)

    def cwd(self, pid):
        """The working directory of ``pid``, or None when unreadable (another user's, when not root)."""
        try:
            return os.readlink(self.path(int(pid), 'cwd'))
        except (OSError, ValueError, TypeError):
            return None

    def uid(self, pid):
        """The uid owning ``pid``, or None when it is gone."""
        try:
            return os.stat(self.path(int(pid))).st_uid
        except (OSError, ValueError, TypeError):
            return None

    def user(self, pid):
        """The name (else the uid) of the account owning ``pid``, or None when it is gone."""
        uid = self.uid(pid)
        if uid is None:
            return None
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def environ(self, pid):
        """The environment ``pid`` started with (a dict), or None when unreadable."""
        try:
            raw = self._read(int(pid), 'environ')
        except (IOError, OSError, ValueError, TypeError):
            return None
        env = {}
        for item in raw.split(b'\0'):
            key, sep, value = item.decode('utf-8', 'replace').partition('=')
            if sep and key:
                env[key] = value
        return env

    def pids(self):
        """Every pid in the tree."""
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return [int(name) for name in names if name.isdigit()]

    def session_members(self, sid):
        """Live (non-zombie) pids whose session id or process group id is ``sid``, sorted."""
        sid = int(sid)
        members = []
        for pid in self.pids():
            stat = self.live_stat(pid)
            if stat is not None and sid in (stat['session'], stat['pgrp']):
                members.append(pid)
        return sorted(members)

    # -- TCP ------------------------------------------------------------------------------------

    def tcp_table(self, net_dir=None):
        """(listeners, established) of this network namespace, or of the one whose
        ``/proc/<pid>/net`` is ``net_dir`` (a container sharing the host's pids reads the host's
        through ``/proc/1/net``). Listeners are ``{inode, address, port}``, established connections
        ``{inode, remote, remote_port}``."""
        listeners = []
        established = []
        for name, family in (('tcp', socket.AF_INET), ('tcp6', socket.AF_INET6)):
            try:
                with open(os.path.join(net_dir or self.path('net'), name)) as f:
                    lines = f.readlines()[1:]
            except (IOError, OSError):
                continue
            for line in lines:
                parts = line.split()
                if len(parts) < 10 or parts[3] not in (TCP_LISTEN, TCP_ESTABLISHED):
                    continue
                try:
                    local_hex, local_port = parts[1].split(':')
                    inode = int(parts[9])
                    if parts[3] == TCP_LISTEN:
                        dummy, address = decode_address(local_hex, family)
                        listeners.append({'inode': inode, 'address': address, 'port': int(local_port, 16)})
                    else:
                        remote_hex, remote_port = parts[2].split(':')
                        dummy, remote = decode_address(remote_hex, family)
                        established.append({'inode': inode, 'remote': remote, 'remote_port': int(remote_port, 16)})
                except (ValueError, OSError):
                    continue
        return listeners, established

    def listening_sockets(self, port):
        """Listening TCP sockets on ``port`` in this network namespace: ``{family, address, inode}``."""
        port = int(port)
        # An IPv4-mapped address was decoded as IPv4: its family follows the address, not the table.
        return [{'family': socket.AF_INET6 if ':' in s['address'] else socket.AF_INET, 'address': s['address'],
                 'inode': s['inode']} for s in self.tcp_table()[0] if s['port'] == port]

    def socket_owners(self, inodes):
        """Map socket inodes to the pids holding them, by scanning ``/proc/<pid>/fd``.

        Processes whose fd directory is unreadable (other users, when not root) are skipped, so an
        inode may map to no pid at all.
        """
        wanted = dict(('socket:[%d]' % inode, inode) for inode in inodes if inode)
        owners = dict((inode, []) for inode in wanted.values())
        if not wanted:
            return owners
        for pid in self.pids():
            fd_dir = self.path(pid, 'fd')
            try:
                fds = os.listdir(fd_dir)
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                inode = wanted.get(target)
                if inode is not None and pid not in owners[inode]:
                    owners[inode].append(pid)
        return owners


# The host's /proc, for callers that never read another tree.
HOST = Proc()
proc_available = HOST.available
boot_id = HOST.boot_id
read_stat = HOST.stat
start_time = HOST.start_time
is_alive = HOST.is_alive
cmdline = HOST.cmdline
session_members = HOST.session_members
listening_sockets = HOST.listening_sockets
socket_owners = HOST.socket_owners
