# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH host keys are checked wherever the collection connects over SSH: nothing in ansible.cfg or
an inventory turns the check off, and every host that skips SSH says so with its connection."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NO_SSH = ("local", "community.docker.docker", "docker")
# What turns the check off, in any spelling a config, inventory or ssh argument takes.
OFF = re.compile(r"host_key_checking\s*[:=]\s*(false|no|0)\b|StrictHostKeyChecking\s*=?\s*no|UserKnownHostsFile\s*=?\s*/dev/null", re.I)


def inventory_files():
    return sorted(p for p in (ROOT / "inventory").rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".ini", ""))


def hosts(node, inherited=None):
    """(host, vars) of a YAML inventory, with the group vars on the way down."""
    inherited = dict(inherited or {})
    inherited.update(node.get("vars") or {})
    for name, host_vars in (node.get("hosts") or {}).items():
        yield name, dict(inherited, **(host_vars or {}))
    for child in (node.get("children") or {}).values():
        yield from hosts(child or {}, inherited)


def test_ansible_cfg_keeps_host_key_checking_on():
    config = configparser.ConfigParser()
    config.read(ROOT / "ansible.cfg")
    assert config.getboolean("defaults", "host_key_checking", fallback=True) is True
    assert not OFF.search((ROOT / "ansible.cfg").read_text())


def test_no_inventory_turns_the_check_off():
    found = [str(p.relative_to(ROOT)) for p in inventory_files() if OFF.search(p.read_text())]
    assert found == []


def test_hosts_reached_over_ssh_are_the_only_ones_without_a_connection():
    seen = {}
    for path in (ROOT / "inventory").glob("*/hosts.yml"):
        for group in (yaml.safe_load(path.read_text()) or {}).values():
            for name, host_vars in hosts(group or {}):
                seen[(path.parent.name, name)] = host_vars.get("ansible_connection", "ssh")
    assert seen[("local", "localhost")] in NO_SSH
    # The production host is reached over SSH, so its key is checked against known_hosts.
    assert seen[("production", "korczewski-prod")] == "ssh"
