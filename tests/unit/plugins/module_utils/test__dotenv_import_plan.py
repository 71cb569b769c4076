# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each .env value goes: the map, its patterns, and the conflicts that stop an import."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.import_plan import (
    IGNORE,
    ImportMapError,
    compile_map,
    plan_import,
    target_of,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO_ROOT, "playbooks", "vars", "env_import_map.yml"), encoding="utf-8") as _stream:
    DEFAULT_MAP = yaml.safe_load(_stream)["platform_env_import_default_map"]


@pytest.mark.parametrize("key,target", [
    ("JWT_SECRET", "auth/JWT_SECRET"),
    ("SMTP_PASSWORD", "auth/SMTP_PASSWORD"),           # exact beats the SMTP_* pattern
    ("SMTP_HOST", "setting:auth/SMTP_HOST"),            # pattern, the rest of the key in its *
    ("STRIPE_WEBHOOK_SECRET", "payment/STRIPE_WEBHOOK_SECRET"),
    ("STRIPE_PUBLISHABLE_KEY", "setting:payment/STRIPE_PUBLISHABLE_KEY"),
    ("AUTH_DATABASE_URL", IGNORE),                      # a null pattern leaves it out on purpose
    ("COMPOSE_PROJECT_NAME", IGNORE),
    ("HUGGING_FACE_HUB_TOKEN", "vllm-rag/HF_TOKEN"),
    ("SOMETHING_ELSE", None),
])
def test_the_default_map_sends_the_usual_names_where_the_catalog_reads_them(key, target):
    assert target_of(key, compile_map(DEFAULT_MAP)) == target


def test_a_longer_pattern_wins_over_a_shorter_one():
    compiled = compile_map({"A_*": "svc/A_*", "A_B_*": "setting:svc/X_*"})
    assert target_of("A_B_C", compiled) == "setting:svc/X_C"
    assert target_of("A_C", compiled) == "svc/A_C"


@pytest.mark.parametrize("mapping,needle", [
    ({"KEY": "nopath"}, "KEY: a secret path has at least two parts"),
    ({"KEY": "setting:auth"}, "KEY: a setting is setting:<service>/<NAME>"),
    ({"KEY": "setting:a/b/c"}, "KEY: a setting is setting:<service>/<NAME>"),
    ({"KEY": "auth//X"}, "KEY: 'auth//X' has an empty part"),
    ({"KEY": "auth/X*"}, "KEY: only a key with a *"),
    ({"K_*": "a*/X"}, "K_*: only a key with a *"),
    ({"KEY": 5}, "KEY: expected a secret path"),
    ({"1KEY": "a/b"}, "'1KEY' is not a .env key"),
    ({"A*B*": "a/b"}, "'A*B*' is not a .env key (or a key with one *)"),
])
def test_a_bad_map_entry_is_named(mapping, needle):
    with pytest.raises(ImportMapError) as error:
        compile_map(mapping)
    assert needle in str(error.value)


MAP = {"JWT_SECRET": "auth/JWT_SECRET", "AUTH_DB_PASSWORD": "shared-postgres/auth_db",
       "SMTP_HOST": "setting:auth/SMTP_HOST", "NOISE": None, "EXTRA": "auth/EXTRA"}
VALUES = {"JWT_SECRET": "s3cret-jwt", "AUTH_DB_PASSWORD": "pw-auth", "SMTP_HOST": "mail.local",
          "NOISE": "x", "UNKNOWN": "y", "EXTRA": "z"}
CONSUMED = ["auth/JWT_SECRET", "shared-postgres/auth_db"]


def test_an_import_into_nothing_writes_every_mapped_value_and_reports_the_rest():
    plan = plan_import(VALUES, MAP, consumed=CONSUMED, services=["auth"])
    assert plan.vault == {"auth": {"JWT_SECRET": "s3cret-jwt", "EXTRA": "z"}, "shared-postgres": {"auth_db": "pw-auth"}}
    assert plan.settings == {"auth": {"SMTP_HOST": "mail.local"}}
    assert plan.unmapped == ["UNKNOWN"]
    assert plan.ignored == ["NOISE"]
    assert plan.unconsumed == ["auth/EXTRA"]
    assert sorted(plan.vault_changes) == ["auth/EXTRA", "auth/JWT_SECRET", "shared-postgres/auth_db"]
    assert plan.setting_changes == ["setting:auth/SMTP_HOST"]
    assert plan.changed and not plan.conflicts


def test_a_second_import_of_the_same_file_changes_nothing():
    first = plan_import(VALUES, MAP, consumed=CONSUMED, services=["auth"])
    again = plan_import(VALUES, MAP, vault=first.vault, settings=first.settings, consumed=CONSUMED, services=["auth"])
    assert not again.changed
    assert again.vault == first.vault and len(again.imported) == 4


def test_values_already_in_the_vault_stay_and_the_vault_input_is_not_modified():
    vault = {"auth": {"OTHER": "kept"}, "dashboard": {"password_hash": "h"}}
    plan = plan_import(VALUES, MAP, vault=vault, services=["auth"])
    assert plan.vault["auth"]["OTHER"] == "kept" and plan.vault["dashboard"] == {"password_hash": "h"}
    assert vault == {"auth": {"OTHER": "kept"}, "dashboard": {"password_hash": "h"}}


def test_a_differing_vault_value_is_a_conflict_naming_the_key_never_the_value():
    plan = plan_import(VALUES, MAP, vault={"auth": {"JWT_SECRET": "older-value"}}, services=["auth"])
    assert plan.conflicts == ["JWT_SECRET: auth/JWT_SECRET already holds another value "
                              "(-e platform_env_overwrite=true replaces it)"]
    assert "older-value" not in str(plan.conflicts) and "s3cret-jwt" not in str(plan.conflicts)


def test_overwrite_replaces_a_differing_value():
    plan = plan_import(VALUES, MAP, vault={"auth": {"JWT_SECRET": "older-value"}}, services=["auth"], overwrite=True)
    assert plan.vault["auth"]["JWT_SECRET"] == "s3cret-jwt" and "auth/JWT_SECRET" in plan.vault_changes
    assert not plan.conflicts


def test_two_keys_with_one_target_must_agree():
    mapping = {"HF_TOKEN": "vllm-rag/HF_TOKEN", "HUGGING_FACE_HUB_TOKEN": "vllm-rag/HF_TOKEN"}
    assert not plan_import({"HF_TOKEN": "a", "HUGGING_FACE_HUB_TOKEN": "a"}, mapping).conflicts
    plan = plan_import({"HF_TOKEN": "a", "HUGGING_FACE_HUB_TOKEN": "b"}, mapping)
    assert plan.conflicts == ["HF_TOKEN and HUGGING_FACE_HUB_TOKEN both map to vllm-rag/HF_TOKEN with different values"]


def test_a_setting_of_a_service_outside_the_catalog_is_a_conflict():
    plan = plan_import({"SMTP_HOST": "m"}, {"SMTP_HOST": "setting:mailer/SMTP_HOST"}, services=["auth"])
    assert plan.conflicts == ["SMTP_HOST maps to setting:mailer/SMTP_HOST, but the catalog has no service mailer"]


def test_a_target_above_other_secrets_is_a_conflict():
    plan = plan_import({"AUTH": "v"}, {"AUTH": "shared-postgres/auth"}, vault={"shared-postgres": {"auth": {"x": "y"}}})
    assert plan.conflicts == ["AUTH maps to shared-postgres/auth, which holds other secrets below it"]
