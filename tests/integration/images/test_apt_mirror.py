# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test images take their Debian mirror from the machine's apt sources (apt_mirror.sh)."""

from __future__ import annotations

import os
import subprocess

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "images", "debian", "apt_mirror.sh")

SECURITY_FIRST = """Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Enabled: no

Types: deb
URIs: http://mirror.example/debian http://second.example/debian
Suites: bookworm bookworm-updates
Components: main
"""


def mirror(tmp_path, files, suite="bookworm"):
    for name, text in files.items():
        path = tmp_path / "etc" / "apt" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return subprocess.run(["sh", SCRIPT, suite], env=dict(os.environ, APT_ROOT=str(tmp_path)),
                          capture_output=True, text=True, timeout=30, check=False)


def test_deb822_source_of_the_suite_itself(tmp_path):
    result = mirror(tmp_path, {"sources.list.d/debian.sources": SECURITY_FIRST})
    assert (result.returncode, result.stdout) == (0, "http://mirror.example/debian\n")


@pytest.mark.parametrize("line", [
    "deb http://one.example/debian bookworm main",
    "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.example/debian bookworm main",
])
def test_one_line_format(tmp_path, line):
    result = mirror(tmp_path, {"sources.list": "# comment\ndeb http://sec.example/debian-security bookworm-security main\n"
                                               + line + "\n"})
    assert (result.returncode, result.stdout) == (0, "http://one.example/debian\n")


def test_no_source_for_the_suite_fails_naming_it(tmp_path):
    result = mirror(tmp_path, {"sources.list.d/debian.sources": SECURITY_FIRST}, suite="trixie")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no apt source of this machine names Debian trixie" in result.stderr
