# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    # Options of run-time discovery, shared by service_environment_info and single_environment.
    DOCUMENTATION = r"""
options:
  services:
    description:
      - The service catalog, the raw C(platform_services) inventory variable.
      - It is validated as by C(playbooks/validate.yml); an invalid catalog fails the module with every error.
    type: dict
    required: true
  domain:
    description:
      - The platform domain, C(platform_domain).
    type: str
    required: true
  network:
    description:
      - Name of the production network, C(platform_network). Development uses V(<network>-dev).
      - Unset, the catalog's default network V(platform).
    type: str
  state_dir:
    description:
      - State directory of M(korczewski.platform.npm_dev_server), where each dev server has its pid file
        C(<name>.pid) and settings record C(<name>.state.json).
      - The name is the unit's local server name (V(auth-development), V(vllm-rag-development-vllm)).
    type: path
    default: ~/.local/state/korczewski-platform/npm
  docker_host:
    description:
      - The Docker engine to ask, V(unix://<socket path>) or V(tcp://<host>:<port>) without TLS.
    type: str
    default: unix:///var/run/docker.sock
  engine:
    description:
      - V(compose) reads the containers of the engine at O(docker_host) and this host's development servers.
      - V(swarm) reads the Docker Swarm that O(docker_host) is a manager of, cluster-wide - its services with their
        identity labels and the tasks that should run (node, state, container id, health) - and no processes,
        since development runs on its development host in compose mode. A production unit's rightful instance is
        then its one stack, named like its compose project; a service with its identity labels in another
        stack (label C(com.docker.stack.namespace)) is a second instance.
    type: str
    default: compose
    choices:
      - compose
      - swarm
requirements:
  - Linux on the managed host (processes, listeners and connections are read from C(/proc)).
  - A Docker engine with API 1.41 or later at O(docker_host); it is spoken to with the Python standard library, the Docker SDK is not needed.
notes:
  - Containers belong to a (service, environment) by the identity labels C(korczewski.platform.service) and
    C(korczewski.platform.environment) first, by the catalog's container names second.
  - Listeners are read from C(/proc/net/tcp) and C(/proc/net/tcp6) and mapped to processes through
    C(/proc/<pid>/fd); run as root to see processes of other users. A C(docker-proxy) listener is counted as
    the container that publishes its port, never as a process.
"""
