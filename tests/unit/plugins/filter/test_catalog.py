# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog filters: each one directly, their error path and their docs.

Through a real Ansible run: tests/integration/plugins/filter/test_catalog_in_ansible.py.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.korczewski.platform.plugins.filter.catalog import FilterModule
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, parse_env_file

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FILTER_DIR = os.path.join(REPO_ROOT, "plugins", "filter")
DOMAIN = "korczewski.de"
FILTERS = FilterModule().filters()


def f(name):
    return FILTERS[name]


@pytest.fixture
def broken(mutate):
    """A catalog with two errors: a dev port collision and an unknown layer."""
    return mutate([{"op": "set", "path": "payment.environments.development.port", "value": 5500},
                   {"op": "set", "path": "dashboard.layer", "value": "ui"}])


BROKEN_ERRORS = [
    "platform_services.dashboard.layer: unknown layer 'ui' (expected one of: infrastructure, applications, ai_ml, "
    "control)",
    "platform_services.payment.environments.development.port: port 5500 is also used by auth.development "
    "(platform_services.auth.environments.development.port)",
]

# Every filter that needs a valid catalog, with arguments after (services, domain).
CATALOG_FILTER_CALLS = {
    "catalog_units": (),
    "catalog_unit": ("auth", "production"),
    "catalog_provider": ("database",),
    "identity_labels": ("auth", "production"),
    "traefik_labels": ("auth", "production", "auth-service"),
    "service_databases": (),
    "database_settings": ("auth", "production"),
    "compose_project": ("auth", "production"),
    "health_targets": (),
    "platform_networks": (),
    "secret_paths": ([{"service": "auth", "environment": "production"}],),
    "compose_specs": ([{"service": "auth", "environment": "production"}], {}, "/p"),
    "local_servers": ([{"service": "auth", "environment": "development"}],),
    "dev_secret_envs": ([{"service": "auth", "environment": "development"}], {}),
}


def test_every_filter_is_covered_here():
    assert set(FILTERS) == set(CATALOG_FILTER_CALLS) | {"catalog_errors", "catalog_warnings", "env_file",
                                                        "catalog_resolve", "catalog_select", "catalog_settings"}


def test_catalog_settings_is_the_model_s_merge_as_a_filter(base_services):
    merged = f("catalog_settings")(base_services, {"auth": {"SMTP_HOST": "mail.local"}})
    assert merged["auth"]["environments"]["production"]["env"] == {"SMTP_HOST": "mail.local"}
    with pytest.raises(AnsibleFilterError, match="platform_imported_settings.mailer: platform_services has no service mailer"):
        f("catalog_settings")(base_services, {"mailer": {"A": "1"}})


# ---------------------------------------------------------------- the catalog of one run


def test_catalog_resolve_is_every_unit_with_what_plays_read(base_services):
    resolved = f("catalog_resolve")(base_services, DOMAIN, state_dir="/srv/state")
    assert resolved["valid"] and resolved["errors"] == []
    assert resolved["warnings"] == f("catalog_warnings")(base_services, DOMAIN)
    assert resolved["environments"] == ["production", "development"]
    assert resolved["layers"] == ["infrastructure", "applications", "ai_ml", "control"]
    assert resolved["secrets_mode"] == "0600"
    pairs = [(u["service"], u["environment"]) for u in resolved["units"]]
    assert pairs == [(u["service"], u["environment"]) for u in f("catalog_units")(base_services, DOMAIN)]
    auth = next(u for u in resolved["units"] if (u["service"], u["environment"]) == ("auth", "production"))
    unit = f("catalog_unit")(base_services, DOMAIN, "auth", "production")
    assert dict((k, auth[k]) for k in unit) == unit
    assert auth["order"] == 1 and auth["stop_order"] == 2
    assert auth["project_dir"] == "/srv/state/projects/auth-production"
    assert auth["identity_labels"] == f("identity_labels")(base_services, DOMAIN, "auth", "production")
    assert auth["secret_paths"] == f("secret_paths")(base_services, DOMAIN, [auth])
    proxy = resolved["providers"]["proxy"]
    assert [u["project_dir"] for u in resolved["units"] if u["service"] == proxy] == ["/srv/state/" + proxy]


def test_catalog_resolve_reports_errors_instead_of_failing(broken):
    resolved = f("catalog_resolve")(broken, DOMAIN)
    assert not resolved["valid"] and sorted(resolved["errors"]) == BROKEN_ERRORS and resolved["units"] == []
    with pytest.raises(AnsibleFilterError) as raised:
        f("catalog_select")(resolved)
    assert str(raised.value).startswith("platform_services is invalid:")


@pytest.mark.parametrize("kwargs", [
    {}, {"layer": ["applications", "ai_ml", "control"]}, {"environment": "development"},
    {"tags": ["auth", "ai_ml"]}, {"tags": ["shared_postgres"], "reverse": True}, {"tags": []},
])
def test_catalog_select_selects_as_catalog_units_does(base_services, kwargs):
    resolved = f("catalog_resolve")(base_services, DOMAIN)
    selected = f("catalog_select")(resolved, **kwargs)
    expected = f("catalog_units")(base_services, DOMAIN, **dict(kwargs, tags=kwargs.get("tags") or None))
    assert [(u["service"], u["environment"]) for u in selected["units"]] == [
        (u["service"], u["environment"]) for u in expected]
    assert selected["local_servers"] == f("local_servers")(base_services, DOMAIN, expected)
    assert selected["secret_paths"] == f("secret_paths")(base_services, DOMAIN, expected)


def test_compose_specs_takes_resolved_units_and_extras(base_services):
    resolved = f("catalog_resolve")(base_services, DOMAIN, state_dir="/srv/state")
    units = f("catalog_select")(resolved, layer="applications", environment="production")["units"]
    secrets = dict((path, "pw") for path in f("catalog_select")(resolved, layer="applications")["secret_paths"])
    pairs = [dict(service=u["service"], environment=u["environment"]) for u in units]
    by_pairs = f("compose_specs")(base_services, DOMAIN, pairs, secrets, "/srv/state/projects")
    assert f("compose_specs")(base_services, DOMAIN, units, secrets) == by_pairs
    auth = units[0]
    service = auth["container_specs"][0]["service"]
    (spec,) = f("compose_specs")(base_services, DOMAIN, [auth], secrets, extras={auth["project"]: {
        "services": {service: {"read_only": True, "environment": {"EXTRA": "1"}}},
        "append": {service: {"volumes": ["./x:/x:ro"]}},
        "definition": {"secrets": {"pw": {"file": "./pw"}}},
        "files": [{"path": "secrets.env", "state": "absent"}, {"path": "x", "content": "x\n"}],
        "wait_timeout": 7, "compose_file": "compose.yaml"}})
    base = by_pairs[0]
    app = spec["definition"]["services"][service]
    # The catalog's keys keep their places; additions come last.
    assert app["read_only"] is True and list(app)[:-2] == list(base["definition"]["services"][service])
    assert app["environment"] == dict(base["definition"]["services"][service]["environment"], EXTRA="1")
    assert app["volumes"] == ["./x:/x:ro"]
    assert list(spec["definition"]) == list(base["definition"]) + ["secrets"]
    assert [x["path"] for x in spec["files"]] == ["secrets.env", "x"] and spec["files"][0]["state"] == "absent"
    assert spec["wait_timeout"] == 7 and spec["compose_file"] == "compose.yaml"


# ---------------------------------------------------------------- validation filters


def test_catalog_errors(base_services, broken):
    assert f("catalog_errors")(base_services, DOMAIN) == []
    assert sorted(f("catalog_errors")(broken, DOMAIN)) == BROKEN_ERRORS
    assert f("catalog_errors")(None, None) == ["platform_domain: must be a non-empty string, got null",
                                               "platform_services: must be a mapping, got null"]


def test_catalog_warnings(base_services, broken):
    assert f("catalog_warnings")(base_services, DOMAIN) == []
    services = copy.deepcopy(base_services)
    services["payment"]["environments"]["production"]["containers"][0]["unprefixed"] = False
    assert f("catalog_warnings")(services, DOMAIN) == [
        "platform_services.payment.environments.production.containers[0].name: container 'web' is not prefixed by "
        "its service 'payment'; it is identified by its labels (unprefixed: true declares the name as intended)"]
    # Warnings never raise, even for an invalid catalog.
    assert isinstance(f("catalog_warnings")(broken, DOMAIN), list)


def test_catalog_errors_network_argument(base_services):
    assert f("catalog_errors")(base_services, DOMAIN, "edge") == []


# ---------------------------------------------------------------- derivation filters


def test_catalog_units(base_services):
    units = f("catalog_units")(base_services, DOMAIN, environment="production", layer="infrastructure")
    assert units == [
        {"service": "shared-postgres", "environment": "production", "layer": "infrastructure", "method": "compose", "runs_containers": True,
         "project": "shared-postgres-production"},
        {"service": "traefik", "environment": "production", "layer": "infrastructure", "method": "compose", "runs_containers": True,
         "project": "traefik-production"},
    ]
    stop = f("catalog_units")(base_services, DOMAIN, reverse=True)
    assert stop[0]["service"] == "dashboard" and stop[-1]["service"] == "shared-postgres"
    assert [u["environment"] for u in f("catalog_units")(base_services, DOMAIN, tags="l2p")] == \
        ["production", "development"]


def test_development_reads_production_secrets_only_by_its_opt_in(base_services):
    base_services["auth"]["environments"]["development"]["use_production_secrets"] = True
    unit = f("catalog_unit")(base_services, DOMAIN, "auth", "development")
    assert unit["secrets"] == {"JWT_SECRET": "auth/JWT_SECRET"}
    assert f("secret_paths")(base_services, DOMAIN, [unit]) == ["auth/JWT_SECRET", "postgres-dev/auth_db"]


def test_catalog_unit(base_services):
    unit = f("catalog_unit")(base_services, DOMAIN, "auth", "development")
    assert unit["project"] == "auth-development"
    assert unit["method"] == "npm"
    assert unit["hostname"] is None
    assert unit["database"]["server"] == "postgres-dev"
    assert unit["database"]["name"] == "auth_db"
    # Development has its own secrets, never production's.
    assert unit["secrets"] == {"JWT_SECRET": "auth/development/JWT_SECRET"}
    assert [s["port"] for s in unit["local_servers"]] == [5500]
    production = f("catalog_unit")(base_services, DOMAIN, "auth", "production")
    assert production["secrets"] == {"JWT_SECRET": "auth/JWT_SECRET"}
    assert production["hostname"] == "auth.korczewski.de"
    assert production["containers"] == ["auth-service"]


def test_catalog_provider(base_services, mutate):
    assert f("catalog_provider")(base_services, DOMAIN, "database") == "shared-postgres"
    assert f("catalog_provider")(base_services, DOMAIN, "proxy") == "traefik"
    no_proxy = mutate([{"op": "delete", "path": "traefik.provides"}])
    with pytest.raises(AnsibleFilterError) as raised:
        f("catalog_provider")(no_proxy, DOMAIN, "proxy")
    assert str(raised.value) == ("no service of platform_services provides proxy (set provides: proxy on one "
                                 "infrastructure service)")


def test_catalog_unit_container_specs(base_services):
    unit = f("catalog_unit")(base_services, DOMAIN, "shared-postgres", "development", "edge")
    assert unit["network"] == "edge-dev"
    [server] = unit["container_specs"]
    assert server["publish"] == [{"host": 5433, "container": 5432, "address": "127.0.0.1"}]
    assert server["database_server"]["superuser_secret_path"] == "postgres-dev/postgres"


def test_identity_labels(base_services):
    assert f("identity_labels")(base_services, DOMAIN, "l2p", "development") == {
        "korczewski.platform.service": "l2p", "korczewski.platform.environment": "development",
        "korczewski.platform.layer": "applications", "korczewski.platform.unit": "l2p-development"}


def test_traefik_labels(base_services):
    labels = f("traefik_labels")(base_services, DOMAIN, "l2p", "production", "l2p-api", network="edge",
                                 entrypoint="https", certresolver="le", middlewares=["hsts"])
    assert labels["traefik.docker.network"] == "edge"
    assert labels["traefik.http.routers.l2p-l2p-api.entrypoints"] == "https"
    assert labels["traefik.http.routers.l2p-l2p-api.tls.certresolver"] == "le"
    assert labels["traefik.http.routers.l2p-l2p-api.middlewares"] == "hsts"
    assert labels["traefik.http.routers.l2p-l2p-api.rule"] == \
        "Host(`l2p.korczewski.de`) && (PathPrefix(`/api`) || PathPrefix(`/socket.io`))"
    # An empty certresolver (an unset inventory variable) adds no label.
    plain = f("traefik_labels")(base_services, DOMAIN, "auth", "production", "auth-service", certresolver="")
    assert not any(key.endswith(".tls.certresolver") for key in plain)


def test_service_databases(base_services):
    assert f("service_databases")(base_services, DOMAIN)[0] == \
        {"name": "auth_db", "owner": "auth_user", "service": "auth", "server": "shared-postgres",
         "secret_path": "shared-postgres/auth_db"}
    assert {d["server"] for d in f("service_databases")(base_services, DOMAIN, "development")} == {"postgres-dev"}


def test_database_settings(base_services):
    assert f("database_settings")(base_services, DOMAIN, "payment", "development", password="a b") == {
        "DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "5433", "DATABASE_NAME": "payment_db",
        "DATABASE_USER": "payment_user", "DATABASE_PASSWORD": "a b",
        "DATABASE_URL": "postgresql://payment_user:a%20b@127.0.0.1:5433/payment_db"}
    assert "DATABASE_PASSWORD" not in f("database_settings")(base_services, DOMAIN, "payment", "production")


def test_compose_project(base_services):
    project = f("compose_project")(base_services, DOMAIN, "auth", "production", network="edge",
                                   traefik={"certresolver": "le"}, labels={"owner": "patrick"},
                                   env_file="/srv/auth.env")
    spec = project["services"]["auth-service"]
    assert project["name"] == "auth-production"
    assert spec["networks"] == ["edge"]
    assert spec["labels"]["owner"] == "patrick"
    assert spec["labels"]["traefik.http.routers.auth-auth-service.tls.certresolver"] == "le"
    assert spec["env_file"] == ["/srv/auth.env"]


def test_health_targets(base_services):
    targets = f("health_targets")(base_services, DOMAIN, environment="production", service="auth",
                                  https_port="18443")
    assert targets == [{"service": "auth", "environment": "production", "name": "auth-service", "kind": "https",
                        "container": "auth-service", "host": "auth.korczewski.de",
                        "url": "https://auth.korczewski.de:18443/health"}]


def test_platform_networks(base_services):
    networks = f("platform_networks")(base_services, DOMAIN)
    assert networks[:2] == ["platform", "platform-dev"]
    # Then the edge networks Traefik shares with what it routes off the shared network.
    assert networks[2:] and all(n.endswith("-edge") for n in networks[2:])
    assert len(networks) == len(set(networks))


def test_env_file(base_services):
    text = f("env_file")({"B": "it's $x", "A": 1, "C": None})
    assert text == "A='1'\nB=\"it's \\$x\"\nC=''\n"
    assert parse_env_file(text) == {"A": "1", "B": "it's $x", "C": ""}


# ---------------------------------------------------------------- the error path


@pytest.mark.parametrize("name", sorted(CATALOG_FILTER_CALLS))
def test_invalid_catalog_raises_a_filter_error_listing_every_error(name, broken):
    with pytest.raises(AnsibleFilterError) as raised:
        f(name)(broken, DOMAIN, *CATALOG_FILTER_CALLS[name])
    # One format for every filter: the catalog's own message.
    assert str(raised.value) == "platform_services is invalid:\n" + "\n".join(
        "- " + error for error in Catalog.check(broken, DOMAIN)[1])
    for error in BROKEN_ERRORS:
        assert "\n- " + error in str(raised.value)


@pytest.mark.parametrize("name,args,message", [
    ("identity_labels", ("billing", "production"), "unknown service 'billing'"),
    ("traefik_labels", ("auth", "production", "auth-api"), "auth.production has no container 'auth-api'"),
    ("compose_project", ("auth", "development"), "auth.development uses method npm, which has no compose project"),
    ("database_settings", ("traefik", "development"), "service 'traefik' has no environment 'development'"),
    ("catalog_unit", ("auth", "staging"), "service 'auth' has no environment 'staging'"),
    ("catalog_unit", ("nope", "production"), "unknown service 'nope'"),
])
def test_derivation_errors_become_filter_errors(base_services, name, args, message):
    with pytest.raises(AnsibleFilterError) as raised:
        f(name)(base_services, DOMAIN, *args)
    # A single error is the whole message, as the model words it.
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("name,value,message", [
    ("env_file", ["A=1"], "env_file expects a mapping of variable names to values"),
    ("env_file", {"1A": "x"}, "'1A' is not a valid environment variable name"),
    ("env_file", {"A": "carriage\rreturn"}, "A: a carriage return is not supported in an env file"),
])
def test_env_file_filter_errors(name, value, message):
    with pytest.raises(AnsibleFilterError) as raised:
        f(name)(value)
    assert str(raised.value) == message


# ---------------------------------------------------------------- doc sidecars


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_filter_has_a_doc_sidecar(name):
    path = os.path.join(FILTER_DIR, "%s.yml" % name)
    assert os.path.isfile(path), "missing %s" % path
    with open(path, encoding="utf-8") as stream:
        doc = yaml.safe_load(stream)
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == name
    assert documentation["version_added"] == "0.1.0"
    assert documentation["short_description"] and documentation["description"] and documentation["author"]
    assert "_input" in documentation["options"]
    assert "korczewski.platform.%s" % name in doc["EXAMPLES"]
    yaml.safe_load(doc["EXAMPLES"])
    assert "_value" in doc["RETURN"]


# ---------------------------------------------------------------- apply filters


def test_secret_paths_and_compose_specs_work_together(base_services):
    units = f("catalog_units")(base_services, DOMAIN, layer="applications")
    paths = f("secret_paths")(base_services, DOMAIN, units)
    secrets = dict((path, "value-of-" + path) for path in paths)
    specs = f("compose_specs")(base_services, DOMAIN, units, secrets, "/srv/projects", state="stopped", wait_timeout="600")
    # The given wait is a minimum; the applications' derived healthchecks need less.
    assert specs and all(s["state"] == "stopped" and s["wait_timeout"] == 600 and s["order"] == 1 for s in specs)
    assert any("value-of-" in entry["content"] for s in specs for entry in s["files"])


def test_local_servers_and_their_secret_environments_by_name(base_services):
    units = f("catalog_units")(base_services, DOMAIN, environment="development")
    servers = f("local_servers")(base_services, DOMAIN, units)
    names = [s["name"] for s in servers]
    assert len(names) == len(set(names)) and "auth" in " ".join(names)
    paths = f("secret_paths")(base_services, DOMAIN, units)
    secrets = dict((path, "value-of-" + path) for path in paths)
    envs = f("dev_secret_envs")(base_services, DOMAIN, units, secrets)
    assert sorted(envs) == sorted(names)
    auth = [s["name"] for s in servers if s["env"].get("SERVICE_NAME") == "auth"][0]
    assert "value-of-" in envs[auth]["DATABASE_URL"]
    # Secrets stay out of the server entries that a task loops over.
    assert not any("value-of-" in str(s) for s in servers)
    with pytest.raises(AnsibleFilterError, match="no value for the secret"):
        f("dev_secret_envs")(base_services, DOMAIN, units, {})
    with pytest.raises(AnsibleFilterError, match="mapping of vault paths"):
        f("dev_secret_envs")(base_services, DOMAIN, units, [])


def test_compose_specs_wants_a_mapping_of_secrets(base_services):
    with pytest.raises(AnsibleFilterError, match="mapping of vault paths"):
        f("compose_specs")(base_services, DOMAIN, [], ["not", "a", "dict"], "/p")
