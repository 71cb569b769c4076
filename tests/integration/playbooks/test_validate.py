# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/validate.yml by a real ansible-playbook: bad input stops the run at its first play.

Each case would pass a catalog filter's unit test and still deploy if the playbook skipped its
assert (as it once did: a block's condition, re-evaluated after the first task, skipped the rest).
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


def validate(*extra, playbook="playbooks/validate.yml"):
    return subprocess.run([PLAYBOOK, "-i", "inventory/local", playbook] + list(extra),
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("extra,message", [
    (["-e", "platform_domain=bad_domain!"], "platform_domain: 'bad_domain!' is not a valid DNS domain"),
    (["-e", "platform_environment=staging"], "platform_environment must be production, development or all, not staging"),
    (["-e", "platform_engine=swarm", "-e", "platform_environment=all"], "with platform_engine swarm it must be production"),
    (["-e", json.dumps({"platform_imported_settings": {"mailer": {"A": "1"}}})],
     "platform_imported_settings.mailer: platform_services has no service mailer with a production environment"),
])
def test_bad_input_stops_validation_naming_the_setting(extra, message):
    run = validate(*extra)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr


def test_site_yml_stops_before_its_second_play_on_a_catalog_error():
    run = validate("--check", "-e", "platform_domain=bad_domain!", playbook="site.yml")
    assert run.returncode != 0
    assert "Form the Docker Swarm" not in run.stdout and "PLAY [Check the single-environment rule on the host]" not in run.stdout


def test_a_valid_catalog_passes():
    run = validate()
    assert run.returncode == 0, run.stdout + run.stderr
