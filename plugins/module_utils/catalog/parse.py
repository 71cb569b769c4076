# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading raw platform_services into the model: the shape of every field, with every error
collected and named by its path (platform_services.l2p.environments.development.ports[0]).

This file reads the domain, the services and their environments; catalog/parse_fields.py holds
the error collector and the shapes of single fields, catalog/parse_containers.py reads
containers and local dev servers. The rules between fields and between services are in
catalog/rules.py; parsing calls the environment and service rules as it goes. Private to
korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    DB_IDENT_RE,
    ENVIRONMENTS,
    LAYERS,
    PROVIDES,
    SERVICE_NAME_RE,
    UPDATE_MODES,
    Environment,
    Service,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import METHODS, method_of
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_containers import parse_container, parse_local_server
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_fields import (
    Checker,
    duration_seconds,
    health_conditions,
    host_name_problem,
    typename,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.rules import (
    check_environment,
    check_environment_set,
    check_service,
)

# Checker and duration_seconds are read from here by catalog.py and derive.py.
__all__ = ["Checker", "duration_seconds", "parse_domain", "parse_services"]

SERVICE_KEYS = ("layer", "description", "provides", "database", "tags", "environments")
ENVIRONMENT_KEYS = (
    "method", "hostname", "containers", "profile", "source", "script", "port", "health",
    "local_servers", "env", "secret_env", "database_server", "use_production_database", "use_production_secrets",
    "update",
)


def parse_domain(chk, domain):
    if not isinstance(domain, str) or not domain:
        chk.error("platform_domain", "must be a non-empty string, got %s" % typename(domain))
        return None
    problem = host_name_problem(domain)
    if problem is None and "." not in domain:
        problem = "a single label; a domain has at least two, such as korczewski.de"
    if problem:
        chk.error("platform_domain", "'%s' is not a valid DNS domain: %s" % (domain, problem))
        return None
    return domain


def parse_services(chk, services):
    parsed = {}
    if chk.mapping(services, "platform_services") is not None:
        for name, raw in services.items():
            svc = parse_service(chk, name, raw)
            if svc is not None:
                parsed[name] = svc
    return parsed


def parse_service(chk, name, raw):
    path = "platform_services.%s" % name
    if not isinstance(name, str) or not SERVICE_NAME_RE.match(name):
        chk.error(path, "'%s' is not a valid service name (lower-case letters, digits and '-', 2-42 "
                  "characters, starting with a letter)" % (name,))
        return None
    if chk.mapping(raw, path, SERVICE_KEYS) is None:
        return None
    layer = chk.choice(raw.get("layer"), path + ".layer", LAYERS, "layer")
    provides = raw.get("provides")
    if provides is not None:
        provides = chk.choice(provides, path + ".provides", PROVIDES, "capability")
    database = chk.string(raw.get("database"), path + ".database", pattern=DB_IDENT_RE,
                          what="PostgreSQL database name (lower-case letters, digits, '_', at most 63)")
    tags = [t for i, t in enumerate(chk.seq(raw.get("tags"), path + ".tags"))
            if chk.string(t, "%s.tags[%d]" % (path, i))]
    svc = Service(name=name, layer=layer, description=raw.get("description") or "", provides=provides,
                  database=database, tags=tags)
    check_service(chk, svc, path)
    envs = raw.get("environments")
    if chk.mapping(envs, path + ".environments") is None:
        return svc
    for env_name, env_raw in envs.items():
        env_path = "%s.environments.%s" % (path, env_name)
        if env_name not in ENVIRONMENTS:
            chk.error(env_path, "unknown environment '%s' (expected one of: %s)" % (env_name, ", ".join(ENVIRONMENTS)))
            continue
        env = parse_environment(chk, name, env_name, env_raw, env_path)
        if env is not None:
            svc.environments[env_name] = env
    check_environment_set(chk, svc, envs, path)
    return svc


def parse_environment(chk, service, name, raw, path):
    if chk.mapping(raw, path, ENVIRONMENT_KEYS) is None:
        return None
    method = chk.choice(raw.get("method"), path + ".method", METHODS, "method")
    env = Environment(service=service, name=name, method=method, kind=method_of(method) if method in METHODS else None)
    env.hostname = chk.hostname(raw.get("hostname"), path + ".hostname")
    env.env = chk.env(raw.get("env"), path + ".env")
    env.secret_env = chk.secret_vars(raw.get("secret_env"), path + ".secret_env")
    env.health_path = chk.health_path(raw.get("health"), path + ".health")
    env.health_conditions = health_conditions(chk, raw.get("health"), path + ".health")
    env.use_production_database = chk.boolean(raw.get("use_production_database"), path + ".use_production_database")
    env.use_production_secrets = chk.boolean(raw.get("use_production_secrets"), path + ".use_production_secrets")
    env.database_server = chk.string(raw.get("database_server"), path + ".database_server")
    if raw.get("update") is not None:
        env.update = chk.choice(raw.get("update"), path + ".update", UPDATE_MODES, "update mode")
    if raw.get("port") is not None:
        env.port = chk.port(raw.get("port"), path + ".port")
    env.source = chk.string(raw.get("source"), path + ".source")
    env.script = chk.string(raw.get("script"), path + ".script") or "dev"
    for i, item in enumerate(chk.seq(raw.get("containers"), path + ".containers")):
        cont = parse_container(chk, item, "%s.containers[%d]" % (path, i))
        if cont is not None:
            cont.index = i
            env.containers.append(cont)
    for i, item in enumerate(chk.seq(raw.get("local_servers"), path + ".local_servers")):
        server = parse_local_server(chk, item, "%s.local_servers[%d]" % (path, i))
        if server is not None:
            server.index = i
            env.local_servers.append(server)
    check_environment(chk, env, raw, path)
    if name == "development":
        # Development is reached on localhost ports only: no container of it is routed.
        for cont in env.containers:
            cont.route = None
    return env
