# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""devserver/proc.py on a procfs tree written by the test (``FakeProc``, also used by the
judgement's and discovery's tests); the real /proc is exercised in
tests/integration/plugins/module_utils/test__dev_process.py."""

from __future__ import annotations

import os
import socket
import struct

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import Proc, decode_address

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
BOOT = "6f1d1c4e-0000-4000-8000-000000000001"


def _hex4(address):
    return "%08X" % struct.unpack("=I", socket.inet_aton(address))[0]


class FakeProc:
    """A procfs tree in ``root``: processes with stat, cmdline, cwd, environ and socket fds, and
    the TCP tables. ``proc`` reads it as :class:`Proc` reads /proc."""

    def __init__(self, root, boot_id=BOOT):
        self.root = str(root)
        self.tcp = []
        self._inode = 9000
        os.makedirs(os.path.join(self.root, "self"), exist_ok=True)
        self._write("self/stat", "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1\n")
        self._write("sys/kernel/random/boot_id", boot_id + "\n")
        self._write("uptime", "5000.00 9000.00\n")
        self._tables()
        self.proc = Proc(self.root)

    def _write(self, rel, text, binary=False):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if binary else "w") as f:
            f.write(text)

    def _tables(self):
        self._write("net/tcp", HEADER + "".join(
            "   %d: %s:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 %d 1\n"
            % (i, _hex4(address), port, inode) for i, (address, port, inode) in enumerate(self.tcp)))
        self._write("net/tcp6", HEADER)

    def add(self, pid, comm="node", start_time=1000, session=None, pgrp=None, ppid=1, state="S", cwd=None,
            cmdline=None, environ=None, listen=()):
        """One process; ``listen`` is ports it listens on (127.0.0.1)."""
        session = pid if session is None else session
        pgrp = session if pgrp is None else pgrp
        self._write("%d/stat" % pid, "%d (%s) %s %d %d %d %s %d 0\n" % (
            pid, comm, state, ppid, pgrp, session, " ".join(["0"] * 15), start_time))
        self._write("%d/cmdline" % pid, b"\0".join(a.encode() for a in (cmdline or [comm])) + b"\0", binary=True)
        if environ is not None:
            self._write("%d/environ" % pid, b"".join(("%s=%s" % kv).encode() + b"\0" for kv in environ.items()),
                        binary=True)
        if cwd is not None:
            os.symlink(cwd, os.path.join(self.root, str(pid), "cwd"))
        os.makedirs(os.path.join(self.root, str(pid), "fd"), exist_ok=True)
        for i, port in enumerate(listen):
            self._inode += 1
            os.symlink("socket:[%d]" % self._inode, os.path.join(self.root, str(pid), "fd", str(3 + i)))
            self.tcp.append(("127.0.0.1", port, self._inode))
        self._tables()
        return pid

    def kill(self, pid):
        """The process is gone: its directory goes."""
        for dirpath, dirnames, filenames in os.walk(os.path.join(self.root, str(pid)), topdown=False):
            for name in filenames + dirnames:
                path = os.path.join(dirpath, name)
                os.rmdir(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
        os.rmdir(os.path.join(self.root, str(pid)))


def test_stat_cmdline_cwd_environ(tmp_path):
    fake = FakeProc(tmp_path / "proc")
    fake.add(200, comm="npm run (dev)", start_time=4242, session=200, pgrp=201, cwd="/srv/app",
             cmdline=["npm", "run", "dev"], environ={"SERVICE_NAME": "auth", "PLATFORM_ENVIRONMENT": "development"})
    stat = fake.proc.stat(200)
    assert (stat["comm"], stat["session"], stat["pgrp"], stat["start_time"]) == ("npm run (dev)", 200, 201, 4242)
    assert fake.proc.cmdline(200) == "npm run dev"
    assert fake.proc.cwd(200) == "/srv/app"
    assert fake.proc.environ(200)["SERVICE_NAME"] == "auth"
    assert fake.proc.boot_id() == BOOT and fake.proc.uptime() == 5000.0 and fake.proc.available()
    assert fake.proc.stat(201) is None and fake.proc.cwd(201) is None and fake.proc.environ(201) is None


def test_zombies_are_gone_and_sessions_have_members(tmp_path):
    fake = FakeProc(tmp_path / "proc")
    fake.add(300, state="Z")
    fake.add(301, session=300, pgrp=301, start_time=1001)
    fake.add(302, session=300, pgrp=301, start_time=1002, state="Z")
    assert fake.proc.stat(300)["state"] == "Z" and fake.proc.live_stat(300) is None
    assert not fake.proc.is_alive(300) and fake.proc.is_alive(301, 1001) and not fake.proc.is_alive(301, 1000)
    assert fake.proc.session_members(300) == [301]


def test_listeners_and_their_owners(tmp_path):
    fake = FakeProc(tmp_path / "proc")
    fake.add(400, listen=[5500, 5501])
    listeners, established = fake.proc.tcp_table()
    assert sorted(s["port"] for s in listeners) == [5500, 5501] and established == []
    [sock] = fake.proc.listening_sockets(5500)
    assert sock["address"] == "127.0.0.1" and sock["family"] == socket.AF_INET
    assert fake.proc.socket_owners([sock["inode"]]) == {sock["inode"]: [400]}


def test_ipv4_mapped_addresses_decode_as_ipv4():
    raw = b"\0" * 10 + b"\xff\xff" + socket.inet_aton("127.0.0.1")
    hex_addr = "".join("%08X" % struct.unpack("=I", raw[i:i + 4])[0] for i in range(0, 16, 4))
    assert decode_address(hex_addr, socket.AF_INET6) == (socket.AF_INET, "127.0.0.1")
