# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The closing lines of playbooks/health_check.yml (site.yml's last play) say where the control
dashboard's login is, and never the password itself.

Run by a real ansible-playbook on the local inventory with --tags dashboard; the probe may fail
(the platform need not run: the CA is left out, one attempt), the line is printed either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = str(Path(__file__).resolve().parents[3])
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK), reason="needs ansible-playbook")


def health(credentials, **extra):
    extra_vars = {"platform_environment": "production", "traefik_local_ca_cert": "", "health_retries": 0,
                  "health_timeout": 1}
    extra_vars.update(extra)
    env = dict(os.environ, PLATFORM_CREDENTIALS_DIR=str(credentials))
    return subprocess.run([PLAYBOOK, "-i", "inventory/local", "playbooks/health_check.yml", "--tags", "dashboard",
                           "-e", json.dumps(extra_vars)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          check=False)


def login_line(run):
    """The message of the login task, as the callback quotes and wraps it, unquoted."""
    text = " ".join(run.stdout.split()).replace("''", "'")
    assert text.count("Control dashboard:") == 1, run.stdout + run.stderr
    return text.split("Control dashboard:", 1)[1].split("TASK [", 1)[0]


def test_it_names_the_generated_password_file_and_not_the_password(tmp_path):
    password = tmp_path / "dashboard" / "password"
    password.parent.mkdir()
    password.write_text("ZZsecretZZ\n")
    run = health(tmp_path)
    line = login_line(run)
    assert line.startswith(" https://dashboard.platform.localhost:18443/ - log in as admin with ")
    assert "the generated password in %s" % password in line
    assert "ZZsecretZZ" not in run.stdout + run.stderr


def test_without_a_generated_one_it_points_at_the_vault_hash(tmp_path):
    line = login_line(health(tmp_path, dashboard_user="ops"))
    assert "log in as ops" in line
    assert "the password whose argon2 hash is the vault's dashboard/password_hash" in line
    # Saying where it is generated nothing.
    assert not (tmp_path / "dashboard").exists()


def test_a_vault_password_is_named_by_its_vault_path(tmp_path):
    run = health(tmp_path, platform_secret_values={"dashboard": {"password": "ZZvaultZZ"}})
    assert "the vault's dashboard/password" in login_line(run)
    assert "ZZvaultZZ" not in run.stdout + run.stderr
