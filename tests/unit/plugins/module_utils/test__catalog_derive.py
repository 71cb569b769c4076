# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the catalog derives: labels, container names, databases, compose projects, health targets."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    LABEL_ENVIRONMENT,
    LABEL_LAYER,
    LABEL_SERVICE,
    LABEL_UNIT,
    Catalog,
    CatalogError,
)

DOMAIN = "korczewski.de"
# The production host's GPU declaration (tests/conftest.py), so vllm-rag renders as it does there.
HOST = {}


@pytest.fixture(autouse=True)
def _on_the_production_host(production_host):
    HOST.update(production_host)


def load(mutate, *mutations):
    return Catalog.load(mutate(list(mutations)), DOMAIN, **HOST)


def setting(path, value):
    return {"op": "set", "path": path, "value": value}


# ---------------------------------------------------------------- identity labels


def test_identity_labels(catalog):
    assert catalog.identity_labels("auth", "production") == {
        "korczewski.platform.service": "auth",
        "korczewski.platform.environment": "production",
        "korczewski.platform.layer": "applications",
        "korczewski.platform.unit": "auth-production",
    }
    assert catalog.identity_labels("vllm-rag", "development") == {
        LABEL_SERVICE: "vllm-rag", LABEL_ENVIRONMENT: "development", LABEL_LAYER: "ai_ml",
        LABEL_UNIT: "vllm-rag-development"}


def test_every_container_of_every_unit_carries_the_identity_labels(catalog):
    for unit in catalog.units():
        if unit["method"] == "npm":
            continue
        project = catalog.compose_project(unit["service"], unit["environment"])
        for spec in project["services"].values():
            assert spec["labels"][LABEL_SERVICE] == unit["service"]
            assert spec["labels"][LABEL_ENVIRONMENT] == unit["environment"]
            assert spec["labels"][LABEL_LAYER] == unit["layer"]
            assert spec["labels"][LABEL_UNIT] == unit["project"]


def test_identity_labels_of_unknown_environment(catalog):
    with pytest.raises(CatalogError):
        catalog.identity_labels("traefik", "development")


# ---------------------------------------------------------------- Traefik labels


def test_traefik_labels_for_auth(catalog):
    assert catalog.traefik_labels("auth", "production", "auth-service") == {
        "traefik.enable": "true",
        "traefik.docker.network": "platform",
        "traefik.http.routers.auth-auth-service.rule": "Host(`auth.korczewski.de`)",
        "traefik.http.routers.auth-auth-service.entrypoints": "websecure",
        "traefik.http.routers.auth-auth-service.tls": "true",
        "traefik.http.routers.auth-auth-service.service": "auth-auth-service",
        "traefik.http.services.auth-auth-service.loadbalancer.server.port": "5500",
    }


def test_traefik_label_options(catalog):
    labels = catalog.traefik_labels("auth", "production", "auth-service", entrypoint="https",
                                    certresolver="letsencrypt", middlewares=["secure-headers", "ratelimit"])
    assert labels["traefik.http.routers.auth-auth-service.entrypoints"] == "https"
    assert labels["traefik.http.routers.auth-auth-service.tls.certresolver"] == "letsencrypt"
    assert labels["traefik.http.routers.auth-auth-service.middlewares"] == "secure-headers,ratelimit"
    plain = catalog.traefik_labels("auth", "production", "auth-service")
    assert "traefik.http.routers.auth-auth-service.tls.certresolver" not in plain
    assert "traefik.http.routers.auth-auth-service.middlewares" not in plain


def test_traefik_labels_for_l2p_api_and_frontend(catalog):
    api = catalog.traefik_labels("l2p", "production", "l2p-api")
    assert api["traefik.http.routers.l2p-l2p-api.rule"] == \
        "Host(`l2p.korczewski.de`) && (PathPrefix(`/api`) || PathPrefix(`/socket.io`))"
    assert api["traefik.http.routers.l2p-l2p-api.priority"] == "100"
    assert api["traefik.http.services.l2p-l2p-api.loadbalancer.server.port"] == "3001"
    frontend = catalog.traefik_labels("l2p", "production", "l2p-app")
    assert frontend["traefik.http.routers.l2p-l2p-app.rule"] == "Host(`l2p.korczewski.de`)"
    # The catch-all has no explicit priority: the API router's 100 wins over Traefik's default.
    assert "traefik.http.routers.l2p-l2p-app.priority" not in frontend
    assert frontend["traefik.http.services.l2p-l2p-app.loadbalancer.server.port"] == "3000"


def test_traefik_labels_by_compose_service_name(catalog):
    assert catalog.traefik_labels("l2p", "production", "l2p-api") == \
        catalog.traefik_labels("l2p", "production", "l2p-api")
    assert catalog.traefik_labels("videovault", "production", "videovault")[
        "traefik.http.routers.videovault-videovault.rule"] == "Host(`videovault.korczewski.de`)"


def test_explicit_route_priority(mutate):
    catalog = load(mutate, setting("l2p.environments.production.containers.1.route.priority", 50))
    assert catalog.traefik_labels("l2p", "production", "l2p-api")["traefik.http.routers.l2p-l2p-api.priority"] == "50"


def test_unrouted_and_development_containers_get_no_traefik_labels(catalog):
    assert catalog.traefik_labels("vllm-rag", "production", "qdrant-rag") == {}
    assert catalog.traefik_labels("traefik", "production", "traefik") == {}
    assert catalog.traefik_labels("l2p", "development", "l2p-backend-dev") == {}


def test_traefik_labels_unknown_container(catalog):
    with pytest.raises(CatalogError) as raised:
        catalog.traefik_labels("auth", "production", "auth-api")
    assert raised.value.errors == ["auth.production has no container 'auth-api'"]


def test_traefik_labels_use_the_catalog_network(base_services):
    catalog = Catalog.load(base_services, DOMAIN, network="edge")
    assert catalog.traefik_labels("auth", "production", "auth-service")["traefik.docker.network"] == "edge"


def test_router_name_never_contains_a_dot(mutate):
    catalog = load(mutate, setting("payment.environments.production.containers.0.service", "web.v2"))
    labels = catalog.traefik_labels("payment", "production", "web")
    assert "traefik.http.routers.payment-web-v2.rule" in labels
    for key in labels:
        if key.startswith("traefik.http.routers."):
            assert key.split(".")[3] == "payment-web-v2"


def test_fully_qualified_hostname_in_the_rule(mutate):
    catalog = load(mutate, setting("vllm-rag.environments.production.hostname", "ai.korczewski.de"))
    assert catalog.traefik_labels("vllm-rag", "production", "vllm-rag")[
        "traefik.http.routers.vllm-rag-vllm-rag.rule"] == "Host(`ai.korczewski.de`) && (PathPrefix(`/v1`))"


# ---------------------------------------------------------------- container names


def test_container_names(catalog):
    assert catalog.container_names("l2p", "production") == ["l2p-app", "l2p-api"]
    assert catalog.container_names("l2p", "development") == ["l2p-frontend-dev", "l2p-backend-dev"]
    assert catalog.container_names("l2p") == ["l2p-app", "l2p-api", "l2p-frontend-dev", "l2p-backend-dev"]
    assert catalog.container_names("payment", "production") == ["web"]
    assert catalog.container_names("payment", "development") == []
    assert catalog.container_names(["auth", "videovault"], "production") == ["auth-service", "videovault"]
    assert catalog.container_names(environment="development") == [
        "postgres-dev", "l2p-frontend-dev", "l2p-backend-dev", "videovault-dev", "qdrant-dev", "infinity-dev"]


# ---------------------------------------------------------------- databases


def test_databases_per_environment(catalog):
    assert catalog.databases("production") == [
        {"name": "auth_db", "owner": "auth_user", "service": "auth", "server": "shared-postgres",
         "secret_path": "shared-postgres/auth_db"},
        {"name": "l2p_db", "owner": "l2p_user", "service": "l2p", "server": "shared-postgres",
         "secret_path": "shared-postgres/l2p_db"},
        {"name": "payment_db", "owner": "payment_user", "service": "payment", "server": "shared-postgres",
         "secret_path": "shared-postgres/payment_db"},
        {"name": "videovault_db", "owner": "videovault_user", "service": "videovault", "server": "shared-postgres",
         "secret_path": "shared-postgres/videovault_db"},
    ]
    assert catalog.databases("development") == [
        {"name": "auth_db", "owner": "auth_user", "service": "auth", "server": "postgres-dev",
         "secret_path": "postgres-dev/auth_db"},
        {"name": "l2p_db", "owner": "l2p_user", "service": "l2p", "server": "postgres-dev",
         "secret_path": "postgres-dev/l2p_db"},
        {"name": "payment_db", "owner": "payment_user", "service": "payment", "server": "postgres-dev",
         "secret_path": "postgres-dev/payment_db"},
        {"name": "videovault_db", "owner": "videovault_user", "service": "videovault", "server": "postgres-dev",
         "secret_path": "postgres-dev/videovault_db"},
    ]


def test_use_production_database_excludes_the_development_database(mutate):
    catalog = load(mutate, setting("auth.environments.development.use_production_database", True))
    assert "auth_db" not in [d["name"] for d in catalog.databases("development")]
    assert [d["name"] for d in catalog.databases("production")][0] == "auth_db"
    assert catalog.database_server(catalog.environment("auth", "development")) == "shared-postgres"


def test_database_servers(catalog):
    assert catalog.database_server(catalog.environment("l2p", "production")) == "shared-postgres"
    assert catalog.database_server(catalog.environment("l2p", "development")) == "postgres-dev"


# ---------------------------------------------------------------- database settings


def test_database_settings_without_password_have_no_password_key(catalog):
    assert catalog.database_settings("auth", "production") == {
        "DATABASE_HOST": "shared-postgres", "DATABASE_PORT": "5432", "DATABASE_NAME": "auth_db",
        "DATABASE_USER": "auth_user"}


def test_database_settings_for_compose_development(catalog):
    assert catalog.database_settings("l2p", "development", password="pw") == {
        "DATABASE_HOST": "postgres-dev", "DATABASE_PORT": "5432", "DATABASE_NAME": "l2p_db",
        "DATABASE_USER": "l2p_user", "DATABASE_PASSWORD": "pw",
        "DATABASE_URL": "postgresql://l2p_user:pw@postgres-dev:5432/l2p_db"}


def test_database_settings_for_npm_development_use_the_published_loopback_port(catalog):
    settings = catalog.database_settings("auth", "development", password="pw")
    assert settings["DATABASE_HOST"] == "127.0.0.1"
    assert settings["DATABASE_PORT"] == "5433"
    assert settings["DATABASE_URL"] == "postgresql://auth_user:pw@127.0.0.1:5433/auth_db"


def test_database_settings_port_option(catalog):
    settings = catalog.database_settings("payment", "production", password="pw", port=6432)
    assert settings["DATABASE_PORT"] == "6432"
    assert settings["DATABASE_URL"] == "postgresql://payment_user:pw@shared-postgres:6432/payment_db"


def test_database_url_percent_encodes_the_password(catalog):
    password = "it's \"$ecret\" p@ss:w/rd"
    settings = catalog.database_settings("auth", "production", password=password)
    assert settings["DATABASE_PASSWORD"] == password
    url = settings["DATABASE_URL"]
    assert url == "postgresql://auth_user:it%27s%20%22%24ecret%22%20p%40ss%3Aw%2Frd@shared-postgres:5432/auth_db"
    parts = urlsplit(url)
    assert parts.hostname == "shared-postgres" and parts.port == 5432 and parts.path == "/auth_db"
    assert parts.username == "auth_user"
    assert unquote(parts.password) == password


def test_database_settings_of_a_service_without_database(catalog):
    assert catalog.database_settings("dashboard", "production", password="pw") == {}


# ---------------------------------------------------------------- compose projects


def test_compose_project_for_method_compose(catalog):
    project = catalog.compose_project("auth", "production", env_file="/srv/auth/production.env")
    healthcheck = project["services"]["auth-service"].pop("healthcheck")
    assert project == {
        "name": "auth-production",
        "networks": {"platform": {"name": "platform", "external": True}},
        "services": {
            "auth-service": {
                "container_name": "auth-service",
                "image": "korczewski/auth-service:latest",
                "restart": "unless-stopped",
                "networks": ["platform"],
                "environment": {"PLATFORM_ENVIRONMENT": "production", "PORT": "5500", "SERVICE_NAME": "auth"},
                "env_file": ["/srv/auth/production.env"],
                "labels": dict(sorted(dict(catalog.identity_labels("auth", "production"),
                                           **catalog.traefik_labels("auth", "production", "auth-service"),
                                           **{"korczewski.platform.drain": "/tmp/.korczewski-platform-drain"}).items())),
            },
        },
    }
    # Derived from the health path and port, so Docker (and depends_on) know when it is healthy.
    assert healthcheck["test"][0] == "CMD-SHELL"
    assert "http://127.0.0.1:5500/health" in healthcheck["test"][1]
    # The drain file named by its label fails it: a switch drains the old container so.
    assert healthcheck["test"][1].startswith("if [ -e /tmp/.korczewski-platform-drain ]; then exit 1; fi;")


def test_catalog_healthcheck_wins_over_the_derived_one(catalog):
    spec = catalog.compose_project("vllm-rag", "production")["services"]["qdrant-rag"]
    assert spec["healthcheck"] == {"test": ["CMD", "true"], "interval": "10s"}
    # Neither a healthcheck nor a health path: no healthcheck at all.
    assert "healthcheck" not in catalog.compose_project("vllm-rag", "production")["services"]["postgres-rag"]


def test_compose_project_for_method_compose_profile(catalog):
    project = catalog.compose_project("l2p", "development", env_file="/srv/l2p/development.env")
    assert project["name"] == "l2p-development"
    assert list(project["services"]) == ["l2p-frontend-dev", "l2p-backend-dev"]
    frontend = project["services"]["l2p-frontend-dev"]
    backend = project["services"]["l2p-backend-dev"]
    assert frontend["ports"] == ["127.0.0.1:3000:3000"]
    assert backend["ports"] == ["127.0.0.1:3001:3001"]
    # The frontend has database: false and no secrets: no env file.
    assert "env_file" not in frontend
    assert backend["env_file"] == ["/srv/l2p/development.env"]
    for spec in (frontend, backend):
        assert not any(key.startswith("traefik.") for key in spec["labels"])
        assert spec["environment"]["PLATFORM_ENVIRONMENT"] == "development"
    # Profiles are mapped onto one project per (service, environment): no compose profiles remain.
    assert "profiles" not in frontend and "profiles" not in backend


def test_compose_project_production_profile_routes_both_containers(catalog):
    project = catalog.compose_project("l2p", "production")
    assert project["services"]["l2p-api"]["labels"]["traefik.http.routers.l2p-l2p-api.rule"].startswith(
        "Host(`l2p.korczewski.de`) && ")
    assert "traefik.http.routers.l2p-l2p-app.rule" in project["services"]["l2p-app"]["labels"]
    assert "ports" not in project["services"]["l2p-api"]


def test_compose_project_for_method_compose_service(catalog):
    project = catalog.compose_project("videovault", "production")
    assert list(project["services"]) == ["videovault"]
    assert project["services"]["videovault"]["volumes"] == ["videovault-media:/data"]
    assert project["volumes"] == {"videovault-media": {"name": "videovault-media"}}
    dev = catalog.compose_project("videovault", "development")
    assert list(dev["services"]) == ["videovault-dev"]
    assert dev["services"]["videovault-dev"]["container_name"] == "videovault-dev"
    assert dev["volumes"] == {"videovault-dev-media": {"name": "videovault-dev-media"}}


def test_compose_project_for_method_hybrid_holds_only_the_containers(catalog):
    project = catalog.compose_project("vllm-rag", "development")
    assert list(project["services"]) == ["qdrant-dev", "infinity-dev"]
    assert project["services"]["qdrant-dev"]["ports"] == ["127.0.0.1:6333:6333"]
    assert project["services"]["infinity-dev"]["ports"] == ["127.0.0.1:7997:7997"]
    assert project["volumes"] == {"qdrant-dev-data": {"name": "qdrant-dev-data"},
                                  "infinity-dev-cache": {"name": "infinity-dev-cache"}}


def test_compose_project_publish_with_container_port_and_ipv6(catalog, mutate):
    postgres = catalog.compose_project("shared-postgres", "development")["services"]["postgres-dev"]
    assert postgres["ports"] == ["127.0.0.1:5433:5432"]
    v6 = load(mutate, setting("l2p.environments.development.containers.0.publish", [{"host": 3000, "address": "::1"}]))
    assert v6.compose_project("l2p", "development")["services"]["l2p-frontend-dev"]["ports"] == ["[::1]:3000:3000"]
    traefik = catalog.compose_project("traefik", "production")["services"]["traefik"]
    assert traefik["ports"] == ["0.0.0.0:80:80", "0.0.0.0:443:443"]


def test_compose_project_for_npm_is_an_error(catalog):
    with pytest.raises(CatalogError) as raised:
        catalog.compose_project("auth", "development")
    assert raised.value.errors == ["auth.development uses method npm, which has no compose project"]


def test_development_gets_its_own_network(catalog):
    production = catalog.compose_project("auth", "production")
    development = catalog.compose_project("l2p", "development")
    assert list(production["networks"]) == ["platform"]
    assert list(development["networks"]) != ["platform"]
    assert development["services"]["l2p-backend-dev"]["networks"] == list(development["networks"])


def test_replicas_drop_the_fixed_container_name(mutate):
    catalog = load(mutate, setting("auth.environments.production.containers.0.replicas", 3))
    spec = catalog.compose_project("auth", "production")["services"]["auth-service"]
    assert "container_name" not in spec
    assert spec["deploy"] == {"replicas": 3}


def test_resources_become_deploy_limits(mutate):
    catalog = load(mutate, setting("vllm-rag.environments.production.containers.1.resources",
                                   {"cpus": 4, "memory": "16g"}))
    spec = catalog.compose_project("vllm-rag", "production")["services"]["vllm-rag"]
    # On the production host, which declares its GPUs, the reservation sits beside the limits.
    assert spec["deploy"] == {"resources": {"limits": {"cpus": "4", "memory": "16g"}, "reservations": {
        "devices": [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]}}}


def test_depends_on_conditions(catalog):
    spec = catalog.compose_project("vllm-rag", "production")["services"]["rag-ingest-engine"]
    assert spec["depends_on"] == {
        "qdrant-rag": {"condition": "service_healthy"},  # it has a healthcheck
        "postgres-rag": {"condition": "service_started"},
    }
    qdrant = catalog.compose_project("vllm-rag", "production")["services"]["qdrant-rag"]
    assert qdrant["healthcheck"] == {"test": ["CMD", "true"], "interval": "10s"}


def test_depends_on_by_container_name_uses_the_compose_service_key(mutate):
    catalog = load(mutate, setting("vllm-rag.environments.production.containers.3.service", "db"))
    project = catalog.compose_project("vllm-rag", "production")
    assert "db" in project["services"]
    assert project["services"]["rag-ingest-engine"]["depends_on"] == {
        "qdrant-rag": {"condition": "service_healthy"}, "db": {"condition": "service_started"}}


def test_env_file_only_where_secrets_or_a_database_are_read(catalog):
    def env_files(service, environment):
        project = catalog.compose_project(service, environment, env_file="/run/x.env")
        return {name: "env_file" in spec for name, spec in project["services"].items()}

    assert env_files("auth", "production") == {"auth-service": True}  # secret_env and database
    assert env_files("l2p", "production") == {"l2p-app": False, "l2p-api": True}  # database: false on l2p-app
    assert env_files("dashboard", "production") == {"vllm-dashboard": False}  # neither
    # postgres-rag reads its one secret from a file (secret_env file: true).
    assert env_files("vllm-rag", "production") == {"open-webui-rag": True, "vllm-rag": True, "qdrant-rag": True,
                                                   "postgres-rag": False, "rag-ingest-engine": True}
    assert env_files("shared-postgres", "production") == {"shared-postgres": False}
    # Without an env file path, none at all.
    project = catalog.compose_project("auth", "production")
    assert "env_file" not in project["services"]["auth-service"]


def test_environment_precedence(mutate):
    catalog = load(
        mutate,
        setting("auth.environments.production.env", {"LOG_LEVEL": "info", "FEATURE": "env", "SERVICE_NAME": "x"}),
        setting("auth.environments.production.containers.0.env", {"FEATURE": "container", "PORT": 8080,
                                                                  "DEBUG": False}),
    )
    environment = catalog.compose_project("auth", "production")["services"]["auth-service"]["environment"]
    assert environment == {"DEBUG": "false", "FEATURE": "container", "LOG_LEVEL": "info",
                           "PLATFORM_ENVIRONMENT": "production", "PORT": "8080", "SERVICE_NAME": "auth"}


def test_environment_values_are_literal_for_compose(mutate):
    catalog = load(mutate, setting("auth.environments.production.env", {"GREETING": "costs $5 or ${PRICE}"}))
    environment = catalog.compose_project("auth", "production")["services"]["auth-service"]["environment"]
    assert environment["GREETING"] == "costs $$5 or $${PRICE}"


def test_command_args_labels_and_health_tests_are_literal_for_compose(mutate):
    catalog = load(
        mutate,
        setting("auth.environments.production.containers.0.command", ["sh", "-c", "exec server --home $HOME"]),
        setting("auth.environments.production.containers.0.args", ["--price=${PRICE}"]),
        setting("auth.environments.production.containers.0.healthcheck",
                {"test": ["CMD-SHELL", "test -n \"$PORT\" && curl -f http://127.0.0.1:$PORT/health"]}),
    )
    spec = catalog.compose_project("auth", "production", extra_labels={"note": "costs $5"})["services"]["auth-service"]
    assert spec["command"] == ["sh", "-c", "exec server --home $$HOME", "--price=$${PRICE}"]
    assert spec["healthcheck"]["test"] == ["CMD-SHELL", "test -n \"$$PORT\" && curl -f http://127.0.0.1:$$PORT/health"]
    assert spec["labels"]["note"] == "costs $$5"
    # Nothing else of the labels changes: Traefik's rules keep their backticks.
    assert spec["labels"]["traefik.http.routers.auth-auth-service.rule"].startswith("Host(`")


def test_extra_labels_build_and_command(mutate):
    catalog = load(
        mutate,
        {"op": "delete", "path": "dashboard.environments.production.containers.0.image"},
        setting("dashboard.environments.production.containers.0.build", "/srv/dashboard"),
        setting("dashboard.environments.production.containers.0.command", ["node", "server.js"]),
    )
    spec = catalog.compose_project("dashboard", "production", extra_labels={"com.example.owner": "patrick"},
                                   traefik={"certresolver": "le"})["services"]["vllm-dashboard"]
    assert spec["build"] == {"context": "/srv/dashboard"}
    assert "image" not in spec
    assert spec["command"] == ["node", "server.js"]
    assert spec["labels"]["com.example.owner"] == "patrick"
    assert spec["labels"]["traefik.http.routers.dashboard-vllm-dashboard.tls.certresolver"] == "le"
    assert list(spec["labels"]) == sorted(spec["labels"])


# ---------------------------------------------------------------- health targets


def test_health_targets_through_traefik(catalog):
    targets = {t["name"]: t for t in catalog.health_targets(environment="production", service="l2p")}
    assert targets == {
        "l2p-app": {"service": "l2p", "environment": "production", "name": "l2p-app", "kind": "https",
                    "container": "l2p-app", "host": "l2p.korczewski.de",
                    "url": "https://l2p.korczewski.de:443/health"},
        # The API router only matches /api, and the API's health path lies under it.
        "l2p-api": {"service": "l2p", "environment": "production", "name": "l2p-api", "kind": "https",
                    "container": "l2p-api", "host": "l2p.korczewski.de",
                    "url": "https://l2p.korczewski.de:443/api/health"},
    }


def test_health_path_outside_the_route_is_probed_by_docker(mutate):
    catalog = load(mutate, setting("l2p.environments.production.containers.1.health", "/health"))
    targets = {t["name"]: t for t in catalog.health_targets(environment="production", service="l2p")}
    # Traefik would send /health to the frontend, so the API's own health is Docker's to check.
    assert targets["l2p-api"] == {"service": "l2p", "environment": "production", "name": "l2p-api",
                                  "kind": "container", "container": "l2p-api"}
    assert targets["l2p-app"]["kind"] == "https"


def test_health_targets_https_port(catalog):
    [target] = catalog.health_targets(environment="production", service="auth", https_port=18443)
    assert target["url"] == "https://auth.korczewski.de:18443/health"


def test_health_targets_for_development_are_loopback_http(catalog):
    assert catalog.health_targets(environment="development", service="l2p") == [
        {"service": "l2p", "environment": "development", "name": "l2p-frontend-dev", "kind": "http",
         "container": "l2p-frontend-dev", "url": "http://127.0.0.1:3000/health"},
        {"service": "l2p", "environment": "development", "name": "l2p-backend-dev", "kind": "http",
         "container": "l2p-backend-dev", "url": "http://127.0.0.1:3001/health"},
    ]
    assert catalog.health_targets(environment="development", service="auth") == [
        {"service": "auth", "environment": "development", "name": "auth", "kind": "http", "port": 5500,
         "url": "http://127.0.0.1:5500/health"}]


def test_health_targets_for_local_servers_and_plain_containers(catalog):
    assert catalog.health_targets(environment="development", service="vllm-rag") == [
        {"service": "vllm-rag", "environment": "development", "name": "qdrant-dev", "kind": "container",
         "container": "qdrant-dev"},
        {"service": "vllm-rag", "environment": "development", "name": "infinity-dev", "kind": "container",
         "container": "infinity-dev"},
        {"service": "vllm-rag", "environment": "development", "name": "vllm", "kind": "http", "port": 4100,
         "url": "http://127.0.0.1:4100/health"},
        # No health path: a TCP connect is the probe.
        {"service": "vllm-rag", "environment": "development", "name": "open-webui", "kind": "tcp", "port": 3005},
    ]


def test_health_targets_cover_every_unit_in_order(catalog):
    targets = catalog.health_targets()
    assert [t["service"] for t in targets][:3] == ["shared-postgres", "shared-postgres", "traefik"]
    assert targets[-1] == {"service": "dashboard", "environment": "development", "name": "dashboard",
                           "kind": "http", "port": 4242, "url": "http://127.0.0.1:4242/health"}
    assert {t["kind"] for t in targets} == {"container", "https", "http", "tcp"}
    assert all(t["url"].startswith("http://127.0.0.1:") for t in targets
               if t["environment"] == "development" and "url" in t)


# ---------------------------------------------------------------- secrets


def test_secret_names(catalog, mutate):
    assert catalog.secret_names("auth", "production") == ["JWT_SECRET"]
    assert catalog.secret_names("vllm-rag", "production") == [
        "OPENAI_API_KEY", "QDRANT_API_KEY", "WEBUI_SECRET_KEY", "WEBUI_ADMIN_PASSWORD", "DATABASE_URL", "VLLM_API_KEY", "HF_TOKEN",
        "QDRANT__SERVICE__API_KEY", "POSTGRES_PASSWORD"]
    assert catalog.secret_names("dashboard", "production") == []
    both = load(mutate, setting("auth.environments.production.containers.0.secret_env", ["JWT_SECRET", "SMTP_KEY"]))
    assert both.secret_names("auth", "production") == ["JWT_SECRET", "SMTP_KEY"]


# ---------------------------------------------------------------- the unit roles deploy from


def test_unit_publishes_ports_as_data(catalog):
    [traefik] = catalog.unit("traefik", "production")["container_specs"]
    assert traefik == {"name": "traefik", "service": "traefik", "replicas": 1,
                       "publish": [{"host": 80, "container": 80, "address": "0.0.0.0"},
                                   {"host": 443, "container": 443, "address": "0.0.0.0"}],
                       "volumes": [], "database": None, "database_server": None}
    [postgres_dev] = catalog.unit("shared-postgres", "development")["container_specs"]
    assert postgres_dev["publish"] == [{"host": 5433, "container": 5432, "address": "127.0.0.1"}]
    assert postgres_dev["volumes"] == [{"name": "postgres-dev-data", "path": "/var/lib/postgresql/data",
                                        "source": "postgres-dev-data", "kind": "volume",
                                        "shared": False}]


def test_unit_keeps_container_names_and_compose_services(catalog):
    unit = catalog.unit("videovault", "development")
    assert unit["containers"] == ["videovault-dev"]
    assert [(c["name"], c["service"]) for c in unit["container_specs"]] == [("videovault-dev", "videovault-dev")]
    assert unit["container_specs"][0]["volumes"] == [{"name": "videovault-dev-media", "path": "/data",
                                                      "source": "videovault-dev-media", "kind": "volume",
                                                      "shared": False}]


def test_database_server_unit_lists_its_databases_and_the_superuser_with_secret_paths(catalog):
    [server] = catalog.unit("shared-postgres", "production")["container_specs"]
    assert server["database_server"] == {
        "superuser": "postgres",
        "superuser_secret_path": "shared-postgres/postgres",
        "databases": [
            {"name": "auth_db", "owner": "auth_user", "service": "auth", "server": "shared-postgres",
             "secret_path": "shared-postgres/auth_db"},
            {"name": "l2p_db", "owner": "l2p_user", "service": "l2p", "server": "shared-postgres",
             "secret_path": "shared-postgres/l2p_db"},
            {"name": "payment_db", "owner": "payment_user", "service": "payment", "server": "shared-postgres",
             "secret_path": "shared-postgres/payment_db"},
            {"name": "videovault_db", "owner": "videovault_user", "service": "videovault",
             "server": "shared-postgres", "secret_path": "shared-postgres/videovault_db"},
        ]}
    [dev] = catalog.unit("shared-postgres", "development")["container_specs"]
    assert dev["database_server"]["superuser_secret_path"] == "postgres-dev/postgres"
    assert [d["secret_path"] for d in dev["database_server"]["databases"]] == [
        "postgres-dev/auth_db", "postgres-dev/l2p_db", "postgres-dev/payment_db", "postgres-dev/videovault_db"]


def test_every_application_reads_the_password_its_server_sets(catalog):
    """One secret path rule: the path an application reads is the path its server was given."""
    served = {}
    for unit in catalog.units(layer="infrastructure"):
        for spec in catalog.unit(unit["service"], unit["environment"])["container_specs"]:
            if spec["database_server"]:
                served.update({d["secret_path"]: d for d in spec["database_server"]["databases"]})
    checked = 0
    for unit in catalog.units(layer=["applications", "ai_ml", "control"]):
        described = catalog.unit(unit["service"], unit["environment"])
        if described["database"] is None:
            continue
        database = served[described["database"]["secret_path"]]
        assert (database["name"], database["owner"]) == (described["database"]["name"], described["database"]["user"])
        checked += 1
    assert checked == 8


def test_production_opt_in_reads_the_production_password(mutate):
    catalog = load(mutate, setting("auth.environments.development.use_production_database", True))
    assert catalog.unit("auth", "development")["database"] == {
        "server": "shared-postgres", "name": "auth_db", "user": "auth_user", "secret_path": "shared-postgres/auth_db"}
    [dev] = catalog.unit("shared-postgres", "development")["container_specs"]
    assert "auth_db" not in [d["name"] for d in dev["database_server"]["databases"]]


def test_unit_containers_that_skip_the_database_get_none(catalog):
    specs = {c["name"]: c for c in catalog.unit("l2p", "production")["container_specs"]}
    assert specs["l2p-app"]["database"] is None
    assert specs["l2p-api"]["database"] == {"server": "shared-postgres", "name": "l2p_db", "user": "l2p_user",
                                            "secret_path": "shared-postgres/l2p_db"}
    assert catalog.unit("dashboard", "production")["container_specs"][0]["database"] is None


def test_unit_secrets_are_vault_paths(catalog):
    assert catalog.unit("auth", "production")["secrets"] == {"JWT_SECRET": "auth/JWT_SECRET"}
    unit = catalog.unit("vllm-rag", "production")
    # Two names of one secret read one vault path: the key vLLM checks is the key Open WebUI sends.
    assert unit["secrets"] == {
        "OPENAI_API_KEY": "vllm-rag/VLLM_API_KEY", "VLLM_API_KEY": "vllm-rag/VLLM_API_KEY",
        "QDRANT_API_KEY": "vllm-rag/QDRANT_API_KEY", "QDRANT__SERVICE__API_KEY": "vllm-rag/QDRANT_API_KEY",
        "WEBUI_SECRET_KEY": "vllm-rag/WEBUI_SECRET_KEY", "WEBUI_ADMIN_PASSWORD": "vllm-rag/WEBUI_ADMIN_PASSWORD",
        "HF_TOKEN": "vllm-rag/HF_TOKEN",
        "POSTGRES_PASSWORD": "vllm-rag/POSTGRES_PASSWORD"}
    # A secret embedded in a URL reaches containers only, through the secrets file.
    assert unit["secret_templates"] == {"DATABASE_URL": {
        "secret_path": "vllm-rag/POSTGRES_PASSWORD",
        "format": "postgresql://rag:{secret|urlencode}@postgres-rag:5432/openwebui"}}


def test_local_servers_get_the_same_identity_variables_as_containers(mutate):
    catalog = load(mutate,
                   setting("auth.environments.development.env", {"LOG_LEVEL": "debug", "SERVICE_NAME": "x"}),
                   setting("vllm-rag.environments.development.local_servers.0.env", {"MODEL": "tiny"}),
                   setting("vllm-rag.environments.development.local_servers.1.env", {}))
    [auth] = catalog.unit("auth", "development")["local_servers"]
    assert auth["env"] == {"LOG_LEVEL": "debug", "SERVICE_NAME": "auth", "PLATFORM_ENVIRONMENT": "development"}
    vllm, webui = catalog.unit("vllm-rag", "development")["local_servers"]
    assert (vllm["name"], vllm["env"]) == ("vllm-rag-development-vllm", {
        "MODEL": "tiny", "SERVICE_NAME": "vllm-rag", "PLATFORM_ENVIRONMENT": "development"})
    assert webui["env"] == {"SERVICE_NAME": "vllm-rag", "PLATFORM_ENVIRONMENT": "development"}
    container_env = catalog.compose_project("l2p", "development")["services"]["l2p-backend-dev"]["environment"]
    assert (container_env["SERVICE_NAME"], container_env["PLATFORM_ENVIRONMENT"]) == ("l2p", "development")


def test_health_targets_carry_the_catalog_conditions(mutate):
    catalog = load(mutate, setting("auth.environments.production.containers.0.health",
                                   {"path": "/health", "conditions": ["[BODY].status == ok", "[RESPONSE_TIME] < 500"]}))
    [target] = catalog.health_targets(environment="production", service="auth")
    assert target["url"].endswith("/health")
    assert target["conditions"] == ["[BODY].status == ok", "[RESPONSE_TIME] < 500"]


# ---------------------------------------------------------------- model serving


def test_vllm_args_follow_the_image_entrypoint_and_keep_the_key_off_the_command_line(catalog):
    spec = catalog.compose_project("vllm-rag", "production", env_file="secrets.env")["services"]["vllm-rag"]
    assert spec["command"][:2] == ["--model", "Qwen/Qwen2.5-7B-Instruct"]
    assert spec["command"][spec["command"].index("--max-model-len") + 1] == "16384"  # numbers become strings
    assert "--api-key" not in spec["command"]
    assert spec["shm_size"] == "16g"
    assert spec["env_file"] == ["secrets.env"]
    assert spec["volumes"] == ["vllm-rag-models:/root/.cache/huggingface"]


@pytest.mark.parametrize("command, args, expected", [
    (None, ["--port", 8000], ["--port", "8000"]),
    (["serve", "m"], ["--x", 1.5], ["serve", "m", "--x", "1.5"]),
    ("serve 'my model'", ["--x"], ["serve", "my model", "--x"]),
    ("node server.js", None, "node server.js"),
])
def test_command_and_args(mutate, command, args, expected):
    mutations = []
    for key, value in (("command", command), ("args", args)):
        if value is not None:
            mutations.append(setting("dashboard.environments.production.containers.0." + key, value))
    spec = load(mutate, *mutations).compose_project("dashboard", "production")["services"]["vllm-dashboard"]
    assert spec["command"] == expected


def test_start_period_replaces_the_grace_period_of_the_derived_and_the_catalog_healthcheck(mutate):
    catalog = load(mutate, setting("auth.environments.production.containers.0.start_period", "15m"),
                   setting("vllm-rag.environments.production.containers.2.start_period", 90))
    auth = catalog.compose_project("auth", "production")["services"]["auth-service"]["healthcheck"]
    assert auth["start_period"] == "15m" and "curl" in auth["test"][1]
    qdrant = catalog.compose_project("vllm-rag", "production")["services"]["qdrant-rag"]["healthcheck"]
    assert qdrant == {"test": ["CMD", "true"], "interval": "10s", "start_period": "90s"}


def test_healthcheck_override_for_images_without_curl(production_services, production_host):
    catalog = Catalog.load(production_services, DOMAIN, **production_host)
    check = catalog.compose_project("vllm-rag", "production")["services"]["qdrant-rag"]["healthcheck"]
    assert check["test"][:3] == ["CMD", "bash", "-c"]
    assert "/dev/tcp/127.0.0.1/6333" in check["test"][3] and "GET /readyz" in check["test"][3]
    assert "curl" not in str(check) and "wget" not in str(check)
    # The derived default is still curl or wget.
    webui = catalog.compose_project("vllm-rag", "production")["services"]["open-webui-rag"]["healthcheck"]
    assert "curl -fsS" in webui["test"][1] and "wget -q" in webui["test"][1]


def test_ipc_is_rendered(mutate):
    catalog = load(mutate, {"op": "delete", "path": "vllm-rag.environments.production.containers.1.shm_size"},
                   setting("vllm-rag.environments.production.containers.1.ipc", "host"))
    spec = catalog.compose_project("vllm-rag", "production")["services"]["vllm-rag"]
    assert spec["ipc"] == "host" and "shm_size" not in spec


def test_wait_timeout_covers_the_slowest_start_period(catalog, mutate):
    # vllm-rag: 20m grace, then 3 retries of 2s interval and 4s timeout, plus 30s.
    assert catalog.wait_timeout("vllm-rag", "production") == 1200 + 18 + 30
    assert catalog.wait_timeout("vllm-rag", "production", minimum=3600) == 3600
    # The derived default: 60s grace period.
    assert catalog.wait_timeout("auth", "production") == 60 + 18 + 30
    # No healthcheck at all: only the minimum.
    assert catalog.wait_timeout("shared-postgres", "production", minimum=7) == 7
    # A catalog healthcheck without timings waits as long as Docker's defaults allow.
    assert catalog.wait_timeout("vllm-rag", "development") >= 0
    slow = load(mutate, setting("vllm-rag.environments.production.containers.2.healthcheck",
                                {"test": ["CMD", "true"], "start_period": "1h"}))
    assert slow.wait_timeout("vllm-rag", "production") == 3600 + 3 * 60 + 30


def test_stack_members_nobody_routes_stay_on_the_units_internal_network(catalog):
    project = catalog.compose_project("vllm-rag", "production")
    assert project["networks"] == {"vllm-rag-production-edge": {"name": "vllm-rag-production-edge", "external": True},
                                   "internal": {"name": "vllm-rag-production-internal"}}
    networks = {name: spec["networks"] for name, spec in project["services"].items()}
    # The routed ones meet Traefik on the edge network; nothing of the stack logs in to the shared
    # database server, so nothing of it is on the shared network.
    assert networks == {"open-webui-rag": ["vllm-rag-production-edge", "internal"],
                        "vllm-rag": ["vllm-rag-production-edge", "internal"],
                        "qdrant-rag": ["internal"], "postgres-rag": ["internal"],
                        "rag-ingest-engine": ["internal"]}
    unit = catalog.unit("vllm-rag", "production")
    assert (unit["internal_network"], unit["edge_network"]) == ("vllm-rag-production-internal", "vllm-rag-production-edge")
    # Units whose containers all use the shared database keep the one shared network.
    for service, environment in (("auth", "production"), ("shared-postgres", "production"),
                                 ("vllm-rag", "development")):
        project = catalog.compose_project(service, environment)
        assert "internal" not in project["networks"], service
        assert catalog.unit(service, environment)["internal_network"] is None
        assert catalog.unit(service, environment)["edge_network"] is None


def test_what_traefik_routes_off_the_shared_network_meets_it_on_an_edge_network_of_its_own(catalog):
    # A container on the shared network (any app) reaches neither the dashboard nor vLLM's
    # unauthenticated paths: they are on networks only Traefik shares with them.
    edges = catalog.edge_networks()
    assert edges == ["dashboard-production-edge", "l2p-production-edge", "vllm-rag-production-edge"]
    traefik = catalog.compose_project("traefik", "production")
    assert traefik["services"]["traefik"]["networks"] == ["platform"] + edges
    assert all(traefik["networks"][n] == {"name": n, "external": True} for n in edges)
    dashboard = catalog.compose_project("dashboard", "production")["services"]["vllm-dashboard"]
    assert dashboard["networks"] == ["dashboard-production-edge"]
    assert dashboard["labels"]["traefik.docker.network"] == "dashboard-production-edge"
    # A single container off the shared network has no peer: no internal network for it.
    assert catalog.unit("dashboard", "production")["internal_network"] is None
    l2p = catalog.compose_project("l2p", "production")["services"]
    assert (l2p["l2p-app"]["networks"], l2p["l2p-api"]["networks"]) == (
        ["l2p-production-edge", "internal"], ["platform", "internal"])
    assert catalog.networks() == ["platform", "platform-dev"] + edges
    for unit in catalog.units(environment="development"):
        assert catalog.unit(unit["service"], "development")["edge_network"] is None, unit["project"]


def test_labels_networks_health_and_updates_agree_on_what_traefik_routes(catalog):
    # One fact (Catalog.routed) behind all four: a container that gets a router also shares a
    # network with Traefik (the shared one or its unit's edge network), is probed through Traefik and may switch; one that does not gets none of it.
    routed = set()
    traefik = catalog.compose_project("traefik", "production")["services"]["traefik"]
    for unit in catalog.units():
        env = catalog.environment(unit["service"], unit["environment"])
        plan = catalog.update_plan(unit["service"], unit["environment"])
        https = set(t["container"] for t in catalog.health_targets(unit["environment"], unit["service"])
                    if t["kind"] == "https")
        for cont in env.containers:
            labels = catalog.traefik_labels(unit["service"], unit["environment"], cont.name)
            assert bool(labels) is catalog.routed(env, cont), cont.name
            assert ("not routed" in plan["recreate"].get(cont.service, "")) is not catalog.routed(env, cont)
            if cont.name in https:
                assert catalog.routed(env, cont), cont.name
            if catalog.routed(env, cont):
                routed.add(cont.name)
                # On the network its label names, by that name, and Traefik is on it too.
                project = catalog.compose_project(unit["service"], unit["environment"])
                network = labels["traefik.docker.network"]
                assert network in project["services"][cont.service]["networks"], cont.name
                assert project["networks"][network]["name"] == network
                assert network in traefik["networks"], cont.name
    assert {"auth-service", "l2p-app", "l2p-api", "web", "videovault", "vllm-rag"} <= routed
    assert not routed & {"shared-postgres", "traefik", "qdrant-rag", "l2p-backend-dev", "qdrant-dev"}


# ---------------------------------------------------------------- updates


def test_update_plan_switches_only_what_traefik_routes_in_production_and_can_run_twice(catalog, mutate):
    assert catalog.update_plan("auth", "production") == {"switch": ["auth-service"], "recreate": {}}
    # l2p's two routed containers switch together (one project).
    assert catalog.update_plan("l2p", "production")["switch"] == ["l2p-app", "l2p-api"]
    # Not routed: the database server recreates in place.
    assert catalog.update_plan("shared-postgres", "production")["switch"] == []
    assert "not routed" in catalog.update_plan("shared-postgres", "production")["recreate"]["shared-postgres"]
    # Development never switches.
    assert catalog.update_plan("l2p", "development")["switch"] == []
    # A volume two containers must not write at once, unless the catalog says shared (as it does).
    assert catalog.update_plan("videovault", "production")["switch"] == ["videovault"]
    exclusive = load(mutate, setting("videovault.environments.production.containers.0.volumes.0.shared", False))
    plan = exclusive.update_plan("videovault", "production")
    assert plan["switch"] == [] and "videovault-media" in plan["recreate"]["videovault"]
    # The catalog entry's own choice.
    recreate = load(mutate, setting("auth.environments.production.update", "recreate"))
    assert recreate.update_plan("auth", "production") == {
        "switch": [], "recreate": {"auth-service": "the catalog entry asks for update: recreate"}}
    assert catalog.unit("auth", "production")["update"]["switch"] == ["auth-service"]


def test_update_mode_is_checked(mutate):
    with pytest.raises(CatalogError) as err:
        load(mutate, setting("auth.environments.production.update", "rolling"))
    assert "platform_services.auth.environments.production.update" in str(err.value)
    assert "rolling" in str(err.value)
