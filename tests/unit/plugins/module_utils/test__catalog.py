# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog model: lookups, vertical order, env files.

Validation lives in test__catalog_validation.py (with the bad-input corpus), derivations (labels,
compose projects, databases, health targets) in test__catalog_derive.py.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    Catalog,
    CatalogError,
    env_file_text,
    parse_env_file,
)

# ---------------------------------------------------------------- lookups


def test_service_and_environment_lookups(catalog):
    assert catalog.service("l2p").database == "l2p_db"
    assert catalog.environment("l2p", "development").method == "compose_profile"
    # A documented alias of compose: the unit is its own compose project, with no profile.
    assert catalog.environment("l2p", "development").runs_containers
    assert catalog.unit("l2p", "development")["runs_containers"] is True
    assert catalog.unit("auth", "development")["runs_containers"] is False
    assert catalog.environment("auth", "development").script == "dev"
    assert catalog.environment("payment", "development").script == "dev"


def test_unknown_service_names_the_known_ones(catalog):
    with pytest.raises(CatalogError) as raised:
        catalog.service("billing")
    assert raised.value.errors == ["unknown service 'billing' (known: auth, dashboard, l2p, payment, "
                                   "shared-postgres, traefik, videovault, vllm-rag)"]


def test_missing_environment_names_the_existing_ones(catalog):
    with pytest.raises(CatalogError) as raised:
        catalog.environment("traefik", "development")
    assert raised.value.errors == ["service 'traefik' has no environment 'development' (it has: production)"]


def test_providers(catalog):
    assert catalog.provider("proxy").name == "traefik"
    assert catalog.provider("database").name == "shared-postgres"
    assert catalog.provider("cache") is None


def test_hostname_short_and_fully_qualified(catalog, mutate):
    assert catalog.hostname(catalog.environment("auth", "production")) == "auth.korczewski.de"
    assert catalog.hostname(catalog.environment("auth", "development")) is None
    fqdn = Catalog.load(mutate([{"op": "set", "path": "auth.environments.production.hostname",
                                 "value": "login.korczewski.de"}]), "korczewski.de")
    assert fqdn.hostname(fqdn.environment("auth", "production")) == "login.korczewski.de"


def test_project_is_one_unit_per_service_and_environment(catalog):
    assert catalog.environment("videovault", "development").project == "videovault-development"
    projects = [u["project"] for u in catalog.units()]
    assert len(projects) == len(set(projects))


def test_database_user_derivation(catalog, mutate):
    assert catalog.service("auth").database_user == "auth_user"
    assert catalog.service("videovault").database_user == "videovault_user"
    assert catalog.service("dashboard").database_user is None
    media = Catalog.load(mutate([{"op": "set", "path": "videovault.database", "value": "media"}]), "korczewski.de")
    assert media.service("videovault").database_user == "media_user"


def test_catalog_warnings_are_kept(catalog, mutate):
    # The shipped catalog declares its unprefixed names: no warning a user learns to ignore.
    assert not any("prefixed" in w for w in catalog.warnings)
    path = "payment.environments.production.containers.0.unprefixed"
    undeclared = Catalog.load(mutate([{"op": "set", "path": path, "value": False}]), "korczewski.de")
    assert any("'web' is not prefixed by its service 'payment'" in w for w in undeclared.warnings)
    pointless = Catalog.load(mutate([{"op": "set", "path": "auth.environments.production.containers.0.unprefixed",
                                      "value": True}]), "korczewski.de")
    assert any("auth.environments.production.containers[0].unprefixed: container 'auth-service' is prefixed" in w
               for w in pointless.warnings)


# ---------------------------------------------------------------- vertical order


def test_ordered_services_follow_the_layers(catalog):
    assert catalog.ordered() == ["shared-postgres", "traefik", "auth", "l2p", "payment", "videovault", "vllm-rag",
                                 "dashboard"]


def test_ordered_reverse_stops_control_first_and_infrastructure_last(catalog):
    assert catalog.ordered(reverse=True) == ["dashboard", "vllm-rag", "videovault", "payment", "l2p", "auth",
                                             "traefik", "shared-postgres"]


def test_ordered_filters(catalog):
    assert catalog.ordered(layer="infrastructure") == ["shared-postgres", "traefik"]
    assert catalog.ordered(layer=["ai_ml", "control"]) == ["vllm-rag", "dashboard"]
    # traefik has no development environment.
    assert "traefik" not in catalog.ordered(environment="development")
    assert catalog.ordered(tags=["l2p"]) == ["l2p"]
    assert catalog.ordered(tags=["applications"]) == ["auth", "l2p", "payment", "videovault"]


def test_ordered_by_custom_tag(mutate):
    catalog = Catalog.load(mutate([{"op": "set", "path": "payment.tags", "value": ["money"]},
                                   {"op": "set", "path": "auth.tags", "value": ["money", "login"]}]),
                           "korczewski.de")
    assert catalog.ordered(tags="money") == ["auth", "payment"]


def test_units_order_infrastructure_applications_ai_ml_control(catalog):
    units = catalog.units()
    assert [(u["service"], u["environment"]) for u in units] == [
        ("shared-postgres", "production"), ("shared-postgres", "development"),
        ("traefik", "production"),
        ("auth", "production"), ("auth", "development"),
        ("l2p", "production"), ("l2p", "development"),
        ("payment", "production"), ("payment", "development"),
        ("videovault", "production"), ("videovault", "development"),
        ("vllm-rag", "production"), ("vllm-rag", "development"),
        ("dashboard", "production"), ("dashboard", "development"),
    ]
    layers = [u["layer"] for u in units]
    assert layers == sorted(layers, key=["infrastructure", "applications", "ai_ml", "control"].index)
    assert units[3] == {"service": "auth", "environment": "production", "layer": "applications",
                        "method": "compose", "runs_containers": True, "project": "auth-production"}


def test_units_reverse_is_the_stop_order(catalog):
    assert catalog.units(reverse=True) == list(reversed(catalog.units()))
    assert catalog.units(reverse=True)[-1]["service"] == "shared-postgres"
    assert catalog.units(reverse=True)[0] == {"service": "dashboard", "environment": "development",
                                              "layer": "control", "method": "npm", "runs_containers": False,
                                              "project": "dashboard-development"}


def test_units_filtered(catalog):
    production = catalog.units(environment="production")
    assert [u["service"] for u in production] == catalog.ordered()
    assert {u["environment"] for u in production} == {"production"}
    assert [u["project"] for u in catalog.units(layer="ai_ml")] == ["vllm-rag-production", "vllm-rag-development"]
    assert [u["method"] for u in catalog.units(tags=["videovault"])] == ["compose_service", "compose_service"]
    assert catalog.units(environment="development", layer="infrastructure") == [
        {"service": "shared-postgres", "environment": "development", "layer": "infrastructure",
         "method": "compose", "runs_containers": True, "project": "shared-postgres-development"}]


# ---------------------------------------------------------------- env files

# Values that break naive quoting, shared with the integration test where docker compose reads them.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "env_values.json"),
          encoding="utf-8") as values_stream:
    TRICKY_VALUES = json.load(values_stream)


def test_env_file_text_quotes_every_value():
    text = env_file_text({"B": "plain", "A": "it's", "C": 5, "D": True, "E": False})
    assert text == "A=\"it's\"\nB='plain'\nC='5'\nD='true'\nE='false'\n"


def test_env_file_text_escapes_double_quoted_values():
    assert env_file_text({"X": "it's \"$HOME\" \\"}) == 'X="it\'s \\"\\$HOME\\" \\\\"\n'


def test_env_file_text_single_quotes_keep_dollars_literal():
    assert env_file_text({"X": "$HOME"}) == "X='$HOME'\n"


def test_env_file_text_never_ends_a_single_quoted_value_with_a_backslash():
    # Compose would read "\'" as an escaped quote and run on into the next line.
    assert env_file_text({"X": "a\\"}) == 'X="a\\\\"\n'


def test_a_multi_line_value_such_as_a_pem_key_goes_through_an_env_file():
    pem = "-----BEGIN PRIVATE KEY-----\nMIIE$x \"q\" a\\nb\n-----END PRIVATE KEY-----"
    text = env_file_text({"KEY": pem})
    assert text.count("\n") == 1, "one line in the file"
    assert parse_env_file(text) == {"KEY": pem}


@pytest.mark.parametrize("variables,message", [
    ({"1BAD": "x"}, "'1BAD' is not a valid environment variable name"),
    ({"BAD-NAME": "x"}, "'BAD-NAME' is not a valid environment variable name"),
    ({"CR": "line\rvalue"}, "CR: a carriage return is not supported in an env file"),
    ({1: "x", "A": "y"}, "'1' is not a valid environment variable name"),
])
def test_env_file_text_rejects(variables, message):
    with pytest.raises(CatalogError) as raised:
        env_file_text(variables)
    assert raised.value.errors == [message]


def test_env_file_round_trip():
    assert parse_env_file(env_file_text(TRICKY_VALUES)) == TRICKY_VALUES


@pytest.mark.parametrize("key,value", sorted(TRICKY_VALUES.items()))
def test_env_file_round_trip_one_value(key, value):
    assert parse_env_file(env_file_text({key: value})) == {key: value}


def test_parse_env_file_reads_a_hand_written_dotenv():
    text = "\n".join([
        "# the seed's central .env",
        "",
        "export JWT_SECRET=abc123",
        "POSTGRES_USER = postgres",
        "UNQUOTED=value # trailing comment",
        "HASH_NO_SPACE=a#b",
        "SINGLE='kept $literal # too'",
        'DOUBLE="line\\nbreak \\"quoted\\" \\$dollar \\\\ back"',
        "EMPTY=",
        "   INDENTED=yes   ",
    ]) + "\n"
    assert parse_env_file(text) == {
        "JWT_SECRET": "abc123",
        "POSTGRES_USER": "postgres",
        "UNQUOTED": "value",
        "HASH_NO_SPACE": "a#b",
        "SINGLE": "kept $literal # too",
        "DOUBLE": "line\nbreak \"quoted\" $dollar \\ back",
        "EMPTY": "",
        "INDENTED": "yes",
    }


def test_parse_env_file_keeps_an_escaped_backslash_before_n():
    assert parse_env_file('X="it\'s a\\\\nb"\n') == {"X": "it's a\\nb"}


@pytest.mark.parametrize("line,message", [
    ("NOVALUE", "expected KEY=value"),
    ("1ABC=x", "no valid variable name before = (letters, digits, _ . -; not a digit first)"),
    ("BAD KEY=x", "no valid variable name before = (letters, digits, _ . -; not a digit first)"),
    ("=value", "no valid variable name before = (letters, digits, _ . -; not a digit first)"),
])
def test_parse_env_file_rejects_lines_that_are_not_assignments_without_showing_a_value(line, message):
    with pytest.raises(CatalogError) as raised:
        parse_env_file("OK=1\n" + line + "\n")
    assert raised.value.errors == ["line 2: " + message]
