# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/import_env.yml by a real ansible-playbook and ansible-vault, on a copy of the local inventory.

A central .env with the quirks of a hand-written one goes into an encrypted vault beside the
inventory and a plain settings file; the platform_secret lookup and the catalog then read them.
No value may appear in any output; a differing vault value stops the import with nothing written.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
BIN = os.path.dirname(sys.executable)

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "ansible-playbook")), reason="needs ansible-playbook")

PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nZZpemZZlineTwo\n-----END PRIVATE KEY-----"
ENV_TEXT = """# The central .env of a hand-run installation
export POSTGRES_PASSWORD='ZZpgZZ#not-a-comment'
AUTH_DB_PASSWORD="ZZauthdbZZ\\$dollar"   # trailing comment
AUTH_DATABASE_URL=postgresql://auth_user:${AUTH_DB_PASSWORD}@shared-postgres:5432/auth_db
JWT_SECRET="ZZjwtZZ with spaces"
SMTP_HOST=mail.example.test
SMTP_PORT=587
SMTP_PASSWORD='ZZsmtpZZ'
STRIPE_WEBHOOK_KEY="%s"
UNMAPPED_THING=ZZunmappedZZ
""" % PEM.replace("\n", "\n")
VALUES = ["ZZpgZZ", "ZZauthdbZZ", "ZZjwtZZ", "ZZsmtpZZ", "ZZpemZZ", "ZZunmappedZZ"]


@pytest.fixture
def inventory(tmp_path):
    inv = tmp_path / "inventory"
    shutil.copytree(REPO_ROOT / "inventory" / "local", inv, symlinks=False)
    (tmp_path / "vault-pass").write_text("correct horse battery staple\n")
    (tmp_path / "central.env").write_text(ENV_TEXT)
    return inv


def _run(tool, inv, *args, password=True):
    command = [os.path.join(BIN, tool), "-i", str(inv)] + list(args)
    if password:
        command += ["--vault-password-file", str(inv.parent / "vault-pass")]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def _import(inv, *extra, password=True):
    return _run("ansible-playbook", inv, "playbooks/import_env.yml",
                "-e", "platform_env_file=%s" % (inv.parent / "central.env"), *extra, password=password)


def _changed(run):
    recap = [line for line in run.stdout.splitlines() if "unreachable=" in line]
    return int(recap[-1].split("changed=")[1].split()[0])


def _vault_text(inv):
    return subprocess.run([os.path.join(BIN, "ansible-vault"), "view", str(inv / "group_vars/all/vault.yml"),
                           "--vault-password-file", str(inv.parent / "vault-pass")],
                          capture_output=True, text=True, check=True).stdout


def _assert_no_value_in(run):
    for value in VALUES:
        assert value not in run.stdout + run.stderr, value


def test_check_mode_names_the_keys_and_writes_nothing(inventory):
    run = _import(inventory, "--check")
    assert run.returncode == 0, run.stdout + run.stderr
    _assert_no_value_in(run)
    assert "JWT_SECRET" in run.stdout and "auth/JWT_SECRET" in run.stdout
    assert not (inventory / "group_vars/all/vault.yml").exists()
    assert not (inventory / "group_vars/all/imported_settings.yml").exists()


def test_the_import_writes_an_encrypted_private_vault_and_the_settings_then_changes_nothing(inventory):
    run = _import(inventory)
    assert run.returncode == 0, run.stdout + run.stderr
    _assert_no_value_in(run)
    assert _changed(run) == 1
    assert "UNMAPPED_THING" in run.stdout + run.stderr                  # reported by name
    assert "payment/STRIPE_WEBHOOK_KEY" in run.stdout + run.stderr      # no catalog entry reads it
    vault = inventory / "group_vars/all/vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    secrets = yaml.safe_load(_vault_text(inventory))["vault_platform_secrets"]
    assert secrets["shared-postgres"] == {"postgres": "ZZpgZZ#not-a-comment", "auth_db": "ZZauthdbZZ$dollar"}
    assert secrets["auth"] == {"JWT_SECRET": "ZZjwtZZ with spaces", "SMTP_PASSWORD": "ZZsmtpZZ"}
    assert secrets["payment"] == {"STRIPE_WEBHOOK_KEY": PEM}
    settings = yaml.safe_load((inventory / "group_vars/all/imported_settings.yml").read_text())
    assert settings == {"platform_imported_settings": {"auth": {"SMTP_HOST": "mail.example.test", "SMTP_PORT": "587"}}}

    again = _import(inventory)
    assert again.returncode == 0 and _changed(again) == 0, again.stdout + again.stderr

    # The inventory now reads both: the lookup takes the vault's value, the catalog the settings.
    lookup = _run("ansible", inventory, "localhost", "-m", "ansible.builtin.debug", "-a",
                  "msg={{ lookup('korczewski.platform.platform_secret', 'auth/JWT_SECRET') == 'ZZjwtZZ with spaces' }}")
    assert 'msg: true' in lookup.stdout, lookup.stdout + lookup.stderr
    env = _run("ansible", inventory, "localhost", "-m", "ansible.builtin.debug", "-a",
               "msg={{ (platform_services | korczewski.platform.catalog_settings(platform_imported_settings))"
               ".auth.environments.production.env.SMTP_HOST }}")
    assert 'msg: mail.example.test' in env.stdout, env.stdout + env.stderr


def test_a_differing_vault_value_stops_the_import_until_overwrite_is_asked_for(inventory):
    assert _import(inventory).returncode == 0
    vault = inventory / "group_vars/all/vault.yml"
    before = vault.read_bytes()
    env = inventory.parent / "central.env"
    env.write_text(env.read_text().replace("ZZjwtZZ with spaces", "ZZjwtZZ rotated"))
    run = _import(inventory)
    assert run.returncode != 0
    assert "JWT_SECRET: auth/JWT_SECRET already holds another value" in run.stdout + run.stderr
    _assert_no_value_in(run)
    assert vault.read_bytes() == before
    run = _import(inventory, "-e", "platform_env_overwrite=true")
    assert run.returncode == 0, run.stdout + run.stderr
    assert yaml.safe_load(_vault_text(inventory))["vault_platform_secrets"]["auth"]["JWT_SECRET"] == "ZZjwtZZ rotated"


def test_without_a_vault_password_it_refuses_and_writes_nothing(inventory):
    run = _import(inventory, password=False)
    assert run.returncode != 0
    assert "--vault-password-file FILE or --ask-vault-pass" in run.stdout + run.stderr
    assert not (inventory / "group_vars/all/vault.yml").exists()
    assert not (inventory / "group_vars/all/imported_settings.yml").exists()


def test_a_broken_env_file_is_named_by_line_without_its_value(inventory):
    env = inventory.parent / "central.env"
    env.write_text('GOOD=1\nBROKEN="ZZpgZZ never closed\n')
    run = _import(inventory)
    assert run.returncode != 0
    assert "central.env: line 2" in run.stdout + run.stderr
    _assert_no_value_in(run)
