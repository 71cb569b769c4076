# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_projects entries for many units, from the production inventory's catalog."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.compose.specs import (
    fill_secret,
    unit_project_specs,
    unit_secret_paths,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import CatalogError, parse_env_file


def fake_secrets(paths):
    return dict((path, "pw-%d-'$x" % index) for index, path in enumerate(paths))


def test_every_unit_gets_a_project_with_its_secrets_file_and_layer_order(catalog):
    units = catalog.units(layer=["applications", "ai_ml", "control"])
    paths = unit_secret_paths(catalog, units)
    assert paths == sorted(set(paths))
    assert "shared-postgres/auth_db" in paths
    specs = unit_project_specs(catalog, units, fake_secrets(paths), "/srv/projects")
    by_name = dict((s["name"], s) for s in specs)
    with_containers = [u["project"] for u in units if catalog.unit(u["service"], u["environment"])["containers"]]
    assert [s["name"] for s in specs] == with_containers
    auth = by_name["auth-production"]
    assert auth["project_dir"] == "/srv/projects/auth-production"
    assert auth["order"] == 1
    assert auth["definition"]["services"]["auth-service"]["env_file"] == ["secrets.env"]
    (secrets_file,) = auth["files"]
    assert secrets_file["mode"] == "0600" and secrets_file["secret"]
    env = parse_env_file(secrets_file["content"])
    assert env["DATABASE_PASSWORD"] == fake_secrets(paths)["shared-postgres/auth_db"]
    assert "pw-" not in str(auth["definition"])
    orders = [s["order"] for s in specs]
    assert orders == sorted(orders) and orders[-1] == 3


def test_npm_units_have_no_project(catalog):
    npm = [u for u in catalog.units() if u["method"] == "npm"]
    assert npm
    assert unit_project_specs(catalog, npm, fake_secrets(unit_secret_paths(catalog, npm)), "/p") == []


def test_a_unit_without_secrets_has_its_old_secrets_file_removed(catalog):
    units = [{"service": "vllm-rag", "environment": "development"}]
    assert unit_secret_paths(catalog, units) == []
    (spec,) = unit_project_specs(catalog, units, {}, "/p")
    assert not any("env_file" in service for service in spec["definition"]["services"].values())
    assert spec["files"] == [{"path": "secrets.env", "state": "absent"}]


def test_a_missing_secret_is_named(catalog):
    units = [{"service": "auth", "environment": "production"}]
    with pytest.raises(CatalogError) as info:
        unit_project_specs(catalog, units, {}, "/p")
    assert "shared-postgres/auth_db" in str(info.value)


def test_one_secret_under_two_names_and_embedded_in_a_url(catalog):
    units = [{"service": "vllm-rag", "environment": "production"}]
    paths = unit_secret_paths(catalog, units)
    assert paths == ["vllm-rag/HF_TOKEN", "vllm-rag/POSTGRES_PASSWORD", "vllm-rag/QDRANT_API_KEY",
                     "vllm-rag/VLLM_API_KEY", "vllm-rag/WEBUI_ADMIN_PASSWORD", "vllm-rag/WEBUI_SECRET_KEY"]
    secrets = dict((path, "s3cr/t@%s" % path.split("/")[1]) for path in paths)
    (spec,) = unit_project_specs(catalog, units, secrets, "/p")
    password_file, key_file, secrets_file = spec["files"]
    assert secrets_file["mode"] == password_file["mode"] == key_file["mode"] == "0600"
    assert secrets_file["secret"] is password_file["secret"] is key_file["secret"] is True
    assert (key_file["path"], key_file["content"]) == ("secrets/WEBUI_SECRET_KEY", "s3cr/t@WEBUI_SECRET_KEY")
    env = parse_env_file(secrets_file["content"])
    assert env["VLLM_API_KEY"] == env["OPENAI_API_KEY"] == "s3cr/t@VLLM_API_KEY"
    assert env["QDRANT__SERVICE__API_KEY"] == env["QDRANT_API_KEY"] == "s3cr/t@QDRANT_API_KEY"
    # The password, percent-encoded inside the URL, is the one postgres-rag is initialised with,
    # which reads it from a file (secret_env file: true) and from no environment.
    assert (password_file["path"], password_file["content"]) == ("secrets/POSTGRES_PASSWORD", "s3cr/t@POSTGRES_PASSWORD")
    assert "POSTGRES_PASSWORD" not in env
    postgres = spec["definition"]["services"]["postgres-rag"]
    assert postgres["secrets"] == ["POSTGRES_PASSWORD"] and "env_file" not in postgres
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/POSTGRES_PASSWORD"
    assert spec["definition"]["secrets"] == {"POSTGRES_PASSWORD": {"file": "./secrets/POSTGRES_PASSWORD"},
                                             "WEBUI_SECRET_KEY": {"file": "./secrets/WEBUI_SECRET_KEY"}}
    assert spec["definition"]["services"]["open-webui-rag"]["secrets"] == ["WEBUI_SECRET_KEY"]
    assert env["DATABASE_URL"] == "postgresql://rag:s3cr%2Ft%40POSTGRES_PASSWORD@postgres-rag:5432/openwebui"
    # No secret value and no secret-bearing variable in the compose file itself.
    assert "s3cr" not in str(spec["definition"])
    for service in spec["definition"]["services"].values():
        assert not set(service["environment"]) & set(env)
    # The model load's grace period sets the wait, not the default minimum.
    assert spec["wait_timeout"] == catalog.wait_timeout("vllm-rag", "production") > 180


def test_fill_secret():
    assert fill_secret("Bearer {secret}", "a b") == "Bearer a b"
    assert fill_secret("u:{secret|urlencode}@h", "p@ss:/%") == "u:p%40ss%3A%2F%25@h"
