#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: images_present

short_description: Check that every image a run needs is on the host, pulling the missing ones concurrently

version_added: 0.1.0

description:
  - Asks the Docker engine at O(docker_host) for each image of O(images) (each image once, however many
    catalog paths name it), then pulls the ones it does not have, at most O(workers) at a time, through the
    Docker Engine API (C(POST /images/create)) with the Python standard library; the Docker SDK is not needed.
  - "Fails with one message that names every catalog path whose image is neither on the host nor pullable,
    with the engine's reason, in the form of the catalog's validation errors, for example
    C(platform_services.auth.environments.production.containers[0].image: image local/app-standin:nope
    is not on this host and cannot be pulled: ...). The preflight (C(playbooks/plays/images.yml)) runs it
    before any compose file is written, so a tag that does not exist stops the run with nothing changed."
  - Images pulled in a call that then fails stay pulled; they change no container.
  - Pulls send no registry credentials, so an image of a private registry must be on the host already.

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.attributes

requirements:
  - A Docker engine with API 1.41 or later at O(docker_host).

attributes:
  check_mode:
    support: full
    details:
      - Nothing is pulled. For an image that is not on the host the registry is asked whether it has it
        (C(GET /distribution/<image>/json)); if so it is reported in RV(pulled) and the result is changed,
        if not the module fails as it would without check mode.
  diff_mode:
    support: full
    details:
      - The images on the host of O(images), before and after.

options:
  images:
    description:
      - The images to check, typically each container image of the units this run deploys, with its catalog path.
    type: list
    elements: dict
    required: true
    suboptions:
      image:
        description:
          - The image reference as Compose reads it (V(postgres:15), V(ghcr.io/open-webui/open-webui:main),
            V(app@sha256:...)). Without a tag, V(latest) is pulled, as C(docker pull) does.
        type: str
        required: true
      path:
        description:
          - Where the catalog names this image, for the failure message
            (V(platform_services.auth.environments.production.containers[0].image)).
        type: str
      service:
        description: The service whose container uses the image; reported with a missing image.
        type: str
      environment:
        description: The environment of that container; reported with a missing image.
        type: str
  pull:
    description:
      - Pull the images that are not on the host. V(false) only checks, and a missing image fails the module.
    type: bool
    default: true
  workers:
    description:
      - How many images are pulled at the same time.
    type: int
    default: 4
  timeout:
    description:
      - Seconds the engine may stay silent during one pull (it streams progress while it downloads) or one
        question, before that image counts as not pullable.
    type: float
    default: 300
  docker_host:
    description:
      - The Docker engine, V(unix://<socket path>) or V(tcp://<host>:<port>) without TLS.
    type: str
    default: unix:///var/run/docker.sock
"""

EXAMPLES = r"""
- name: Check the images of this run's units before anything changes
  korczewski.platform.images_present:
    images:
      - image: local/postgres:15
        path: platform_services.shared-postgres.environments.production.containers[0].image
      - image: korczewski/auth-service:2.1.0
        path: platform_services.auth.environments.production.containers[0].image
    workers: 4

# The preflight's call (playbooks/plays/images.yml): every container image of the selected units,
# from the catalog validate.yml resolved.
- name: Check that every image of this run is on the host or can be pulled
  korczewski.platform.images_present:
    images: "{{ platform_catalog.units | map(attribute='images') | flatten }}"
"""

RETURN = r"""
present:
  description: Images that were on the host already.
  returned: always
  type: list
  elements: str
  sample: [local/postgres:15]
pulled:
  description: Images pulled by this call; in check mode the ones that would be pulled.
  returned: always
  type: list
  elements: str
  sample: [korczewski/auth-service:2.1.0]
missing:
  description: Images neither on the host nor pullable, each with the catalog paths that name it and the reason.
  returned: always
  type: list
  elements: dict
  contains:
    image:
      description: The image reference.
      type: str
    paths:
      description: The catalog paths of O(images) that name it.
      type: list
      elements: str
    error:
      description: 'The engine''s reason (the registry''s answer), or V(pulling is off (pull: false\)) with O(pull=false).'
      type: str
    units:
      description: The C(<service>/<environment>) units of O(images) whose containers use it.
      type: list
      elements: str
  sample:
    - image: local/app-standin:nope
      paths:
        - platform_services.auth.environments.production.containers[0].image
      units:
        - auth/production
      error: "manifest for local/app-standin:nope not found"
progress:
  description: One line per pulled image (or, in check mode, per image that would be pulled), with the time it took.
  returned: always
  type: list
  elements: str
  sample: ["korczewski/auth-service:2.1.0: pulled in 12.3 s (Status: Downloaded newer image for korczewski/auth-service:2.1.0)"]
"""

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.docker.images import (
    ImagesError,
    check,
    collect,
    failure_message,
)


def run(module):
    params = module.params
    try:
        items = collect(params["images"])
    except ImagesError as exc:
        module.fail_json(msg=to_native(exc))
    outcome = check(items, lambda: DockerAPI(params["docker_host"], timeout=params["timeout"]),
                    pull=params["pull"], check_mode=module.check_mode, workers=params["workers"])
    result = dict(changed=bool(outcome["pulled"]), **outcome)
    if module._diff:
        result["diff"] = {"before": {"images": sorted(outcome["present"])},
                          "after": {"images": sorted(outcome["present"] + outcome["pulled"])}}
    if outcome["missing"]:
        module.fail_json(msg=failure_message(outcome["missing"], outcome["pulled"]), **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            images=dict(type="list", elements="dict", required=True, options=dict(
                image=dict(type="str", required=True),
                path=dict(type="str"),
                service=dict(type="str"),
                environment=dict(type="str"),
            )),
            pull=dict(type="bool", default=True),
            workers=dict(type="int", default=4),
            timeout=dict(type="float", default=300),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    if module.params["workers"] < 1:
        module.fail_json(msg="workers must be at least 1, not %d" % module.params["workers"])
    try:
        run(module)
    except DockerError as exc:
        module.fail_json(msg=to_native(exc))
    except Exception as exc:  # report unexpected errors as a module failure, not a traceback dump
        module.fail_json(msg="images_present failed: %s" % to_native(exc), exception=traceback.format_exc())


if __name__ == "__main__":
    main()
