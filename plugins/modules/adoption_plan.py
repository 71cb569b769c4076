#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: adoption_plan

short_description: Plan the takeover of a hand-run installation by the catalog's managed units

version_added: 0.1.0

description:
  - Finds the containers that run under the catalog's container names without belonging to their
    managed unit (plain C(docker run) containers and foreign compose projects alike), by the same
    discovery as M(korczewski.platform.service_environment_info), and plans their takeover.
  - One row per container - the managed unit that replaces it, its image against the catalog's,
    and per mount point where its data lives (a named volume or a host directory) and how the unit
    will mount it - in layer order, infrastructure first.
  - For the production database server it finds, the databases and their owner roles against the
    catalog's owners (read over C(docker exec), as the postgres OS user).
  - Only reads; C(playbooks/adopt.yml) records RV(volumes) and RV(owners) in the inventory and takes
    over with M(korczewski.platform.compose_projects)' O(korczewski.platform.compose_projects#module:takeover).
  - A container that holds a catalog host port without a catalog container name cannot be taken
    over by name; it is named in RV(blocked).

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.attributes
  - korczewski.platform.discovery

attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    support: none

options:
  docker_cli:
    description: The docker CLI that runs psql in the database server container.
    type: str
    default: docker
"""

EXAMPLES = r"""
- name: Plan the takeover of the containers that run under the catalog's names
  korczewski.platform.adoption_plan:
    services: "{{ platform_services }}"
    domain: "{{ platform_domain }}"
    network: "{{ platform_network }}"
  register: plan

- name: Show it
  ansible.builtin.debug:
    msg: "{{ plan.lines }}"
"""

RETURN = r"""
rows:
  description: One entry per container to take over, in layer order.
  returned: always
  type: list
  elements: dict
  contains:
    container:
      description: Its name, the catalog's container name.
      type: str
    unit:
      description: The managed unit that replaces it, C(<service>/<environment>).
      type: str
    project:
      description: The unit's compose project.
      type: str
    compose_project:
      description: The foreign compose project it belongs to, or null for a plain C(docker run) container.
      type: str
    image:
      description: Its image.
      type: str
    catalog_image:
      description: The catalog's image for it.
      type: str
    same_image:
      description: Whether both are the same.
      type: bool
    bridges:
      description:
        - Its networks that the unit's container does not join (Docker's own left out). The unit's container
          joins them during the takeover, so what is not taken over yet still reaches it by name;
          C(playbooks/adopt.yml) disconnects them at its end.
      type: list
      elements: str
    mounts:
      description: Per mount point, C(found) (what it mounts there) and C(plan) (what the unit will mount).
      type: list
      elements: dict
volumes:
  description: Catalog volume name to C({external - <volume>}) or C({host_path - <directory>}), the data kept in place.
  returned: always
  type: dict
owners:
  description: Database name to the hand-run owner role where it is not the catalog's owner.
  returned: always
  type: dict
databases:
  description: Per database of the production server taken over, its owner found and the plan for it.
  returned: always
  type: list
  elements: dict
blocked:
  description: Why a takeover cannot start (a container holding a catalog port under another name).
  returned: always
  type: list
  elements: str
lines:
  description: The plan as one line per container and database, for the run's output.
  returned: always
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.korczewski.platform.plugins.module_utils.adopt.plan import container_rows, owner_rows, plan_lines
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import Discovery, argument_spec
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.postgres.provision import ProvisionError, PsqlRunner


def main():
    spec = argument_spec()
    spec.update(docker_cli=dict(type="str", default="docker"))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    if params["engine"] != "compose":
        module.fail_json(msg="adoption_plan takes over containers on one host: engine must be compose")
    try:
        catalog = Catalog.load(params["services"], params["domain"], params["network"])
    except CatalogError as exc:
        module.fail_json(msg=to_native(exc), errors=exc.errors)
    try:
        docker = DockerAPI(params["docker_host"])
        found = Discovery(catalog, params["state_dir"], docker=docker, processes=False).run()
        inspected = {}
        for holder in found["unmanaged"]:
            if holder.get("kind", "container") == "container" and holder["id"] not in inspected:
                inspected[holder["id"]] = docker.inspect(holder["id"]) or {}
        rows, volumes, blocked = container_rows(catalog, found["unmanaged"], inspected)
        databases, owners = [], {}
        server = catalog.provider("database")
        for row in rows:
            if server is not None and row["service"] == server.name and row["environment"] == "production" \
                    and row["state"] == "running":
                databases, owners = owner_rows(catalog, "production", PsqlRunner(row["container"], docker=params["docker_cli"]).owners())
    except (DockerError, ProvisionError) as exc:
        module.fail_json(msg=to_native(exc))
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="adoption_plan failed: %s" % to_native(exc), exception=traceback.format_exc())
    module.exit_json(changed=False, rows=rows, volumes=volumes, owners=owners, databases=databases, blocked=blocked,
                     lines=plan_lines(rows, databases))


if __name__ == "__main__":
    main()
