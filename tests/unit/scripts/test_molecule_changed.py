# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/molecule_changed.py: which scenarios a change chooses (choose), what a scenario's files
name (references), and what the repository itself declares (discover)."""

from __future__ import annotations

import importlib.util
import os

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SPEC = importlib.util.spec_from_file_location("molecule_changed", os.path.join(REPO_ROOT, "scripts", "molecule_changed.py"))
molecule_changed = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(molecule_changed)

SCENARIOS = ["docker_engine", "traefik", "shared_postgres", "app_service", "app_fifth_service", "named_roles"]
REPO_PATHS = {
    "traefik": {"inventory/local"},
    "app_service": {"inventory/local", "playbooks/site.yml"},
    "app_fifth_service": {"tests/integration/inventories/fifth_service"},
    "named_roles": {"inventory/local", "playbooks/plays/traefik.yml", "playbooks/validate.yml"},
}
USES = {"app_fifth_service": {"app_service"}, "named_roles": {"app_service"}}
NAMED = {"auth", "l2p", "payment", "videovault", "vllm_rag"}


def chosen(*paths):
    return [name for name, dummy in molecule_changed.choose(list(paths), SCENARIOS, REPO_PATHS, USES, NAMED)]


def test_a_role_chooses_its_own_scenario():
    assert chosen("roles/traefik/tasks/main.yml") == ["traefik"]
    assert chosen("roles/shared_postgres/templates/pg_hba.conf.j2") == ["shared_postgres"]


@pytest.mark.parametrize("role", sorted(NAMED))
def test_a_named_role_chooses_the_named_roles_scenario(role):
    assert chosen("roles/%s/tasks/main.yml" % role) == ["named_roles"]


def test_app_service_chooses_its_scenario_the_ones_built_on_it_and_the_named_roles():
    assert chosen("roles/app_service/tasks/service.yml") == ["app_service", "app_fifth_service", "named_roles"]


def test_a_scenario_chooses_itself_and_the_scenarios_using_its_files():
    assert chosen("molecule/traefik/tests/test_default.py") == ["traefik"]
    assert chosen("molecule/app_service/destroy.yml") == ["app_service", "app_fifth_service", "named_roles"]


@pytest.mark.parametrize("path", [".config/molecule/config.yml", "molecule/_shared/helpers.py"])
def test_shared_molecule_files_choose_every_scenario(path):
    assert chosen(path) == SCENARIOS


def test_a_path_a_scenario_names_chooses_it():
    assert chosen("tests/integration/inventories/fifth_service/group_vars/all.yml") == ["app_fifth_service"]
    assert chosen("inventory/local/hosts.yml") == ["traefik", "app_service", "named_roles"]
    assert chosen("playbooks/plays/traefik.yml") == ["app_service", "named_roles"]


def test_collection_code_chooses_the_whole_platform():
    assert chosen("plugins/modules/compose_projects.py") == ["app_service"]
    assert chosen("site.yml", "plugins/filter/catalog.py") == ["app_service"]


@pytest.mark.parametrize("path", ["README.md", "roles/auth/README.md", "tests/unit/conftest.py", "dashboard/app.py",
                                  "benchmarks/converge.sh", "roles/traefik"])
def test_documentation_and_untested_files_choose_nothing(path):
    assert chosen(path) == []


def test_the_order_is_the_run_order_and_each_scenario_comes_once():
    assert chosen("roles/app_service/tasks/main.yml", "roles/docker_engine/tasks/main.yml",
                  "roles/app_service/defaults/main.yml") == ["docker_engine", "app_service", "app_fifth_service", "named_roles"]


def test_the_reasons_name_the_files():
    result = dict(molecule_changed.choose(["roles/auth/tasks/main.yml", "roles/l2p/defaults/main.yml"],
                                          SCENARIOS, REPO_PATHS, USES, NAMED))
    assert result["named_roles"] == {"the named role auth": ["roles/auth/tasks/main.yml"],
                                     "the named role l2p": ["roles/l2p/defaults/main.yml"]}


def test_references_in_scenario_files():
    text = """
        - --inventory=${MOLECULE_PROJECT_DIRECTORY}/tests/integration/inventories/fifth_service
      converge: ../app_service/converge.yml
      ansible.builtin.import_playbook: ../../playbooks/plays/traefik.yml
      sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
      path: ../unknown/x.yml
    """
    paths, others = molecule_changed.references(text, SCENARIOS)
    assert paths == {"tests/integration/inventories/fifth_service", "playbooks/plays/traefik.yml"}
    assert others == {"app_service"}


def test_discover_reads_the_repository():
    scenarios, repo_paths, uses, named = molecule_changed.discover(REPO_ROOT, ["traefik", "docker_engine"])
    assert scenarios[:2] == ["traefik", "docker_engine"]
    assert set(scenarios) >= set(SCENARIOS)
    assert named == NAMED
    assert "app_service" in uses["app_fifth_service"] and "app_service" in uses["named_roles"]
    assert "inventory/local" in repo_paths["named_roles"]
    assert "tests/integration/inventories/fifth_service" in repo_paths["app_fifth_service"]
