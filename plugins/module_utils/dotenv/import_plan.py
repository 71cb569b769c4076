# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each value of a hand-run installation's central .env goes: the vault or a setting.

A map sends a .env key to a secret path of the collection (``auth/JWT_SECRET``, the path the
platform_secret lookup reads) or to ``setting:<service>/<NAME>``, a plain environment variable of
that service's production containers. A key may hold one ``*`` (``SMTP_*``, ``*_DATABASE_URL``)
and its target then takes the matched part in its own ``*``; an exact key wins over a pattern, a
longer pattern over a shorter one; a key mapped to null or ``ignore`` is left out on purpose.

The plan is computed before anything is written: conflicts (a vault value that differs, two keys
with one target) stop the import with every key named, never a value. Private to
korczewski.platform; standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import SECRET_SEGMENT_RE

SETTING_PREFIX = "setting:"
IGNORE = "ignore"
_KEY = re.compile(r"^(?=[^*]*\*?[^*]*$)[A-Za-z_*][A-Za-z0-9_.*-]*$")


class ImportMapError(ValueError):
    """Bad map entries, each named by its key."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass
class ImportPlan:
    vault: dict
    settings: dict
    imported: list = field(default_factory=list)
    unmapped: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    unconsumed: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    vault_changes: list = field(default_factory=list)
    setting_changes: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.vault_changes or self.setting_changes)


def _check_target(key, target):
    """The error for one map entry's target, or None."""
    if target is None or target == IGNORE:
        return None
    if not isinstance(target, str):
        return "platform_env_import_map.%s: expected a secret path, setting:<service>/<NAME> or null" % key
    body = target[len(SETTING_PREFIX):] if target.startswith(SETTING_PREFIX) else target
    parts = body.split("/")
    wild = "*" in key
    if target.startswith(SETTING_PREFIX) and len(parts) != 2:
        return "platform_env_import_map.%s: a setting is setting:<service>/<NAME>, not %r" % (key, target)
    if len(parts) < 2:
        return "platform_env_import_map.%s: a secret path has at least two parts (<service>/<NAME>), not %r" % (key, target)
    stars = target.count("*")
    if stars > (1 if wild else 0) or (stars and "*" not in parts[-1]):
        return "platform_env_import_map.%s: only a key with a * may put one * into its target's last part" % key
    if not all(SECRET_SEGMENT_RE.match(part.replace("*", "x")) for part in parts):
        return "platform_env_import_map.%s: %r has an empty part or a character outside A-Z a-z 0-9 _ . -" % (key, target)
    return None


def compile_map(mapping):
    """The map as (exact, patterns): patterns longest first, so the most specific matches."""
    if not isinstance(mapping, dict):
        raise ImportMapError(["platform_env_import_map: expected a mapping of .env keys to targets"])
    errors = []
    exact, patterns = {}, []
    for key, target in mapping.items():
        if not isinstance(key, str) or not _KEY.match(key):
            errors.append("platform_env_import_map: %r is not a .env key (or a key with one *)" % (key,))
            continue
        error = _check_target(key, target)
        if error:
            errors.append(error)
        elif "*" in key:
            prefix, suffix = key.split("*")
            patterns.append((prefix, suffix, target))
        else:
            exact[key] = target
    if errors:
        raise ImportMapError(errors)
    patterns.sort(key=lambda item: len(item[0]) + len(item[1]), reverse=True)
    return exact, patterns


def target_of(key, compiled):
    """The target of a .env key: a path, setting:..., IGNORE, or None when nothing maps it."""
    exact, patterns = compiled
    if key in exact:
        return IGNORE if exact[key] is None else exact[key]
    for prefix, suffix, target in patterns:
        if len(key) > len(prefix) + len(suffix) and key.startswith(prefix) and key.endswith(suffix):
            if target is None or target == IGNORE:
                return IGNORE
            return target.replace("*", key[len(prefix):len(key) - len(suffix)])
    return None


def _get(tree, parts):
    for part in parts:
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _put(tree, parts, value):
    for part in parts[:-1]:
        if not isinstance(tree.get(part), dict):
            tree[part] = {}
        tree = tree[part]
    tree[parts[-1]] = value


def _copy(tree):
    return {key: _copy(value) if isinstance(value, dict) else value for key, value in (tree or {}).items()}


def plan_import(values, mapping, vault=None, settings=None, consumed=(), services=(), overwrite=False):
    """The import of values (a parsed .env) by mapping into copies of vault and settings.

    vault is the vault's tree (vault_platform_secrets), settings the settings file's
    ({service: {NAME: value}}); consumed the secret paths the catalog reads; services the catalog's
    service names. Nothing here writes: the caller writes plan.vault / plan.settings if changed.
    """
    compiled = compile_map(mapping)
    plan = ImportPlan(vault=_copy(vault), settings=_copy(settings))
    claimed = {}
    services = set(services)
    consumed = set(consumed)
    for key in values:
        target = target_of(key, compiled)
        if target is None:
            plan.unmapped.append(key)
            continue
        if target == IGNORE:
            plan.ignored.append(key)
            continue
        if target in claimed and values[claimed[target]] != values[key]:
            plan.conflicts.append("%s and %s both map to %s with different values" % (claimed[target], key, target))
            continue
        claimed[target] = key
        value = values[key]
        if target.startswith(SETTING_PREFIX):
            service, name = target[len(SETTING_PREFIX):].split("/")
            if services and service not in services:
                plan.conflicts.append("%s maps to %s, but the catalog has no service %s" % (key, target, service))
                continue
            tree, parts, changes = plan.settings, [service, name], plan.setting_changes
        else:
            tree, parts, changes = plan.vault, target.split("/"), plan.vault_changes
            if target not in consumed:
                plan.unconsumed.append(target)
        current = _get(tree, parts)
        if isinstance(current, dict):
            plan.conflicts.append("%s maps to %s, which holds other secrets below it" % (key, target))
            continue
        if current is not None and str(current) != value and not overwrite:
            plan.conflicts.append("%s: %s already holds another value (-e platform_env_overwrite=true replaces it)"
                                  % (key, target))
            continue
        plan.imported.append({"key": key, "to": target})
        if current is None or str(current) != value:
            _put(tree, parts, value)
            changes.append(target)
    return plan
