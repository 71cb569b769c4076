# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adopted data: where a taken-over installation keeps what a catalog volume holds.

playbooks/adopt.yml records, per catalog volume name, the hand-run container's data it found at
that mount point in platform_adopted_volumes ({volume name: {external: <volume>} or
{host_path: <directory>}}), in a vars file of the inventory, so every later run mounts it in place.
It joins the raw catalog's volume entries before the check, like the imported settings. An entry
never replaces a source the catalog entry declares itself differently.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import CatalogError

ADOPTED_VARIABLE = "platform_adopted_volumes"
SOURCE_KEYS = ("external", "host_path")


def _volume_entries(services):
    """(path, entry) of every container volume entry of the raw catalog, skipping what the catalog
    check will name as malformed."""
    for sname, svc in services.items():
        envs = svc.get("environments") if isinstance(svc, dict) else None
        for ename, env in envs.items() if isinstance(envs, dict) else ():
            containers = env.get("containers") if isinstance(env, dict) else None
            for i, cont in enumerate(containers if isinstance(containers, list) else ()):
                vols = cont.get("volumes") if isinstance(cont, dict) else None
                for j, vol in enumerate(vols if isinstance(vols, list) else ()):
                    if isinstance(vol, dict):
                        yield ("platform_services.%s.environments.%s.containers[%d].volumes[%d]"
                               % (sname, ename, i, j), vol)


def _source(name, value):
    path = "%s.%s" % (ADOPTED_VARIABLE, name)
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in SOURCE_KEYS:
        raise CatalogError(["%s: expected {external: <volume name>} or {host_path: <directory>}" % path])
    return next(iter(value.items()))


def apply_adopted(services, adopted):
    """services with each adopted volume's source set on its catalog entries; services untouched."""
    if not adopted:
        return services
    if not isinstance(adopted, dict):
        raise CatalogError(["%s: expected a mapping of catalog volume names to their source" % ADOPTED_VARIABLE])
    if not isinstance(services, dict):
        return services
    sources = dict((name, _source(name, value)) for name, value in adopted.items())
    errors = []
    found = set()
    replaced = {}
    for path, vol in _volume_entries(services):
        name = vol.get("name")
        if name not in sources:
            continue
        found.add(name)
        key, value = sources[name]
        for other in SOURCE_KEYS:
            if vol.get(other) is not None and (other, vol.get(other)) != (key, value):
                errors.append("%s.%s conflicts with %s.%s, which the catalog entry declares: remove one"
                              % (ADOPTED_VARIABLE, name, path, other))
        replaced[id(vol)] = dict(vol, **{key: value})
    for name in sorted(set(sources) - found):
        errors.append("%s.%s: no container of platform_services has a volume of that name" % (ADOPTED_VARIABLE, name))
    if errors:
        raise CatalogError(errors)
    return _rebuild(services, replaced)


def _rebuild(value, replaced):
    """A copy of the raw catalog with the replaced volume entries (by identity); the rest shared."""
    if id(value) in replaced:
        return replaced[id(value)]
    if isinstance(value, dict):
        return dict((k, _rebuild(v, replaced)) for k, v in value.items())
    if isinstance(value, list):
        return [_rebuild(v, replaced) for v in value]
    return value
