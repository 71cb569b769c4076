# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/health_check.yml, run by a real ansible-playbook with tags that name no catalog unit.

After a deploy (site.yml validated the catalog: platform_catalog_validated) whose tags name only a
play, such as swarm, there is nothing to probe and the play ends quietly; asked for alone with such
tags it fails naming them. Neither case reaches an endpoint, so no platform needs to run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = str(Path(__file__).resolve().parents[3])
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK), reason="needs ansible-playbook")


def health(*extra):
    return subprocess.run([PLAYBOOK, "-i", "inventory/local", "playbooks/health_check.yml", "--tags", "swarm"]
                          + list(extra), cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_a_deploy_whose_tags_select_no_unit_ends_without_probing():
    run = health("-e", '{"platform_catalog_validated": true}')
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Probe every endpoint" not in run.stdout


def test_asked_for_alone_it_names_the_tags_that_match_nothing():
    run = health()
    assert run.returncode != 0
    assert "no endpoint matches platform_environment 'all' and the tags ['swarm']" in run.stdout + run.stderr
