# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The swarm an inventory describes: each conflict is refused with a message naming it."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.swarm.topology import GPU_LABEL, node_labels, topology_errors


def one(errors):
    assert len(errors) == 1, errors
    return errors[0]


def test_one_manager_two_workers_is_fine():
    assert topology_errors(["m1"], ["w1", "gpu"], {"gpu": {"platform_gpus": "all"}}) == []


@pytest.mark.parametrize("count", [1, 3, 5, 7])
def test_odd_manager_counts_are_fine(count):
    assert topology_errors(["m%d" % i for i in range(count)], [], {}) == []


def test_no_manager():
    message = one(topology_errors([], ["w1"], {}))
    assert message.startswith("group platform_swarm_managers is empty: a swarm needs a manager")


def test_group_names_are_the_callers():
    message = one(topology_errors([], ["w1"], {}, managers_group="swarm_mgr"))
    assert message.startswith("group swarm_mgr is empty")


@pytest.mark.parametrize("count", [2, 4, 6])
def test_even_manager_counts_break_the_quorum(count):
    managers = ["m%d" % i for i in range(count)]
    message = one(topology_errors(managers, [], {}))
    assert "keeps %d managers (%s)" % (count, ", ".join(managers)) in message
    assert "use an odd number, 3 or 5 (or 1), for a quorum" in message


def test_more_than_seven_managers():
    errors = topology_errors(["m%d" % i for i in range(9)], [], {})
    assert any("keeps 9 managers: at most 7" in e for e in errors), errors


def test_a_leaving_manager_does_not_count_for_the_quorum():
    hostvars = {"m3": {"platform_swarm_state": "absent"}}
    assert topology_errors(["m1", "m2", "m3"], [], hostvars) == [
        "platform_swarm_managers keeps 2 managers (m1, m2): use an odd number, 3 or 5 (or 1), for a quorum;"
        " 2 managers tolerate no more failures than 1"]
    hostvars["m2"] = {"platform_swarm_state": "absent"}
    assert topology_errors(["m1", "m2", "m3"], [], hostvars) == []


def test_host_in_both_groups():
    message = one(topology_errors(["m1"], ["w1", "m1"], {}))
    assert message == ("host m1 is in both platform_swarm_managers and platform_swarm_workers:"
                       " a node is either a manager or a worker")


def test_the_only_manager_leaving():
    message = one(topology_errors(["m1"], ["w1"], {"m1": {"platform_swarm_state": "absent"}}))
    assert message.startswith("every manager of platform_swarm_managers leaves (platform_swarm_state: absent: m1)")


def test_the_first_manager_leaving():
    hostvars = {"m1": {"platform_swarm_state": "absent"}}
    errors = topology_errors(["m1", "m2", "m3", "m4"], [], hostvars)
    message = one(errors)
    assert message.startswith("host m1, the first of platform_swarm_managers, leaves")
    assert "list a staying manager (m2) first" in message


def test_a_leaving_worker_is_fine():
    assert topology_errors(["m1"], ["w1"], {"w1": {"platform_swarm_state": "absent"}}) == []


def test_bad_state_labels_and_gpus_name_the_host():
    hostvars = {
        "w1": {"platform_swarm_state": "gone"},
        "w2": {"platform_swarm_labels": ["zone=a"]},
        "w3": {"platform_swarm_labels": {"zone": {"a": 1}, GPU_LABEL: "true"}},
        "w4": {"platform_gpus": -1},
    }
    errors = topology_errors(["m1"], ["w1", "w2", "w3", "w4"], hostvars)
    assert errors == [
        "host w1: platform_swarm_state must be one of present, absent, not 'gone'",
        "host w2: platform_swarm_labels must be a mapping of label names to values, not ['zone=a']",
        "host w3: platform_swarm_labels.zone must be a string, number or boolean, not {'a': 1}",
        "host w3: platform_swarm_labels sets korczewski.platform.gpu, which the collection derives from platform_gpus;"
        " declare the host's GPUs there instead",
        "host w4: platform_gpus must be none, all, a positive number of GPUs or a non-empty list of distinct device ids,"
        " got -1",
    ]


def test_every_error_at_once():
    errors = topology_errors(["m1", "m2"], ["m2"], {"m1": {"platform_swarm_state": "nope"}})
    assert len(errors) == 3, errors


def test_hosts_without_variables_are_present_workers():
    assert topology_errors(["m1"], ["w1"], {}) == []
    assert topology_errors(["m1"], ["w1"], None) == []


@pytest.mark.parametrize("gpus", ["all", 1, 2, [0, 1], ["GPU-abc"]])
def test_declared_gpus_add_the_gpu_label(gpus):
    assert node_labels({"platform_gpus": gpus, "platform_swarm_labels": {"zone": "a"}}) == {"zone": "a", GPU_LABEL: "true"}


@pytest.mark.parametrize("gpus", [None, False, 0, "none", "", []])
def test_no_gpus_no_gpu_label(gpus):
    assert node_labels({"platform_gpus": gpus}) == {}


def test_label_values_become_docker_strings():
    assert node_labels({"platform_swarm_labels": {"ssd": True, "slow": False, "rack": 4}}) == {
        "ssd": "true", "slow": "false", "rack": "4"}
    assert node_labels(None) == {}
