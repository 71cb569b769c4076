# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Docker socket proxies' settings: what is wrong with an allow list and a proxy's name."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.docker.proxy_allow import (
    allow_list_errors,
    container_name_errors,
)


def socket_proxy_errors(allow, variable="allow", container=None, container_variable="container"):
    errors = allow_list_errors(allow, variable)
    if container is not None:
        errors += container_name_errors(container, container_variable)
    return errors


class FilterModule(object):
    def filters(self):
        return {"socket_proxy_errors": socket_proxy_errors}
