# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An argon2id hash with a given salt, so a generated password's hash is the same on every run."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

try:
    from argon2.low_level import Type, hash_secret
    HAS_ARGON2 = True
except ImportError:
    HAS_ARGON2 = False

# The cost the dashboard's own hash-password uses (OWASP's argon2id minimum: 19 MiB, 2 passes).
TIME_COST = 2
MEMORY_COST = 19456
PARALLELISM = 1
HASH_LEN = 32


def argon2_hash(password, salt):
    if not HAS_ARGON2:
        raise AnsibleFilterError("argon2_hash needs the argon2-cffi package on the controller")
    if not isinstance(password, str) or not password:
        raise AnsibleFilterError("argon2_hash expects a non-empty password string")
    if not isinstance(salt, str) or len(salt.encode("utf-8")) < 8:
        raise AnsibleFilterError("argon2_hash expects a salt of at least 8 bytes")
    return hash_secret(password.encode("utf-8"), salt.encode("utf-8"), time_cost=TIME_COST, memory_cost=MEMORY_COST,
                       parallelism=PARALLELISM, hash_len=HASH_LEN, type=Type.ID).decode("ascii")


class FilterModule(object):
    def filters(self):
        return {"argon2_hash": argon2_hash}
