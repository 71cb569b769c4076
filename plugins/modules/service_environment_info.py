#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: service_environment_info

short_description: Discover what runs for each service environment of the platform catalog

version_added: 0.1.0

description:
  - Compares the host with the service catalog in one call and reports, per (service, environment) of the
    catalog, its compose projects and containers, its development servers and its state.
  - Reports everything unmanaged that holds a catalog container name, host port or named volume, processes
    started by hand in a service's development source directory, and orphans (labelled containers, and
    dev servers started from a settings record, whose service or environment is not in the catalog).
  - Reads the Docker engine (one container list, one inspect per catalog container) and C(/proc) once each.
    M(korczewski.platform.single_environment) judges the same facts against the single-environment rule.
  - With O(engine=swarm) it runs on a swarm manager and reads the whole swarm instead (one service list, one
    list of the tasks that should run, one node list) - per unit its stack, its services with desired and
    running replicas and the nodes they run on, and each task's node, state, container id and health.

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.discovery
  - korczewski.platform.attributes
  - korczewski.platform.attributes.INFO_MODULE

seealso:
  - module: korczewski.platform.single_environment
  - module: korczewski.platform.npm_dev_server
"""

EXAMPLES = r"""
- name: Discover what runs for every service environment
  korczewski.platform.service_environment_info:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    state_dir: "{{ platform_state_dir }}/npm"
  register: discovery

- name: Discover the services and tasks of every production stack, cluster-wide, from a manager
  korczewski.platform.service_environment_info:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    engine: swarm
  register: discovery

- name: One line per service environment
  ansible.builtin.debug:
    msg: "{{ discovery.summary }}"

- name: Names of the containers that hold a catalog name, port or volume without belonging to it
  ansible.builtin.debug:
    msg: "{{ discovery.unmanaged | selectattr('kind', 'equalto', 'container') | map(attribute='name') | list }}"
"""

RETURN = r"""
units:
  description: One entry per (service, environment) of the catalog, in vertical order, production first.
  returned: success
  type: list
  elements: dict
  contains:
    service:
      description: Service name.
      type: str
      sample: auth
    environment:
      description: V(production) or V(development).
      type: str
      sample: production
    layer:
      description: The service's layer.
      type: str
      sample: applications
    method:
      description: Deployment method of the environment.
      type: str
      sample: compose
    project:
      description: The rightful compose project of the unit (on a swarm, the name of its stack).
      type: str
      sample: auth-production
    engine:
      description: V(swarm) when O(engine=swarm); absent otherwise.
      type: str
      returned: when O(engine=swarm)
    stack:
      description: The unit's rightful stack; V(null) for a development unit, which does not run on the swarm.
      type: str
      returned: when O(engine=swarm)
      sample: auth-production
    stacks:
      description: Stacks among the services attributed to the unit.
      type: list
      elements: str
      returned: when O(engine=swarm)
    services:
      description:
        - Swarm services attributed to the unit (by identity labels, service labels first, then container labels).
        - Each has C(name), C(id) (12 characters), C(stack), C(container) (the catalog's container name, else the
          service's name without its stack), C(matched), C(mode) (V(replicated) or V(global)), C(desired) and
          C(running) replicas, C(nodes) (host names of the nodes its running tasks are on), C(state)
          (V(running), V(partial), V(pending) or V(stopped)), C(image), C(healthcheck), C(update_state), C(ports)
          (published), C(volumes), C(aliases) and C(tasks).
        - Each task (only tasks whose desired state is running) has C(id), C(service_id), C(slot), C(node),
          C(state) (Docker's task state; a task with a healthcheck stays V(starting) until it is healthy),
          C(desired_state), C(message), C(error), C(container_id), C(exit_code), C(health), C(since) and
          C(addresses).
      type: list
      elements: dict
      returned: when O(engine=swarm)
    expected:
      description: What the catalog declares.
      type: dict
      contains:
        containers:
          description: Container names.
          type: list
          elements: str
        ports:
          description: Host ports (published container ports and dev server ports).
          type: list
          elements: int
        servers:
          description: Dev servers, each with C(name) (pid file name), C(server), C(port) and C(source).
          type: list
          elements: dict
    containers:
      description:
        - Containers attributed to the unit, by identity labels or by catalog name; empty with O(engine=swarm).
        - Each has C(name), C(id) (12 characters), C(project) (compose project label), C(state), C(health),
          C(image), C(started_at), C(restart_count), C(exit_code) (of the last run), C(restart_policy),
          C(matched) (V(labels) or V(name)), C(ports) (published
          host ports), C(volumes) (named volumes), C(networks) and C(database_hosts) (only E(DATABASE_HOST) and
          the host part of E(DATABASE_URL), never other values).
      type: list
      elements: dict
    projects:
      description: Compose projects among the unit's containers.
      type: list
      elements: str
      sample: [auth-production]
    dev_servers:
      description:
        - Dev server process groups of the unit. C(managed) ones come from pid files; the others listen on
          the unit's dev ports or run in its source directory.
        - Each has C(name), C(server), C(source), C(managed), C(found_by) (V(pid_file), V(port), V(source)),
          C(running), C(stale) (why a pid file is stale), C(pid), C(pids) (listening pids), C(pgrp),
          C(session), C(ports), C(cmdline), C(cwd), C(user), C(started) (seconds since the process
          started), C(start_time) (clock ticks after boot) and C(database_connections).
      type: list
      elements: dict
    state:
      description:
        - V(running) (everything declared runs), V(partial), V(unhealthy) (a container's health check
          fails), V(stopped) (it exists but nothing runs) or V(missing) (nothing exists).
        - Only the rightful instance counts; strays never make a unit running.
      type: str
      sample: running
    summary:
      description: One line about the unit.
      type: str
      sample: "auth/production: 1/1 containers running (1 healthy), project auth-production"
unmanaged:
  description:
    - Containers and processes holding a catalog container name, host port or volume without belonging to its
      unit, one entry per thing held.
    - Each has C(kind) (V(container), V(service) on a swarm, or V(process)), C(name), C(id), C(project) (on a
      swarm the stack), C(pid), C(cmdline), C(port), C(volume), C(holds) (what it holds), C(unit) (V(service/environment) the thing belongs to), C(owner)
      (the unit the holder itself belongs to, if any), C(state), C(pgrp) and C(start_time).
  returned: success
  type: list
  elements: dict
  sample:
    - kind: process
      name: python3
      pid: 4711
      cmdline: python3 -m http.server 5500
      port: 5500
      holds: port 5500 of dev server auth-development
      unit: auth/development
orphans:
  description:
    - Labelled containers whose service or environment is not in the catalog.
    - Running dev servers whose settings record names a server of no catalog unit, each with C(kind=process),
      its C(pid), C(start_time) and C(cmdline), and the service and environment it was started for.
    - With O(engine=swarm), labelled services, each with C(kind=service) and its stack as C(project).
  returned: success
  type: list
  elements: dict
  sample:
    - name: old-service
      id: 0123456789ab
      project: old-service-production
      service: old-service
      environment: production
      state: running
database_servers:
  description: The database provider's containers that run, with their addresses, aliases and published ports.
  returned: success
  type: list
  elements: dict
engine:
  description: V(swarm) when O(engine=swarm); absent otherwise.
  returned: when O(engine=swarm)
  type: str
summary:
  description: The units' one-line summaries.
  returned: success
  type: list
  elements: str
elapsed:
  description: Seconds the discovery took.
  returned: success
  type: float
  sample: 0.07
"""

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import argument_spec, discover
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.discovery import discover_swarm


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        catalog = Catalog.load(params["services"], params["domain"], params["network"])
    except CatalogError as exc:
        module.fail_json(msg=to_native(exc), errors=exc.errors)
    try:
        if params["engine"] == "swarm":
            result = discover_swarm(catalog, docker_host=params["docker_host"])
        else:
            result = discover(catalog, params["state_dir"], docker_host=params["docker_host"])
    except DockerError as exc:
        module.fail_json(msg=to_native(exc))
    except Exception as exc:  # report unexpected errors as a module failure, not a traceback dump
        module.fail_json(msg="service_environment_info failed: %s" % to_native(exc), exception=traceback.format_exc())
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
