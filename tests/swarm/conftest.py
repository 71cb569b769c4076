# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The multi-node tier: a three-node Docker Swarm test bed (tests/swarm/nodes.sh), made once per
session and removed at its end, also when a test fails.

``swarm_nodes`` gives the node names, their addresses on the test bed's bridge, an inventory of
them (tests/swarm/inventory, or a copy with the session's prefix) and ``run_playbook``. The test
modules run in name order and share the nodes: one that changes the swarm leaves it formed.

Environment: SWARM_PREFIX  name prefix of the nodes, network and volumes (default kp-swarm)
             SWARM_KEEP=1  leave the nodes running after the session, to look at them
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(REPO_ROOT, "tests", "swarm")
NODES_SH = os.path.join(HERE, "nodes.sh")
INVENTORY = os.path.join(HERE, "inventory")
DEFAULT_PREFIX = "kp-swarm"
ROLES = ("manager", "worker", "gpu")
# The figures of a session (formation, converge, recovery), printed by `make swarm-test`.
FIGURES = os.path.join(REPO_ROOT, "tests", "output", "swarm-figures.txt")
UP_TIMEOUT = 600
PLAYBOOK_TIMEOUT = 900


def _nodes_sh(command, prefix, timeout):
    return subprocess.run(["bash", NODES_SH, command, prefix], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _prefixed_inventory(prefix, directory):
    """The committed inventory with the session's prefix in every host name."""
    target = os.path.join(directory, "inventory")
    shutil.copytree(INVENTORY, target)
    for folder, dummy, files in os.walk(target):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as stream:
                text = stream.read()
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(text.replace(DEFAULT_PREFIX + "-", prefix + "-"))
    return target


class SwarmNodes(object):
    def __init__(self, prefix, inventory, up_output):
        self.prefix = prefix
        self.inventory = inventory
        self.up_output = up_output
        self.names = dict((role, "%s-%s" % (prefix, role)) for role in ROLES)
        self.manager = self.names["manager"]
        self.workers = [self.names["worker"], self.names["gpu"]]
        self.nodes = [self.names[role] for role in ROLES]
        self.network = prefix + "-net"
        self.ips = dict((node, self._ip(node)) for node in self.nodes)

    def _ip(self, node):
        template = '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % self.network
        return subprocess.run(["docker", "inspect", "-f", template, node], capture_output=True, text=True,
                              check=True).stdout.strip()

    @staticmethod
    def figure(name, seconds, note=""):
        """Adds one measured figure to FIGURES."""
        os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
        with open(FIGURES, "a", encoding="utf-8") as handle:
            handle.write("%-44s %7.1f s %s\n" % (name, seconds, note))

    def docker(self, node, *args, **kwargs):
        """`docker ARGS` inside a node (its own engine): a CompletedProcess with text output."""
        return subprocess.run(["docker", "exec", node, "docker"] + list(args), capture_output=True, text=True,
                              timeout=kwargs.get("timeout", 120), check=kwargs.get("check", False))

    def run_playbook(self, playbook, *extra_args, **kwargs):
        """(rc, output) of `ansible-playbook -i INVENTORY PLAYBOOK EXTRA_ARGS...` from the repository root;
        PLAYBOOK relative to it. inventory= overrides the inventory. Output is stdout and stderr together."""
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false",
                   ANSIBLE_NOCOLOR="1")
        command = [os.path.join(REPO_ROOT, ".venv", "bin", "ansible-playbook"),
                   "-i", kwargs.get("inventory", self.inventory), playbook] + list(extra_args)
        result = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=kwargs.get("timeout", PLAYBOOK_TIMEOUT), check=False)
        return result.returncode, result.stdout


@pytest.fixture(scope="session")
def swarm_nodes():
    prefix = os.environ.get("SWARM_PREFIX") or DEFAULT_PREFIX
    workdir = tempfile.mkdtemp(prefix="swarm-inventory-")
    try:
        up = _nodes_sh("up", prefix, UP_TIMEOUT)
        print(up.stdout)
        if up.returncode != 0:
            pytest.fail("nodes.sh up %s failed (rc %d):\n%s%s" % (prefix, up.returncode, up.stdout, up.stderr))
        inventory = INVENTORY if prefix == DEFAULT_PREFIX else _prefixed_inventory(prefix, workdir)
        yield SwarmNodes(prefix, inventory, up.stdout)
    finally:
        if os.environ.get("SWARM_KEEP") != "1":
            down = _nodes_sh("down", prefix, 300)
            print(down.stdout + down.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
