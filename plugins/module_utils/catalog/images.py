# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The images a unit's containers run, each with the catalog path that names it, for the preflight
(korczewski.platform.images_present) to check before anything changes.

Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations


def image_path(service, environment, index):
    """The path of a container's image, as the catalog's validation errors spell paths."""
    return "platform_services.%s.environments.%s.containers[%d].image" % (service, environment, index)


def unit_images(catalog, service, environment):
    """``[{"image", "path", "service", "environment"}]`` of one unit's containers, in catalog order.

    A container with a build context is left out, with or without an image name: Compose builds
    that image on the host, so no registry is asked for it."""
    env = catalog.environment(service, environment)
    return [{"image": cont.image, "path": image_path(service, env.name, cont.index),
             "service": service, "environment": env.name}
            for cont in env.containers if cont.image and not cont.build]
