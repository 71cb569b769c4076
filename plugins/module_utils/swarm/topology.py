# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Docker Swarm an inventory describes: which hosts manage, which work, which leave, and the
node labels each one carries. ``topology_errors`` says everything wrong with it at once, so the
docker_engine role can refuse a topology before any node changes.

The inventory's words: groups ``platform_swarm_managers`` and ``platform_swarm_workers`` (their
names are the caller's), and per host ``platform_swarm_state`` (``present``, the default, or
``absent``: the node leaves and is removed from the swarm), ``platform_swarm_labels`` (a dict of
node labels) and ``platform_gpus`` (any declaration of GPUs adds the label
``korczewski.platform.gpu=true``, which placement constraints select).
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

# The catalog's reading of platform_gpus, so "has GPUs" means the same to placement and rendering.
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import _NO_GPUS, parse_gpu_request

SWARM_STATES = ("present", "absent")
GPU_LABEL = "korczewski.platform.gpu"
# Docker's own advice: more than seven managers slow every write of the Raft log down.
MAX_MANAGERS = 7


def _host_var(hostvars, host, name, default=None):
    variables = hostvars.get(host) if hasattr(hostvars, "get") else None
    if variables is None:
        return default
    value = variables.get(name, default)
    return default if value is None else value


def _gpus_declared(value):
    """(declared, error): whether platform_gpus declares any GPU."""
    if value in _NO_GPUS or value == []:
        return False, None
    dummy, error = parse_gpu_request(value)
    if error:
        return False, "platform_gpus " + error.replace("must be all", "must be none, all")
    return True, None


def _label_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def swarm_state(hostvars, host):
    return _host_var(hostvars, host, "platform_swarm_state", "present")


def node_labels(host_variables):
    """The labels one node carries: ``platform_swarm_labels`` plus the GPU label where the host
    declares GPUs. Values become strings (Docker's labels are strings; YAML's true is "true")."""
    host_variables = host_variables or {}
    labels = host_variables.get("platform_swarm_labels") or {}
    result = dict((str(k), _label_value(v)) for k, v in labels.items()) if isinstance(labels, dict) else {}
    declared, dummy = _gpus_declared(host_variables.get("platform_gpus"))
    if declared:
        result[GPU_LABEL] = "true"
    return result


def _host_errors(host, hostvars):
    errors = []
    state = swarm_state(hostvars, host)
    if state not in SWARM_STATES:
        errors.append("host %s: platform_swarm_state must be one of %s, not %r" % (host, ", ".join(SWARM_STATES), state))
    labels = _host_var(hostvars, host, "platform_swarm_labels", {})
    if not isinstance(labels, dict):
        errors.append("host %s: platform_swarm_labels must be a mapping of label names to values, not %r" % (host, labels))
    else:
        for key, value in labels.items():
            if not isinstance(key, str) or not key:
                errors.append("host %s: platform_swarm_labels has a label name that is not a non-empty string: %r" % (host, key))
            elif key == GPU_LABEL:
                errors.append("host %s: platform_swarm_labels sets %s, which the collection derives from platform_gpus;"
                              " declare the host's GPUs there instead" % (host, GPU_LABEL))
            elif isinstance(value, (dict, list)) or value is None:
                errors.append("host %s: platform_swarm_labels.%s must be a string, number or boolean, not %r" % (host, key, value))
    dummy, gpu_error = _gpus_declared(_host_var(hostvars, host, "platform_gpus"))
    if gpu_error:
        errors.append("host %s: %s" % (host, gpu_error))
    return errors


def topology_errors(managers, workers, hostvars, managers_group="platform_swarm_managers",
                    workers_group="platform_swarm_workers"):
    """Every reason the inventory's swarm cannot be formed as described, as clear messages; an
    empty list when it can.

    managers, workers: the hosts of the two groups, in inventory order (the first manager forms
    the swarm and manages the others). hostvars: host name -> that host's variables (Ansible's
    ``hostvars`` or any mapping of mappings); only platform_swarm_state, platform_swarm_labels and
    platform_gpus are read.
    """
    managers = list(managers or [])
    workers = list(workers or [])
    errors = []
    if not managers:
        errors.append("group %s is empty: a swarm needs a manager (1, 3 or 5 of them)" % managers_group)
    both = [h for h in managers if h in workers]
    for host in both:
        errors.append("host %s is in both %s and %s: a node is either a manager or a worker"
                      % (host, managers_group, workers_group))
    for host in managers + [w for w in workers if w not in both]:
        errors.extend(_host_errors(host, hostvars))
    if not managers:
        return errors

    staying = [h for h in managers if swarm_state(hostvars, h) != "absent"]
    leaving = [h for h in managers if swarm_state(hostvars, h) == "absent"]
    if not staying:
        errors.append("every manager of %s leaves (platform_swarm_state: absent: %s): the swarm would have no manager"
                      " left; keep one, or add one first" % (managers_group, ", ".join(leaving)))
    elif managers[0] in leaving:
        errors.append("host %s, the first of %s, leaves (platform_swarm_state: absent), but the first manager is the one"
                      " that forms the swarm and removes leaving nodes: list a staying manager (%s) first"
                      % (managers[0], managers_group, staying[0]))
    if len(staying) > 1 and len(staying) % 2 == 0:
        errors.append("%s keeps %d managers (%s): use an odd number, 3 or 5 (or 1), for a quorum; %d managers"
                      " tolerate no more failures than %d" % (managers_group, len(staying), ", ".join(staying),
                                                              len(staying), len(staying) - 1))
    if len(staying) > MAX_MANAGERS:
        errors.append("%s keeps %d managers: at most %d, more slow every change of the swarm down; make the others workers"
                      % (managers_group, len(staying), MAX_MANAGERS))
    return errors
