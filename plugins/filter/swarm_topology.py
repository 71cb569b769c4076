# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory's Docker Swarm: what is wrong with its topology, and the labels of each node."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.module_utils.swarm.topology import node_labels, topology_errors


def _host_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise AnsibleFilterError("swarm_topology_errors expects %s as a list of host names, got %r" % (what, value))
    return [str(host) for host in value]


def swarm_topology_errors(managers, workers, hostvars, managers_group="platform_swarm_managers",
                          workers_group="platform_swarm_workers"):
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("swarm_topology_errors expects hostvars (a mapping of host names to their variables)")
    return topology_errors(_host_list(managers, "the managers"), _host_list(workers, "the workers"), hostvars,
                           managers_group=managers_group, workers_group=workers_group)


def swarm_node_labels(host_variables):
    if not isinstance(host_variables, Mapping):
        raise AnsibleFilterError("swarm_node_labels expects one host's variables (hostvars[host]), got %r" % (host_variables,))
    return node_labels(host_variables)


class FilterModule(object):
    def filters(self):
        return {
            "swarm_topology_errors": swarm_topology_errors,
            "swarm_node_labels": swarm_node_labels,
        }
