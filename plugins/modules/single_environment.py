#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: single_environment

short_description: Check or enforce the single-environment rule on a host

version_added: 0.1.0

description:
  - Discovers what runs (as M(korczewski.platform.service_environment_info) does) and judges it against the
    single-environment rule of the platform catalog. At most one instance of each (service, environment)
    runs - its rightful compose project or its managed dev server - and development reaches the production
    database only where the catalog opts in with C(use_production_database).
  - "Violations: a second compose project of a unit; a container carrying a unit's identity labels outside
    its compose project (for example started with C(docker run --label ...)); a second dev server (another
    process group on the unit's dev port or started by hand in its source directory); an unmanaged process
    or container on a managed port, container name or volume (also while the rightful instance is stopped);
    a development container on the production network or pointing E(DATABASE_HOST) or E(DATABASE_URL) at the
    production database server; a development process connected to the production database."
  - Labelled containers and dev servers whose service or environment is not in the catalog are orphans (see O(orphans));
    enforcing stops a dev server orphan by its pid and start time, as any stray process.
  - With O(engine=swarm) (on a swarm manager) a production unit's rightful instance is its one stack, named like
    its compose project. A service carrying the unit's identity labels in another stack (or in none) is a
    second instance (V(second_stack)), as is any service with a development unit's identity on the swarm;
    the violation names both stacks and the service. Enforcing removes the stray services (their named
    volumes stay) and, once a stray stack has no service left, its networks; the rightful stack's services
    are never removed.
  - With O(mode=check) the module fails with a table naming each stray (container name and id, compose
    project, pid and command line, port, reason).
  - With O(mode=enforce) and O(confirm=true) it stops the strays, then checks again. Containers are stopped
    and removed (never their volumes); processes get SIGTERM, then SIGKILL, as a whole process group. The
    rightful compose project's containers and the managed dev servers are never stopped; a violation
    that only they cause (such as a development container on the production network) needs its
    configuration fixed and fails the module.

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.attributes
  - korczewski.platform.discovery

options:
  mode:
    description:
      - V(check) reports violations and fails when there is any.
      - V(enforce) stops the strays (with O(confirm=true)), checks again and fails when violations remain.
    type: str
    default: check
    choices:
      - check
      - enforce
  confirm:
    description:
      - Must be V(true) for O(mode=enforce) to stop anything. Without it, enforce fails before it stops
        anything and names what it would stop.
      - Not needed in check mode, which stops nothing.
    type: bool
    default: false
  orphans:
    description:
      - V(fail) treats orphans like violations (check fails; enforce stops and removes them).
      - V(warn) only warns about them and leaves them alone.
    type: str
    default: fail
    choices:
      - fail
      - warn
  stop_timeout:
    description:
      - Seconds a container or process group gets after SIGTERM before it is killed.
    type: int
    default: 10

attributes:
  check_mode:
    support: full
    details:
      - With O(mode=enforce), check mode reports what would be stopped in RV(stopped) and stops nothing.
  diff_mode:
    support: none

seealso:
  - module: korczewski.platform.service_environment_info
  - module: korczewski.platform.npm_dev_server
"""

EXAMPLES = r"""
- name: Stop the run when something breaks the single-environment rule
  korczewski.platform.single_environment:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    state_dir: "{{ platform_state_dir }}/npm"

- name: Stop every stray (never the rightful instance, never a volume)
  korczewski.platform.single_environment:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    state_dir: "{{ platform_state_dir }}/npm"
    mode: enforce
    confirm: true
  register: rule

- name: Show what was stopped
  ansible.builtin.debug:
    msg: "{{ rule.stopped | map(attribute='name') | list }}"

- name: On a swarm manager, remove every service that holds a unit's identity outside its stack
  korczewski.platform.single_environment:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    engine: swarm
    mode: enforce
    confirm: true

- name: Check, but only warn about labelled containers the catalog no longer knows
  korczewski.platform.single_environment:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    orphans: warn
"""

RETURN = r"""
violations:
  description:
    - The violations found (before anything was stopped).
    - Each has C(kind) (V(second_project), V(second_stack), V(outside_project), V(second_dev_server), V(unmanaged)
      or V(production_database)), C(unit) (V(service/environment)), C(reason) and C(strays).
    - Each stray has C(kind) (V(container), V(service) or V(process)), C(name), C(id), C(project) (a service's
      stack), C(pid), C(cmdline),
      C(port), C(pgrp), C(start_time) and C(rightful) (the stray is itself a rightful instance and is never
      stopped).
  returned: always
  type: list
  elements: dict
  sample:
    - kind: outside_project
      unit: l2p/development
      reason: container l2p-copy (0123456789ab) carries the identity labels of l2p/development outside its
        compose project l2p-development
      strays:
        - {kind: container, name: l2p-copy, id: 0123456789ab, project: null, pid: null, port: null, rightful: false}
remaining:
  description: Violations found by the second check after enforcing; empty when none remain.
  returned: when O(mode=enforce) stopped something
  type: list
  elements: dict
orphans:
  description:
    - Labelled containers whose service or environment is not in the catalog (C(name), C(id), C(project), C(service),
      C(environment), C(state)).
    - With O(engine=swarm), labelled services, each also with C(kind=service) and its stack as C(project).
  returned: always
  type: list
  elements: dict
table:
  description: The violations and orphans as a plain-text table, one row per stray.
  returned: always
  type: str
stopped:
  description:
    - What was stopped (in check mode, what would be stopped), each with C(kind), C(name), C(id), C(project),
      C(pid), C(pgrp), C(cmdline), C(port), C(reason) and C(action).
  returned: always
  type: list
  elements: dict
units:
  description: The discovery after the module ran, as the C(units) that M(korczewski.platform.service_environment_info) returns.
  returned: success
  type: list
  elements: dict
summary:
  description: One line per unit.
  returned: success
  type: list
  elements: str
"""

import time
import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import unit_containers
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.stop import stop_stray
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import argument_spec, discover
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.rule.single_environment import (
    evaluate,
    format_table,
    stop_plan,
    unfixable,
)
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.discovery import discover_swarm
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.services import STACK_LABEL as LABEL_STACK


class Enforcer:

    def __init__(self, module, docker, discovery):
        self.module = module
        self.docker = docker
        self.timeout = module.params["stop_timeout"]
        self.protected_containers = set()
        self.protected_services = set()
        self.managed_groups = set()
        for unit in discovery["units"]:
            for service in unit.get("services") or []:
                if unit.get("stack") and service["stack"] == unit["stack"]:
                    self.protected_services.add(service["id"])
            self.protected_containers.update(cont["id"] for cont in unit_containers(unit))
            for server in unit["dev_servers"]:
                if server["managed"] and server["running"]:
                    self.managed_groups.update(g for g in (server["session"], server["pgrp"]) if g)

    def _remove_empty_stack(self, stack):
        """A stray stack left without services goes whole, as `docker stack rm` would take it: its
        networks too (its volumes stay). Its tasks are still leaving them, so a network may need a moment."""
        if not stack or self.docker.services({"label": ["%s=%s" % (LABEL_STACK, stack)]}):
            return ""
        removed = []
        for network in self.docker.networks({"label": ["%s=%s" % (LABEL_STACK, stack)]}):
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    self.docker.remove_network(network["Id"])
                    removed.append(network["Name"])
                    break
                except DockerError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
        return "; stack %s emptied%s" % (stack, ", network%s %s removed" % (
            "s" if len(removed) != 1 else "", ", ".join(removed)) if removed else "")

    def stop(self, target):
        """Stop one target; returns the action taken (or a reason it was left alone)."""
        if target["kind"] == "container":
            if target["id"] in self.protected_containers:
                return "left alone: it belongs to its unit's rightful compose project"
            self.docker.stop(target["id"], self.timeout)
            self.docker.remove(target["id"])
            return "stopped and removed (volumes kept)"
        if target["kind"] == "service":
            if target["id"] in self.protected_services:
                return "left alone: it belongs to its unit's rightful stack"
            self.docker.remove_service(target["id"])
            return "service removed with its tasks (volumes kept)" + self._remove_empty_stack(target["project"])
        outcome = stop_stray(target["pid"], target.get("start_time"), self.timeout, self.managed_groups)
        if outcome["outcome"] == "gone":
            return "already gone"
        if outcome["outcome"] in ("reused", "managed", "protected"):
            return "left alone: %s" % outcome["message"]
        if outcome["outcome"] == "survived":
            self.module.fail_json(msg="Could not stop %s" % outcome["message"])
        return outcome["message"]


def _headline(violations, orphans):
    parts = []
    if violations:
        parts.append("%d violation%s" % (len(violations), "s" if len(violations) != 1 else ""))
    if orphans:
        parts.append("%d orphan%s" % (len(orphans), "s" if len(orphans) != 1 else ""))
    return "single-environment rule: %s" % " and ".join(parts)


def _describe(target):
    if target["kind"] in ("container", "service"):
        return "%s %s (%s)" % (target["kind"], target["name"], target["id"])
    return "process group of pid %s (%s)" % (target["pid"], target["cmdline"] or target["name"])


def run(module):
    params = module.params
    try:
        catalog = Catalog.load(params["services"], params["domain"], params["network"])
    except CatalogError as exc:
        module.fail_json(msg=to_native(exc), errors=exc.errors)
    docker = DockerAPI(params["docker_host"])

    def discover_now():
        if params["engine"] == "swarm":
            return discover_swarm(catalog, docker=docker)
        return discover(catalog, params["state_dir"], docker=docker)

    discovery = discover_now()
    violations = evaluate(catalog, discovery)
    orphans = discovery["orphans"]
    blocking_orphans = orphans if params["orphans"] == "fail" else []
    table = format_table(violations, orphans)
    result = dict(changed=False, violations=violations, orphans=orphans, table=table, stopped=[],
                  units=discovery["units"], summary=discovery["summary"])
    if orphans and params["orphans"] == "warn":
        module.warn("%d orphan%s (labelled for a service environment not in the catalog): %s" % (
            len(orphans), "s" if len(orphans) != 1 else "", ", ".join(
                "%s (%s, %s/%s)" % (o["name"], o["id"] or "pid %s" % o.get("pid"), o["service"], o["environment"])
                for o in orphans)))
    if not violations and not blocking_orphans:
        module.exit_json(**result)
    if params["mode"] == "check":
        module.fail_json(msg="%s:\n%s" % (_headline(violations, blocking_orphans), table), **_brief(result))

    plan = stop_plan(violations, blocking_orphans)
    stuck = unfixable(violations)
    if module.check_mode:
        result["stopped"] = [dict(t, action="would stop") for t in plan]
        result["changed"] = bool(plan)
        if stuck:
            module.fail_json(msg="%s; stopping strays would not fix %d of them (the rightful instance itself breaks "
                             "the rule: fix its configuration):\n%s"
                             % (_headline(violations, blocking_orphans), len(stuck), format_table(stuck)), **_brief(result))
        module.exit_json(**result)
    if plan and not params["confirm"]:
        module.fail_json(msg="%s. mode=enforce would stop %s. Nothing was stopped: pass confirm: true to stop them "
                         "(entry playbooks: -e platform_rule=enforce -e platform_rule_confirm=true).\n%s"
                         % (_headline(violations, blocking_orphans), "; ".join(_describe(t) for t in plan), table),
                         **_brief(result))
    enforcer = Enforcer(module, docker, discovery)
    for target in plan:
        action = enforcer.stop(target)
        result["stopped"].append(dict(target, action=action))
        if not action.startswith(("left alone", "already gone")):
            result["changed"] = True
    after = discover_now()
    remaining = evaluate(catalog, after)
    remaining_orphans = after["orphans"] if params["orphans"] == "fail" else []
    result.update(remaining=remaining, units=after["units"], summary=after["summary"])
    if remaining or remaining_orphans:
        module.fail_json(msg="%s remain after enforcing:\n%s" % (
            _headline(remaining, remaining_orphans), format_table(remaining, remaining_orphans)), **_brief(result))
    module.exit_json(**result)


def _brief(result):
    """A failed run shows the table; the whole discovery would bury it (it is in the info module)."""
    return {key: value for key, value in result.items() if key not in ("units", "summary")}


def argument_spec_with_rule():
    spec = argument_spec()
    spec.update(
        mode=dict(type="str", default="check", choices=["check", "enforce"]),
        confirm=dict(type="bool", default=False),
        orphans=dict(type="str", default="fail", choices=["fail", "warn"]),
        stop_timeout=dict(type="int", default=10),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec_with_rule(), supports_check_mode=True)
    try:
        run(module)
    except DockerError as exc:
        module.fail_json(msg=to_native(exc))
    except Exception as exc:  # report unexpected errors as a module failure, not a traceback dump
        module.fail_json(msg="single_environment failed: %s" % to_native(exc), exception=traceback.format_exc())


if __name__ == "__main__":
    main()
