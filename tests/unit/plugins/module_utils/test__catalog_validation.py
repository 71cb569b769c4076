# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of the service catalog: the bad-input corpus, the production inventory, robustness."""

from __future__ import annotations

import collections
import copy
import os

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    Catalog,
    CatalogError,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
CORPUS_FILE = os.path.join(HERE, "corpus", "bad_catalogs.yml")
BASE_DOMAIN = "korczewski.de"

with open(CORPUS_FILE, encoding="utf-8") as corpus_stream:
    CORPUS = yaml.safe_load(corpus_stream)


def _case_input(case, mutate):
    services = case["services"] if "services" in case else mutate(case.get("mutations", []))
    domain = case["domain"] if "domain" in case else BASE_DOMAIN
    return services, domain


def test_corpus_is_large_and_well_formed():
    assert len(CORPUS) >= 40
    names = [case["name"] for case in CORPUS]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CORPUS:
        assert set(case) <= {"name", "mutations", "services", "domain", "host", "errors"}, case["name"]
        assert case["errors"], "%s: a bad catalog must expect at least one error" % case["name"]
        assert set(case) & {"mutations", "services", "domain", "host"}, case["name"]


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_bad_catalog_reports_exactly_the_expected_errors(case, mutate):
    services, domain = _case_input(case, mutate)
    catalog, errors, warnings = Catalog.check(services, domain, **case.get("host", {}))
    assert catalog is None
    # Every expected error, nothing else, each exactly once.
    assert collections.Counter(errors) == collections.Counter(case["errors"]), "\n".join(
        ["got:"] + sorted(errors) + ["expected:"] + sorted(case["errors"]))


@pytest.mark.parametrize("case", CORPUS[:5] + CORPUS[-1:], ids=lambda case: case["name"])
def test_load_raises_with_every_error(case, mutate):
    services, domain = _case_input(case, mutate)
    with pytest.raises(CatalogError) as raised:
        Catalog.load(services, domain, **case.get("host", {}))
    assert sorted(raised.value.errors) == sorted(case["errors"])
    message = str(raised.value)
    assert message.startswith("platform_services is invalid:\n")
    for error in case["errors"]:
        assert "\n- " + error in message


def test_validation_does_not_modify_its_input(mutate):
    services = mutate([{"op": "set", "path": "auth.environments.development.port", "value": "5500"}])
    before = copy.deepcopy(services)
    Catalog.check(services, BASE_DOMAIN)
    assert services == before


def test_base_catalog_is_valid(base_services, base_domain):
    catalog, errors, warnings = Catalog.check(base_services, base_domain)
    assert errors == []
    assert catalog is not None
    assert sorted(catalog.services) == sorted(base_services)


def test_container_names_not_prefixed_by_service_are_warnings_unless_declared(base_services, base_domain):
    catalog, errors, warnings = Catalog.check(base_services, base_domain)
    assert (errors, warnings) == ([], [])
    base_services["payment"]["environments"]["production"]["containers"][0].pop("unprefixed")
    catalog, errors, warnings = Catalog.check(base_services, base_domain)
    assert errors == []
    assert warnings == ["platform_services.payment.environments.production.containers[0].name: container 'web' is not "
                        "prefixed by its service 'payment'; it is identified by its labels (unprefixed: true declares "
                        "the name as intended)"]


def test_a_profile_is_accepted_but_said_to_be_unneeded(mutate):
    services = mutate([{"op": "set", "path": "l2p.environments.development.profile", "value": "development"}])
    catalog, errors, warnings = Catalog.check(services, BASE_DOMAIN)
    assert errors == []
    assert warnings == ["platform_services.l2p.environments.development.profile: is not needed: every (service, "
                        "environment) is its own compose project, so no compose profile is rendered; remove it"]
    assert "profiles" not in catalog.compose_project("l2p", "development")["services"]["l2p-frontend-dev"]


def test_port_given_as_digit_string_is_accepted(break_catalog):
    services = break_catalog("set", "auth.environments.development.port", "5500")
    catalog = Catalog.load(services, BASE_DOMAIN)
    assert catalog.environment("auth", "development").port == 5500


def test_development_may_opt_in_to_the_production_database(mutate):
    services = mutate([{"op": "set", "path": "auth.environments.development.use_production_database",
                        "value": True}])
    catalog = Catalog.load(services, BASE_DOMAIN)
    assert catalog.database_server(catalog.environment("auth", "development")) == "shared-postgres"


def test_explicit_production_server_with_opt_in_is_valid(mutate):
    services = mutate([
        {"op": "set", "path": "auth.environments.development.use_production_database", "value": True},
        {"op": "set", "path": "auth.environments.development.database_server", "value": "shared-postgres"},
    ])
    assert Catalog.check(services, BASE_DOMAIN)[1] == []


def test_development_publishing_on_ipv6_loopback_is_valid(mutate):
    services = mutate([{"op": "set", "path": "l2p.environments.development.containers.0.publish",
                        "value": [{"host": 3000, "address": "::1"}]}])
    assert Catalog.check(services, BASE_DOMAIN)[1] == []


def test_infrastructure_may_publish_on_every_interface(base_services):
    # Traefik's 80/443 on 0.0.0.0 are the one public entry; the base catalog has them.
    assert base_services["traefik"]["environments"]["production"]["containers"][0]["publish"][0]["address"] \
        == "0.0.0.0"
    assert Catalog.check(base_services, BASE_DOMAIN)[1] == []


def test_containers_of_one_environment_may_share_a_volume(mutate):
    services = mutate([{"op": "set", "path": "vllm-rag.environments.production.containers.4.volumes",
                        "value": [{"name": "qdrant-rag-data", "path": "/import"}]}])
    assert Catalog.check(services, BASE_DOMAIN)[1] == []


def test_health_as_mapping_is_accepted(mutate):
    services = mutate([{"op": "set", "path": "auth.environments.production.containers.0.health",
                        "value": {"path": "/ready"}}])
    catalog = Catalog.load(services, BASE_DOMAIN)
    assert catalog.environment("auth", "production").containers[0].health_path == "/ready"


def test_fully_qualified_host_name_inside_the_domain_is_valid(mutate):
    services = mutate([{"op": "set", "path": "auth.environments.production.hostname",
                        "value": "login.auth.korczewski.de"}])
    catalog = Catalog.load(services, BASE_DOMAIN)
    assert catalog.hostname(catalog.environment("auth", "production")) == "login.auth.korczewski.de"


# ---------------------------------------------------------------- robustness: never crash

_ODD_VALUES = [None, 0, -1, 70000, True, "", "x", "5500", 1.5, [], [None], ["x"], [{}], {}, {"a": 1}]


def _paths(node, prefix=()):
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def test_any_odd_value_anywhere_gives_errors_never_an_exception(base_services, production_host):
    """Replace every node of the base catalog with each odd value: check() must never raise."""
    checked = 0
    for path in _paths(base_services):
        for value in _ODD_VALUES:
            services = copy.deepcopy(base_services)
            node = services
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = copy.deepcopy(value)
            catalog, errors, warnings = Catalog.check(services, BASE_DOMAIN, **production_host)
            assert (catalog is None) == bool(errors), path
            assert all(isinstance(e, str) and ": " in e for e in errors), path
            if catalog is not None:
                # A catalog that validates must also derive without surprises.
                for unit in catalog.units():
                    if unit["method"] != "npm":
                        catalog.compose_project(unit["service"], unit["environment"])
                    catalog.database_settings(unit["service"], unit["environment"], password="pw")
                catalog.health_targets()
            checked += 1
    assert checked > 3000


@pytest.mark.parametrize("domain", [None, 0, True, "", "x", ["korczewski.de"], {"a": 1}, "a..b", "-a.de"])
def test_odd_domains_give_one_error(base_services, domain):
    catalog, errors, warnings = Catalog.check(base_services, domain)
    assert catalog is None
    assert len(errors) == 1 and errors[0].startswith("platform_domain: ")


# ---------------------------------------------------------------- the production inventory


def test_production_inventory_catalog_validates_clean(production_services):
    """The catalog the tests start from, as the production inventory writes it, before any test
    variation (through Ansible itself: tests/integration/plugins/module_utils/test__catalog_inventories.py)."""
    catalog, errors, warnings = Catalog.check(production_services, BASE_DOMAIN)
    assert errors == []
    assert catalog.container_names(environment="production") == [
        "shared-postgres", "traefik", "auth-service", "l2p-app", "l2p-api", "web", "videovault",
        "open-webui-rag", "vllm-rag", "qdrant-rag", "infinity-embeddings", "postgres-rag", "rag-ingest-engine",
        "vllm-dashboard"]
    assert catalog.environment("traefik", "production").containers[0].publish[0].host == 80
