# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: platform_secret
author: korczewski.platform developers (@korczewski)
short_description: A secret from the vault, or generated once and persisted on the controller
version_added: 0.1.0
description:
  - Looks each term up as a C(/)-separated path in O(_terms) inside the variable
    C(platform_secret_values), else C(vault_platform_secrets), the variable of the inventory's
    ansible-vault file C(group_vars/all/vault.yml) (see C(playbooks/import_env.yml)).
  - When the vault has no value, generates a random password once, stores it with mode 0600 under
    C(platform_credentials_dir) on the controller and returns the same value on every later run.
  - This is the single rule for every secret of the platform, so the roles that create a database
    password and the roles that hand it to an application always agree.
options:
  _terms:
    description: Secret paths such as C(shared-postgres/auth_db) or C(auth/JWT_SECRET).
    required: true
    type: list
    elements: str
  length:
    description: Length of a generated secret.
    type: int
    default: 32
  credentials_dir:
    description:
      - Where generated secrets are kept on the controller.
      - Defaults to the variable C(platform_credentials_dir), else
        C(~/.config/korczewski-platform/credentials/<inventory_hostname>).
    type: path
  locate:
    description:
      - Return where each secret is kept instead of its value, generating nothing. C(vault) when
        the vault holds it, else the path of the file on the controller that holds (or would hold)
        the generated value.
      - For messages that tell a user where to find a password without showing it.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Password of auth_user on shared-postgres
  ansible.builtin.set_fact:
    auth_password: "{{ lookup('korczewski.platform.platform_secret', 'shared-postgres/auth_db') }}"
  no_log: true

- name: Say where the dashboard's password is, without showing it
  ansible.builtin.debug:
    msg: "{{ lookup('korczewski.platform.platform_secret', 'dashboard/password', locate=true) }}"
"""

RETURN = r"""
_raw:
  description: One secret per term (with O(locate), where it is kept).
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.plugins.loader import lookup_loader

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import SECRET_SEGMENT_RE as _SEGMENT


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        # Every inventory reads its vault (group_vars/all/vault.yml) when it has one.
        values = variables.get("platform_secret_values")
        if values is None:
            values = variables.get("vault_platform_secrets")
        values = self._templar.template(values or {})
        base = self.get_option("credentials_dir") or variables.get("platform_credentials_dir")
        if base:
            base = self._templar.template(base)
        else:
            base = os.path.join(os.path.expanduser("~"), ".config", "korczewski-platform", "credentials",
                                str(variables.get("inventory_hostname", "localhost")))
        results = []
        for term in terms:
            parts = str(term).split("/")
            if not all(_SEGMENT.match(p) and p not in (".", "..") for p in parts):
                raise AnsibleLookupError("platform_secret: '%s' is not a valid secret path "
                                         "(segments of letters, digits, '_', '.', '-')" % term)
            value = values
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None and not isinstance(value, (dict, list)):
                results.append("vault" if self.get_option("locate") else str(value))
                continue
            path = os.path.join(base, *parts)
            if self.get_option("locate"):
                results.append(path)
                continue
            # The password lookup persists the value, creating the file 0600 on first use.
            password = lookup_loader.get("ansible.builtin.password", loader=self._loader, templar=self._templar)
            results.extend(password.run(["%s length=%d chars=ascii_letters,digits" % (path, self.get_option("length"))],
                                        variables=variables))
        return results
