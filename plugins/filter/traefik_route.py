# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Traefik rule's host name and paths outside the catalog (the traefik role's upstreams and
dashboard host), checked by the catalog's own grammar: a Traefik rule's `...` string has no
escape for a backtick, so what keeps a value from ending it is refusing it first."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_fields import (
    host_name_problem,
    url_path_problem,
)


def traefik_route_errors(host, variable, paths=None, paths_variable=None):
    if paths is not None and (isinstance(paths, (str, bytes)) or not isinstance(paths, (list, tuple))):
        raise AnsibleFilterError("traefik_route_errors expects paths as a list, got %r" % (paths,))
    errors = []
    if not isinstance(host, str) or not host:
        errors.append("%s must be a host name, got %r" % (variable, host))
    else:
        problem = host_name_problem(host)
        if problem:
            errors.append("%s '%s' is no host name: %s" % (variable, host, problem))
    for index, path in enumerate(paths or []):
        where = "%s[%d]" % (paths_variable or variable + ".paths", index)
        if not isinstance(path, str) or not path.startswith("/"):
            errors.append("%s must be a path starting with '/', got %r" % (where, path))
            continue
        problem = url_path_problem(path)
        if problem:
            errors.append("%s '%s' is no route path: %s" % (where, path, problem))
    return errors


class FilterModule(object):
    def filters(self):
        return {"traefik_route_errors": traefik_route_errors}
