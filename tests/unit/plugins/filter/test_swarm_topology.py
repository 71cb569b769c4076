# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.filter.swarm_topology import FilterModule

FILTERS = FilterModule().filters()
errors = FILTERS["swarm_topology_errors"]
labels = FILTERS["swarm_node_labels"]


def test_topology_errors_as_the_role_calls_it():
    hostvars = {"m1": {}, "m2": {}, "w1": {"platform_gpus": "all"}}
    assert errors(["m1"], ["w1"], hostvars) == []
    assert errors(["m1", "m2"], ["w1"], hostvars) == [
        "platform_swarm_managers keeps 2 managers (m1, m2): use an odd number, 3 or 5 (or 1), for a quorum;"
        " 2 managers tolerate no more failures than 1"]


def test_missing_groups_are_empty():
    assert errors(None, None, {}) == ["group platform_swarm_managers is empty: a swarm needs a manager (1, 3 or 5 of them)"]


@pytest.mark.parametrize("managers, workers, hostvars, message", [
    ("m1", [], {}, "the managers as a list of host names"),
    (["m1"], {"w1": 1}, {}, "the workers as a list of host names"),
    (["m1"], [], ["m1"], "expects hostvars"),
])
def test_bad_input_is_a_filter_error(managers, workers, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message):
        errors(managers, workers, hostvars)


def test_node_labels():
    assert labels({"platform_gpus": "all", "platform_swarm_labels": {"zone": "b"}}) == {
        "zone": "b", "korczewski.platform.gpu": "true"}
    with pytest.raises(AnsibleFilterError, match="one host's variables"):
        labels("gpu")
