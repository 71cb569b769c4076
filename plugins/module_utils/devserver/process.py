# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Process, pid-file and port helpers for locally supervised development servers.

Private to the collection (the leading underscore): the interface may change without notice.
Standard library only, Linux only (everything is read from ``/proc``).

Identity of a process is ``(pid, start time)``: ``/proc/<pid>/stat`` field 22 is the start time
in clock ticks since boot, so a pid that the kernel has given to another program no longer
matches. Zombies (state ``Z``) count as gone: this machine's PID 1 may never reap them.

A server started with ``setsid`` leads its own session and process group, whose id is its pid.
The kernel does not reuse a pid while a session or process group still refers to it, so the
live members of session ``sid`` are the server's processes even after the leader itself died.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time

PROC = '/proc'
_TCP_LISTEN = '0A'
_GONE_STATES = ('Z', 'X', 'x')


def proc_available():
    """True when ``/proc`` looks like Linux procfs."""
    return os.path.exists(os.path.join(PROC, 'self', 'stat'))


def boot_id():
    """The kernel's boot id, or None. Start times are only comparable within one boot."""
    try:
        with open(os.path.join(PROC, 'sys', 'kernel', 'random', 'boot_id')) as f:
            return f.read().strip() or None
    except (IOError, OSError):
        return None


def read_stat(pid):
    """Parse ``/proc/<pid>/stat``.

    Returns a dict with ``pid``, ``comm``, ``state``, ``ppid``, ``pgrp``, ``session`` and
    ``start_time`` (clock ticks since boot), or None when the process does not exist.
    """
    try:
        with open(os.path.join(PROC, str(int(pid)), 'stat'), 'rb') as f:
            raw = f.read().decode('utf-8', 'replace')
    except (IOError, OSError, ValueError):
        return None
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


def start_time(pid):
    """Start time of a live (non-zombie) process in clock ticks since boot, or None."""
    stat = read_stat(pid)
    if stat is None or stat['state'] in _GONE_STATES:
        return None
    return stat['start_time']


def is_alive(pid, expected_start_time=None):
    """True when ``pid`` runs (not a zombie) and, if given, started at ``expected_start_time``."""
    current = start_time(pid)
    if current is None:
        return False
    return expected_start_time is None or current == expected_start_time


def cmdline(pid):
    """The command line of ``pid`` as one string ('' for kernel threads or when unreadable)."""
    try:
        with open(os.path.join(PROC, str(int(pid)), 'cmdline'), 'rb') as f:
            raw = f.read()
    except (IOError, OSError, ValueError):
        return ''
    return ' '.join(part.decode('utf-8', 'replace') for part in raw.split(b'\0') if part)


def _all_pids():
    try:
        names = os.listdir(PROC)
    except OSError:
        return []
    return [int(name) for name in names if name.isdigit()]


def session_members(sid):
    """Live (non-zombie) pids whose session id or process group id is ``sid``, sorted."""
    sid = int(sid)
    members = []
    for pid in _all_pids():
        stat = read_stat(pid)
        if stat is None or stat['state'] in _GONE_STATES:
            continue
        if stat['session'] == sid or stat['pgrp'] == sid:
            members.append(pid)
    return sorted(members)


def _signal_session(sid, members, signum):
    try:
        os.killpg(sid, signum)
    except OSError:
        pass
    for pid in members:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def _wait_gone(sid, timeout, poll=0.05):
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        members = session_members(sid)
        if not members or time.monotonic() >= deadline:
            return members
        time.sleep(poll)


def terminate_session(sid, timeout=10.0, kill_timeout=5.0, child=None):
    """Stop every process of session/process group ``sid``.

    Sends SIGTERM to the process group and to every member (members that moved to another
    process group inside the session included), waits up to ``timeout`` seconds, then sends
    SIGKILL and waits up to ``kill_timeout`` more. ``child`` is an optional ``subprocess.Popen``
    of the leader, reaped when this process started it.

    Returns a dict ``{'members': [...], 'killed': bool, 'remaining': [...]}``: the pids that were
    signalled, whether SIGKILL was needed, and any that survived even SIGKILL.
    """
    sid = int(sid)
    members = session_members(sid)
    result = {'members': members, 'killed': False, 'remaining': []}
    if members:
        _signal_session(sid, members, signal.SIGTERM)
        _reap(child)
        remaining = _wait_gone(sid, timeout)
        if remaining:
            result['killed'] = True
            _signal_session(sid, remaining, signal.SIGKILL)
            remaining = _wait_gone(sid, kill_timeout)
        result['remaining'] = remaining
    _reap(child, timeout=1.0)
    return result


def _reap(child, timeout=0.0):
    if child is None:
        return
    try:
        child.wait(timeout=timeout)
    except Exception:  # subprocess.TimeoutExpired, or already reaped elsewhere
        pass


def spawn_detached(cmd, cwd, env, log_fd):
    """Start ``cmd`` in a new session (setsid) with stdout/stderr on ``log_fd``, stdin /dev/null.

    No other file descriptor is inherited, so a caller that exits (an Ansible module) is not
    waited for by whoever reads its output. Returns the ``subprocess.Popen`` object; the caller
    may poll it while it still runs and must not wait for it otherwise.
    AnsibleModule.run_command cannot do this: it always waits for the command to finish.
    """
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=subprocess.STDOUT,
        close_fds=True, start_new_session=True)


# --- TCP ports -------------------------------------------------------------------------------

def _decode_address(hex_addr, family):
    # /proc/net/tcp{,6} prints the address as 32-bit words in host byte order.
    raw = b''.join(struct.pack('=I', int(hex_addr[i:i + 8], 16)) for i in range(0, len(hex_addr), 8))
    if len(raw) == 16 and raw[:12] == b'\0' * 10 + b'\xff\xff':
        return socket.AF_INET, socket.inet_ntop(socket.AF_INET, raw[12:])
    return family, socket.inet_ntop(family, raw)


def listening_sockets(port):
    """Listening TCP sockets on ``port`` in this network namespace.

    Returns a list of dicts ``{'family', 'address', 'inode'}`` from ``/proc/net/tcp`` and
    ``/proc/net/tcp6``.
    """
    port = int(port)
    found = []
    for name, family in (('tcp', socket.AF_INET), ('tcp6', socket.AF_INET6)):
        try:
            with open(os.path.join(PROC, 'net', name)) as f:
                lines = f.readlines()[1:]
        except (IOError, OSError):
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10 or parts[3] != _TCP_LISTEN:
                continue
            addr_hex, port_hex = parts[1].split(':')
            if int(port_hex, 16) != port:
                continue
            try:
                fam, address = _decode_address(addr_hex, family)
            except (ValueError, OSError):
                continue
            found.append({'family': fam, 'address': address, 'inode': int(parts[9])})
    return found


def socket_owners(inodes):
    """Map socket inodes to the pids holding them, by scanning ``/proc/<pid>/fd``.

    Processes whose fd directory is unreadable (other users, when not root) are skipped, so an
    inode may map to no pid at all.
    """
    wanted = dict(('socket:[%d]' % inode, inode) for inode in inodes if inode)
    owners = dict((inode, []) for inode in wanted.values())
    if not wanted:
        return owners
    for pid in _all_pids():
        fd_dir = os.path.join(PROC, str(pid), 'fd')
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


def port_holders(port):
    """Who listens on TCP ``port``.

    Returns a list of dicts ``{'pid', 'cmdline', 'session', 'address'}``; ``pid`` is None for a
    listening socket whose owner could not be found ("unknown process"). An empty list means the
    port is free as far as ``/proc`` can tell.
    """
    sockets = listening_sockets(port)
    owners = socket_owners([s['inode'] for s in sockets])
    holders = []
    seen = set()
    for sock in sockets:
        pids = owners.get(sock['inode']) or [None]
        for pid in pids:
            key = (pid, sock['address'])
            if key in seen:
                continue
            seen.add(key)
            stat = read_stat(pid) if pid is not None else None
            holders.append({
                'pid': pid,
                'cmdline': cmdline(pid) if pid is not None else '',
                'session': stat['session'] if stat else None,
                'address': sock['address'],
                'family': sock['family'],
            })
    return holders


def describe_holder(holder):
    """Human-readable name of a port holder: ``pid 123 (python3 -m http.server)``."""
    if holder.get('pid') is None:
        return 'an unknown process'
    command = holder.get('cmdline') or '?'
    if len(command) > 200:
        command = command[:197] + '...'
    return 'pid %d (%s)' % (holder['pid'], command)


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


# --- files -----------------------------------------------------------------------------------

def atomic_write(path, data, mode=0o600):
    """Write ``data`` (str or bytes) to ``path`` atomically (temporary file + rename)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise


def remove_file(path):
    """Remove ``path``; True when it existed."""
    try:
        os.unlink(path)
        return True
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise


def read_pid_file(path):
    """The pid stored in ``path`` (first line), None when missing, or 'invalid'."""
    try:
        with open(path) as f:
            first = f.readline().strip()
    except (IOError, OSError) as exc:
        if getattr(exc, 'errno', None) == errno.ENOENT:
            return None
        return 'invalid'
    try:
        pid = int(first)
    except ValueError:
        return 'invalid'
    return pid if pid > 0 else 'invalid'


def tail(path, lines=20, max_bytes=65536):
    """The last ``lines`` lines of a text file (a list of str; empty when unreadable)."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except (IOError, OSError):
        return []
    text = data.decode('utf-8', 'replace')
    return text.splitlines()[-lines:] if lines > 0 else []
