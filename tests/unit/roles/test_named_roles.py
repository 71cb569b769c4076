# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The named roles (auth, l2p, payment, videovault, vllm_rag) as files: each is one include of
app_service's `service` entry point with its catalog service's name and its own two variables,
whose argument spec accepts what app_service accepts and nothing else.

What they deploy on a real engine: molecule/named_roles."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
ROLES = {"auth": "auth", "l2p": "l2p", "payment": "payment", "videovault": "videovault", "vllm_rag": "vllm-rag"}


def load(*path):
    with open(os.path.join(REPO_ROOT, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def spec(role, entry="main"):
    return load("roles", role, "meta", "argument_specs.yml")["argument_specs"][entry]["options"]


def validator_spec(options):
    """The argument spec without the documentation keys, as ansible's validator takes it."""
    return {name: {k: v for k, v in option.items() if k in ("type", "choices", "required", "default", "elements")}
            for name, option in options.items()}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_named_role_is_one_include_of_app_service_with_its_service(role, base_services):
    tasks = load("roles", role, "tasks", "main.yml")
    assert len(tasks) == 1
    include = tasks[0]["ansible.builtin.include_role"]
    assert include == {"name": "korczewski.platform.app_service", "tasks_from": "service"}
    assert tasks[0]["vars"] == {
        "app_service_name": ROLES[role],
        "app_service_environment": "{{ %s_environment }}" % role,
        "app_service_state": "{{ %s_state }}" % role,
    }
    assert ROLES[role] in base_services


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_named_role_has_no_dependencies_and_documents_every_default(role):
    assert load("roles", role, "meta", "main.yml")["dependencies"] == []
    defaults = load("roles", role, "defaults", "main.yml")
    options = spec(role)
    assert set(defaults) == set(options) == {"%s_environment" % role, "%s_state" % role}
    for name, value in defaults.items():
        assert options[name]["default"] == value, name
        assert options[name]["description"], name


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_named_role_accepts_what_app_service_accepts(role):
    options = spec(role)
    service = spec("app_service", "service")
    assert options["%s_environment" % role]["choices"] == service["app_service_environment"]["choices"]
    assert options["%s_state" % role]["choices"] == service["app_service_state"]["choices"]
    assert service["app_service_state"]["choices"] == spec("app_service")["app_service_state"]["choices"]


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("values, errors", [
    ({"environment": "all", "state": "present"}, False),
    ({"environment": "development", "state": "absent"}, False),
    ({"environment": "staging", "state": "present"}, True),
    ({"environment": "production", "state": "started"}, True),
])
def test_the_argument_spec_validates(role, values, errors):
    options = validator_spec(spec(role))
    result = ArgumentSpecValidator(options).validate({"%s_%s" % (role, key): value for key, value in values.items()})
    assert bool(result.error_messages) == errors, result.error_messages


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_readme_shows_the_role_by_its_fully_qualified_name(role):
    with open(os.path.join(REPO_ROOT, "roles", role, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "- role: korczewski.platform.%s\n" % role in readme
    assert "%s_environment:" % role in readme and "%s_state:" % role in readme
