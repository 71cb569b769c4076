# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The env_import action: the .env is read on the host, the vault is written on the controller.

It runs on the controller because the vault lives beside the inventory there and only the
controller holds the vault password. No value enters the task's arguments or its result.
"""

from __future__ import annotations

import base64
import os

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import is_encrypted
from ansible.plugins.action import ActionBase

from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.import_plan import ImportMapError, plan_import
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.record import atomic_write
from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.parse import DotenvError, parse_dotenv
from ansible_collections.korczewski.platform.plugins.modules.env_import import ARGUMENT_SPEC

VAULT_VARIABLE = "vault_platform_secrets"
SETTINGS_VARIABLE = "platform_imported_settings"
VAULT_MODE = 0o600
SETTINGS_MODE = 0o644


def _plain(tree):
    """Vault data as plain dicts and strings (the loader returns its own string types)."""
    if isinstance(tree, dict):
        return {str(key): _plain(value) for key, value in tree.items()}
    return None if tree is None else to_text(tree)


def _write(path, data, mode):
    """Replace path atomically, so a full disk or a killed run never leaves half a file."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write(path, data, mode)


def _dump(header, variable, tree):
    body = yaml.safe_dump({variable: tree}, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return to_bytes(header + body)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def _read_env(self, path, task_vars):
        answer = self._execute_module(module_name="ansible.builtin.slurp", module_args={"src": path},
                                      task_vars=task_vars)
        if answer.get("failed"):
            raise AnsibleError("cannot read platform_env_file %s: %s" % (path, answer.get("msg", "unknown error")))
        return to_text(base64.b64decode(answer["content"]), errors="surrogate_or_strict")

    def _vault(self):
        # The run's vault secrets are the loader's; ansible-core offers no public getter.
        return self._loader._vault  # pylint: disable=protected-access

    def _load_vault(self, path):
        """The vault's tree, whether the file was encrypted; {} without a file."""
        if not os.path.exists(path):
            return {}, True
        with open(path, "rb") as stream:
            raw = stream.read()
        encrypted = is_encrypted(raw)
        if encrypted:
            if not self._vault().secrets:
                raise AnsibleError("%s is encrypted: run with --vault-password-file FILE or --ask-vault-pass" % path)
            raw = self._vault().decrypt(raw)
        data = yaml.safe_load(to_text(raw)) or {}
        if not isinstance(data, dict) or not isinstance(data.get(VAULT_VARIABLE, {}), dict):
            raise AnsibleError("%s: expected a mapping with %s, a mapping of secret paths" % (path, VAULT_VARIABLE))
        return _plain(data.get(VAULT_VARIABLE) or {}), encrypted

    @staticmethod
    def _load_settings(path):
        if not os.path.exists(path):
            return {}
        with open(path, "rb") as stream:
            data = yaml.safe_load(stream) or {}
        if not isinstance(data, dict) or not isinstance(data.get(SETTINGS_VARIABLE, {}), dict):
            raise AnsibleError("%s: expected a mapping with %s: {service: {NAME: value}}" % (path, SETTINGS_VARIABLE))
        return _plain(data.get(SETTINGS_VARIABLE) or {})

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            text = self._read_env(args["env_file"], task_vars)
            parsed = parse_dotenv(text)
            vault, encrypted = self._load_vault(args["vault_file"])
            plan = plan_import(parsed.values, args["map"], vault=vault, settings=self._load_settings(args["settings_file"]),
                               consumed=args["consumed"], services=args["services"], overwrite=args["overwrite"])
        except DotenvError as exc:
            return dict(result, failed=True, msg="%s: %s" % (args["env_file"], exc))
        except ImportMapError as exc:
            return dict(result, failed=True, msg="platform_env_import_map is invalid: " + "; ".join(exc.errors))
        except AnsibleError as exc:
            return dict(result, failed=True, msg=to_text(exc))

        warnings = ["%s: %s" % (args["env_file"], warning) for warning in parsed.warnings]
        if plan.unmapped:
            warnings.append("not imported, no map entry (map them, or to null to silence this): " + ", ".join(plan.unmapped))
        if plan.unconsumed:
            warnings.append("imported, but no catalog entry reads them: " + ", ".join(plan.unconsumed))
        if not encrypted:
            warnings.append("%s was not encrypted; the import writes it encrypted" % args["vault_file"])
        result.update(imported=plan.imported, unmapped=plan.unmapped, ignored=plan.ignored, unconsumed=plan.unconsumed,
                      vault_changes=sorted(plan.vault_changes), setting_changes=sorted(plan.setting_changes),
                      warnings=result.get("warnings", []) + warnings)
        if plan.conflicts:
            return dict(result, failed=True, changed=False,
                        msg="nothing imported: " + "; ".join(plan.conflicts))
        rewrite_vault = bool(plan.vault_changes) or (not encrypted and os.path.exists(args["vault_file"]))
        result["changed"] = rewrite_vault or bool(plan.setting_changes)
        if self._task.diff and result["changed"]:
            result["diff"] = [dict(before_header=path, after_header=path, before="", after="".join(c + "\n" for c in changes))
                              for path, changes in ((args["vault_file"], plan.vault_changes),
                                                    (args["settings_file"], plan.setting_changes)) if changes]
        if self._task.check_mode or not result["changed"]:
            return result
        if rewrite_vault:
            if not self._vault().secrets:
                return dict(result, failed=True, changed=False,
                            msg="import_env writes an encrypted vault: run with --vault-password-file FILE or --ask-vault-pass")
            plain = _dump("# Written by korczewski.platform's import_env.yml; edit with ansible-vault edit.\n",
                          VAULT_VARIABLE, plan.vault)
            _write(args["vault_file"], self._vault().encrypt(plain), VAULT_MODE)
        if plan.setting_changes:
            _write(args["settings_file"],
                   _dump("# Plain settings imported by korczewski.platform's import_env.yml (no secrets here).\n",
                         SETTINGS_VARIABLE, plan.settings), SETTINGS_MODE)
        return result
