# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/swarm.yml forms the inventory's swarm on the three test bed nodes: one manager, two
workers, the GPU host labelled, the platform's overlay network; a second run changes nothing; a
broken topology stops before any node changes; a node that leaves is removed and comes back.

The tests run in order on one swarm and leave it formed for the test modules after this one.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import yaml

PLAYBOOK = "playbooks/swarm.yml"
GPU_LABEL = "korczewski.platform.gpu"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def recap(output):
    """{host: {ok, changed, unreachable, failed}} from the play recap."""
    hosts = dict((m.group(1), dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:]))))
                 for m in RECAP.finditer(output))
    assert hosts, "no play recap in:\n" + output
    return hosts


def timed(swarm_nodes, label, *args, **kwargs):
    start = time.monotonic()
    rc, output = swarm_nodes.run_playbook(PLAYBOOK, *args, **kwargs)
    swarm_nodes.figure(label, time.monotonic() - start, "(rc %d)" % rc)
    return rc, output


def nodes(swarm_nodes):
    """{hostname: (role, status, labels)} as the manager's engine lists the swarm's nodes."""
    result = swarm_nodes.docker(swarm_nodes.manager, "node", "ls", "-q", check=True)
    ids = result.stdout.split()
    inspect = json.loads(swarm_nodes.docker(swarm_nodes.manager, "node", "inspect", *ids, check=True).stdout)
    return dict((n["Description"]["Hostname"], (n["Spec"]["Role"], n["Status"]["State"], n["Spec"].get("Labels") or {}))
                for n in inspect)


def variant(swarm_nodes, tmp_path, change):
    """A copy of the session's inventory, changed by change(inventory dict)."""
    with open(os.path.join(swarm_nodes.inventory, "hosts.yml"), encoding="utf-8") as stream:
        inventory = yaml.safe_load(stream)
    change(inventory["all"]["children"]["platform_swarm"]["children"])
    target = tmp_path / "inventory"
    target.mkdir()
    (target / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return str(target)


def swarm_states(swarm_nodes):
    return dict((node, swarm_nodes.docker(node, "info", "--format", "{{.Swarm.LocalNodeState}}", check=True).stdout.strip())
                for node in swarm_nodes.nodes)


@pytest.fixture(scope="module")
def dry_run(swarm_nodes):
    """--check on the fresh nodes, then what they are after it."""
    rc, output = timed(swarm_nodes, "check mode on fresh nodes", "--check")
    return rc, output, swarm_states(swarm_nodes)


@pytest.fixture(scope="module")
def formed(swarm_nodes, dry_run):
    rc, output = timed(swarm_nodes, "form the swarm (3 nodes)")
    return rc, output


def test_check_mode_on_fresh_nodes_reports_and_changes_nothing(swarm_nodes, dry_run):
    rc, output, states = dry_run
    assert rc == 0, output
    changed = dict((host, counts["changed"]) for host, counts in recap(output).items())
    # The manager would form the swarm and create the network, each worker would join.
    assert changed[swarm_nodes.manager] >= 2 and all(changed[w] == 1 for w in swarm_nodes.workers), output
    assert states == dict((node, "inactive") for node in swarm_nodes.nodes)


def test_forms_one_manager_and_two_workers(swarm_nodes, formed):
    rc, output = formed
    assert rc == 0, output
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in recap(output).values()), output
    listed = nodes(swarm_nodes)
    assert sorted(listed) == sorted(swarm_nodes.nodes)
    assert listed[swarm_nodes.manager][:2] == ("manager", "ready")
    for worker in swarm_nodes.workers:
        assert listed[worker][:2] == ("worker", "ready")


def test_only_the_gpu_host_carries_the_gpu_label(swarm_nodes, formed):
    assert formed[0] == 0, formed[1]
    gpu = swarm_nodes.names["gpu"]
    labels = swarm_nodes.docker(swarm_nodes.manager, "node", "inspect", gpu, "--format", "{{json .Spec.Labels}}", check=True)
    assert json.loads(labels.stdout) == {GPU_LABEL: "true"}
    listed = nodes(swarm_nodes)
    assert GPU_LABEL not in listed[swarm_nodes.manager][2]
    assert GPU_LABEL not in listed[swarm_nodes.names["worker"]][2]


def test_the_platform_network_is_an_attachable_overlay(swarm_nodes, formed):
    assert formed[0] == 0, formed[1]
    result = swarm_nodes.docker(swarm_nodes.manager, "network", "inspect", "platform", check=True)
    network = json.loads(result.stdout)[0]
    assert (network["Driver"], network["Scope"], network["Attachable"]) == ("overlay", "swarm", True)


def test_a_second_run_changes_nothing(swarm_nodes, formed):
    assert formed[0] == 0, formed[1]
    rc, output = timed(swarm_nodes, "idempotent re-run")
    assert rc == 0, output
    assert dict((host, counts["changed"]) for host, counts in recap(output).items()) == dict(
        (node, 0) for node in swarm_nodes.nodes), output
    rc, output = timed(swarm_nodes, "check mode on the formed swarm", "--check")
    assert rc == 0, output
    assert sum(counts["changed"] for counts in recap(output).values()) == 0, output


def test_drift_is_put_back(swarm_nodes, formed):
    """The role skips nodes whose role and labels already match: a node that drifted is not one."""
    assert formed[0] == 0, formed[1]
    gpu, worker = swarm_nodes.names["gpu"], swarm_nodes.names["worker"]
    swarm_nodes.docker(swarm_nodes.manager, "node", "update", "--label-rm", GPU_LABEL, gpu, check=True)
    swarm_nodes.docker(swarm_nodes.manager, "node", "update", "--label-add", "foreign=1", worker, check=True)
    swarm_nodes.docker(swarm_nodes.manager, "node", "promote", worker, check=True)
    drifted = nodes(swarm_nodes)
    assert (drifted[gpu][2], drifted[worker][0], drifted[worker][2]) == ({}, "manager", {"foreign": "1"})
    rc, output = timed(swarm_nodes, "put drift back")
    assert rc == 0, output
    assert recap(output)[swarm_nodes.manager]["changed"] == 1, output
    listed = nodes(swarm_nodes)
    assert listed[gpu] == ("worker", "ready", {GPU_LABEL: "true"})
    assert listed[worker] == ("worker", "ready", {})


def two_managers(groups):
    worker = next(iter(groups["platform_swarm_workers"]["hosts"]))
    groups["platform_swarm_managers"]["hosts"][worker] = groups["platform_swarm_workers"]["hosts"].pop(worker)


def manager_also_worker(groups):
    manager = next(iter(groups["platform_swarm_managers"]["hosts"]))
    groups["platform_swarm_workers"]["hosts"][manager] = None


@pytest.mark.parametrize("change, message", [
    (two_managers, r"platform_swarm_managers keeps 2 managers \(\S+-manager, \S+-worker\): use an odd number, 3 or 5"),
    (manager_also_worker, r"host \S+-manager is in both platform_swarm_managers and platform_swarm_workers"),
])
def test_a_broken_topology_fails_before_any_change(swarm_nodes, formed, tmp_path, change, message):
    assert formed[0] == 0, formed[1]
    before = nodes(swarm_nodes)
    rc, output = swarm_nodes.run_playbook(PLAYBOOK, inventory=variant(swarm_nodes, tmp_path, change))
    assert rc != 0, output
    assert "The swarm of this inventory cannot be formed:" in output
    assert re.search(message, output), output
    counts = recap(output)
    assert sum(c["changed"] for c in counts.values()) == 0, output
    # Only the check itself ran: nothing read the engines, let alone changed them.
    assert "Read each engine's name and swarm state" not in output, output
    assert nodes(swarm_nodes) == before


def test_a_node_that_leaves_is_removed_and_rejoins(swarm_nodes, formed, tmp_path):
    assert formed[0] == 0, formed[1]
    gpu = swarm_nodes.names["gpu"]

    def gpu_leaves(groups):
        groups["platform_swarm_workers"]["hosts"][gpu]["platform_swarm_state"] = "absent"

    leave = variant(swarm_nodes, tmp_path, gpu_leaves)
    try:
        rc, output = timed(swarm_nodes, "gpu node leaves", inventory=leave)
        assert rc == 0, output
        assert gpu not in nodes(swarm_nodes)
        state = swarm_nodes.docker(gpu, "info", "--format", "{{.Swarm.LocalNodeState}}", check=True)
        assert state.stdout.strip() == "inactive"
        rc, output = swarm_nodes.run_playbook(PLAYBOOK, inventory=leave)
        assert rc == 0, output
        assert sum(c["changed"] for c in recap(output).values()) == 0, output
    finally:
        # The later test modules need all three nodes again.
        rc, output = timed(swarm_nodes, "gpu node rejoins")
    assert rc == 0, output
    listed = nodes(swarm_nodes)
    assert listed[gpu] == ("worker", "ready", {GPU_LABEL: "true"})
    assert sorted(listed) == sorted(swarm_nodes.nodes)
