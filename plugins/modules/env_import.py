#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: env_import
author: korczewski.platform developers (@korczewski)
short_description: Import a central .env file into the inventory's encrypted vault and a settings file
version_added: 0.1.0
description:
  - Reads a dotenv file on the target host (the central C(.env) of a hand-run installation) and sends
    each key where O(map) says - a secret path of the collection (the path the
    P(korczewski.platform.platform_secret#lookup) lookup reads), written into the ansible-vault encrypted
    O(vault_file) under C(vault_platform_secrets), or C(setting:<service>/<NAME>), a plain environment
    variable of that service's production containers, written into O(settings_file) under
    C(platform_imported_settings).
  - Never prints or returns a value, only key names and secret paths.
  - Computes the whole import first; a vault or settings value that differs from the C(.env) stops it
    with every key named, and nothing is written, unless O(overwrite).
  - Writes a file only when its content changes, atomically, the vault with mode 0600 and encrypted
    with the run's vault password (C(--vault-password-file) or C(--ask-vault-pass)).
  - This is an action plugin; the file on the host is only read.
extends_documentation_fragment:
  - korczewski.platform.attributes
options:
  env_file:
    description: The dotenv file on the target host.
    type: path
    required: true
  map:
    description:
      - C(.env) key to target. A target is a secret path such as C(shared-postgres/auth_db), or
        C(setting:<service>/<NAME>), or V(null)/V(ignore) to leave the key out on purpose.
      - A key may hold one C(*) (C(SMTP_*), C(*_DATABASE_URL)); its target's last part may then hold one C(*), replaced by
        the part of the key it matched. An exact key wins over a pattern, a longer pattern over a shorter one.
    type: dict
    required: true
  vault_file:
    description: The ansible-vault file on the controller that holds C(vault_platform_secrets).
    type: path
    required: true
  settings_file:
    description: The plain vars file on the controller that holds C(platform_imported_settings).
    type: path
    required: true
  overwrite:
    description: Replace vault and settings values that differ from the C(.env).
    type: bool
    default: false
  consumed:
    description: The secret paths the catalog reads; an imported secret outside them is reported.
    type: list
    elements: str
    default: []
  services:
    description: The catalog's service names; a setting of another service is refused.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    details: Reports the key names it would write and writes nothing.
  diff_mode:
    support: full
    details: The secret paths and setting names that would change, never their values.
"""

EXAMPLES = r"""
- name: Import the central .env
  korczewski.platform.env_import:
    env_file: /home/patrick/projects/.env
    map:
      JWT_SECRET: auth/JWT_SECRET
      AUTH_DB_PASSWORD: shared-postgres/auth_db
      SMTP_PASSWORD: auth/SMTP_PASSWORD
      SMTP_*: setting:auth/SMTP_*
      COMPOSE_PROJECT_NAME: null
    vault_file: "{{ inventory_dir }}/group_vars/all/vault.yml"
    settings_file: "{{ inventory_dir }}/group_vars/all/imported_settings.yml"
  run_once: true
"""

RETURN = r"""
imported:
  description: Each imported key and where it went.
  returned: always
  type: list
  elements: dict
  sample: [{key: JWT_SECRET, to: auth/JWT_SECRET}]
unmapped:
  description: Keys of the file that the map does not name.
  returned: always
  type: list
  elements: str
ignored:
  description: Keys the map leaves out on purpose.
  returned: always
  type: list
  elements: str
unconsumed:
  description: Imported secret paths that no catalog entry reads.
  returned: always
  type: list
  elements: str
vault_changes:
  description: Secret paths written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
setting_changes:
  description: Settings (setting:<service>/<NAME>) written (or that would be).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


# The action plugin validates its arguments with this spec too.
ARGUMENT_SPEC = dict(
    env_file=dict(type="path", required=True),
    map=dict(type="dict", required=True),
    vault_file=dict(type="path", required=True),
    settings_file=dict(type="path", required=True),
    overwrite=dict(type="bool", default=False),
    consumed=dict(type="list", elements="str", default=[]),
    services=dict(type="list", elements="str", default=[]),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="korczewski.platform.env_import runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
