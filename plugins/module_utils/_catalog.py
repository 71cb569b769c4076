# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The service catalog: one model of the platform, used by filters, modules, roles and playbooks.

It reads ``platform_services`` and ``platform_domain``, validates them (collecting every error,
each naming the exact path of the offending value and the conflict) and derives what the rest of
the collection needs: compose projects, identity and Traefik labels, databases, health targets.
Standard library only, so modules can ship it to any host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import quote

LAYERS = ("infrastructure", "applications", "ai_ml", "control")
ENVIRONMENTS = ("production", "development")
METHODS = ("compose", "compose_profile", "compose_service", "npm", "hybrid")
CONTAINER_METHODS = ("compose", "compose_profile", "compose_service", "hybrid")
PROVIDES = ("proxy", "database")

LABEL_PREFIX = "korczewski.platform"
LABEL_SERVICE = LABEL_PREFIX + ".service"
LABEL_ENVIRONMENT = LABEL_PREFIX + ".environment"
LABEL_LAYER = LABEL_PREFIX + ".layer"
LABEL_UNIT = LABEL_PREFIX + ".unit"

DEFAULT_NETWORK = "platform"
LOOPBACK = ("127.0.0.1", "::1", "localhost")

SERVICE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")
# The pattern dockerd itself enforces for container names.
CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
COMPOSE_SERVICE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DB_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_DATABASES = ("postgres", "template0", "template1")

SERVICE_KEYS = ("layer", "description", "provides", "database", "tags", "environments")
ENVIRONMENT_KEYS = (
    "method", "hostname", "containers", "profile", "source", "script", "port", "health",
    "local_servers", "env", "secret_env", "database_server", "use_production_database",
)
CONTAINER_KEYS = (
    "name", "service", "image", "build", "command", "port", "publish", "route", "health",
    "healthcheck", "env", "secret_env", "volumes", "replicas", "resources", "depends_on",
    "database",
)
LOCAL_SERVER_KEYS = ("name", "source", "script", "port", "health", "env")


class CatalogError(Exception):
    """Raised with every validation error at once."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("platform_services is invalid:\n" + "\n".join("- " + e for e in self.errors))


@dataclass
class Publish:
    host: int
    container: int
    address: str = "127.0.0.1"


@dataclass
class Route:
    paths: list = field(default_factory=list)
    priority: int = 0


@dataclass
class Container:
    name: str
    service: str
    image: str = None
    build: str = None
    command: object = None
    port: int = None
    publish: list = field(default_factory=list)
    route: Route = None
    health_path: str = None
    healthcheck: dict = None
    env: dict = field(default_factory=dict)
    secret_env: list = field(default_factory=list)
    volumes: list = field(default_factory=list)
    replicas: int = 1
    resources: dict = None
    depends_on: list = field(default_factory=list)
    database: bool = True
    index: int = 0  # position in the catalog's containers list, for error paths


@dataclass
class LocalServer:
    name: str
    source: str
    script: str
    port: int
    health_path: str = None
    env: dict = field(default_factory=dict)
    index: int = 0  # position in the catalog's local_servers list, for error paths


@dataclass
class Environment:
    service: str
    name: str
    method: str
    hostname: str = None
    containers: list = field(default_factory=list)
    profile: str = None
    source: str = None
    script: str = "dev"
    port: int = None
    health_path: str = None
    local_servers: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    secret_env: list = field(default_factory=list)
    database_server: str = None
    use_production_database: bool = False

    @property
    def project(self):
        """Compose project name: one deployment unit per (service, environment)."""
        return "%s-%s" % (self.service, self.name)

    @property
    def servers(self):
        """Local dev servers: an npm environment is one, named after its service; hybrid lists its own."""
        if self.method == "npm":
            return [LocalServer(self.service, self.source, self.script, self.port, self.health_path)]
        return list(self.local_servers)


@dataclass
class Service:
    name: str
    layer: str
    description: str = ""
    provides: str = None
    database: str = None
    tags: list = field(default_factory=list)
    environments: dict = field(default_factory=dict)

    @property
    def database_user(self):
        """Login role owning the database: auth_db is owned by auth_user."""
        if not self.database:
            return None
        return (self.database[:-3] if self.database.endswith("_db") else self.database) + "_user"


class _Checker:
    """Collects errors with their paths while the raw data is parsed."""

    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))

    def warn(self, path, message):
        self.warnings.append("%s: %s" % (path, message))

    def mapping(self, value, path, allowed=None):
        if not isinstance(value, dict):
            self.error(path, "must be a mapping, got %s" % _typename(value))
            return None
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.error("%s.%s" % (path, key), "unknown key '%s' (expected one of: %s)"
                               % (key, ", ".join(allowed)))
        return value

    def seq(self, value, path):
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list, got %s" % _typename(value))
            return []
        return value

    def string(self, value, path, required=False, pattern=None, what=None):
        if value is None:
            if required:
                self.error(path, "is required")
            return None
        if not isinstance(value, str) or not value:
            self.error(path, "must be a non-empty string, got %s" % _typename(value))
            return None
        if pattern is not None and not pattern.match(value):
            self.error(path, "'%s' is not a valid %s" % (value, what))
            return None
        return value

    def choice(self, value, path, choices, what):
        if value is None:
            self.error(path, "is required")
            return None
        if value not in choices:
            self.error(path, "unknown %s '%s' (expected one of: %s)" % (what, value, ", ".join(choices)))
            return None
        return value

    def port(self, value, path):
        # Inventory templating may hand over "5500" where YAML said 5500.
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "port must be an integer, got %s" % _typename(value))
            return None
        if not 1 <= value <= 65535:
            self.error(path, "port %d is out of range 1..65535" % value)
            return None
        return value

    def boolean(self, value, path, default=False):
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, "must be true or false, got %s" % _typename(value))
            return default
        return value

    def env(self, value, path):
        result = {}
        if value is None:
            return result
        if self.mapping(value, path) is None:
            return result
        for key, val in value.items():
            if not isinstance(key, str) or not ENV_NAME_RE.match(key):
                self.error("%s.%s" % (path, key), "'%s' is not a valid environment variable name" % key)
                continue
            if isinstance(val, (dict, list)) or val is None:
                self.error("%s.%s" % (path, key), "must be a string, number or boolean, got %s" % _typename(val))
                continue
            result[key] = _env_value(val)
        return result

    def names(self, value, path):
        result = []
        for i, item in enumerate(self.seq(value, path)):
            name = self.string(item, "%s[%d]" % (path, i), pattern=ENV_NAME_RE, what="environment variable name")
            if name:
                result.append(name)
        return result

    def health_path(self, value, path):
        if value is None:
            return None
        if isinstance(value, dict):
            self.mapping(value, path, ("path",))
            value = value.get("path")
            path += ".path"
        if not isinstance(value, str) or not value.startswith("/"):
            self.error(path, "health path must be a string starting with '/', got %r" % (value,))
            return None
        return value


def _typename(value):
    if value is None:
        return "null"
    if value == "":
        return "an empty string"
    # isinstance, not type(): Ansible hands over subclasses such as _AnsibleLazyTemplateDict.
    for kind, name in ((bool, "boolean"), (dict, "mapping"), (list, "list"), (str, "string"), (int, "integer"),
                       (float, "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _env_value(val):
    if isinstance(val, bool):
        return "true" if val else "false"
    return str(val)


class Catalog:
    """A validated catalog. Build it with :meth:`load`; it raises :class:`CatalogError`."""

    def __init__(self, services, domain, network=DEFAULT_NETWORK, warnings=None):
        self.services = services
        self.domain = domain
        self.network = network
        self.warnings = warnings if warnings is not None else []

    # ---------------------------------------------------------------- loading and validation
    @classmethod
    def check(cls, services, domain, network=DEFAULT_NETWORK):
        """Return (catalog or None, errors, warnings); never raises on bad input."""
        chk = _Checker()
        parsed = {}
        domain = _check_domain(chk, domain)
        if chk.mapping(services, "platform_services") is not None:
            for name, raw in services.items():
                svc = _parse_service(chk, name, raw)
                if svc is not None:
                    parsed[name] = svc
        catalog = cls(parsed, domain, network, chk.warnings)
        _check_cross(chk, catalog)
        if chk.errors:
            return None, chk.errors, chk.warnings
        return catalog, [], chk.warnings

    @classmethod
    def load(cls, services, domain, network=DEFAULT_NETWORK):
        catalog, errors, dummy = cls.check(services, domain, network)
        if errors:
            raise CatalogError(errors)
        return catalog

    # ---------------------------------------------------------------- lookups
    def service(self, name):
        try:
            return self.services[name]
        except KeyError:
            raise CatalogError(["unknown service '%s' (known: %s)" % (name, ", ".join(sorted(self.services)))])

    def environment(self, service, environment):
        svc = self.service(service)
        try:
            return svc.environments[environment]
        except KeyError:
            raise CatalogError(["service '%s' has no environment '%s' (it has: %s)"
                                % (service, environment, ", ".join(svc.environments))])

    def ordered(self, layer=None, environment=None, tags=None, reverse=False):
        """Services in vertical order (infrastructure first), filtered; names only."""
        wanted_tags = set(_as_list(tags))
        names = []
        for lay in LAYERS:
            for name in sorted(self.services):
                svc = self.services[name]
                if svc.layer != lay or (layer and lay not in _as_list(layer)):
                    continue
                if environment and not set(_as_list(environment)) & set(svc.environments):
                    continue
                if wanted_tags and not wanted_tags & ({name, lay} | set(svc.tags)):
                    continue
                names.append(name)
        return list(reversed(names)) if reverse else names

    def units(self, layer=None, environment=None, tags=None, reverse=False):
        """(service, environment) pairs in vertical order, production before development."""
        envs = _as_list(environment) if environment else list(ENVIRONMENTS)
        result = []
        for name in self.ordered(layer=layer, tags=tags):
            for env in ENVIRONMENTS:
                if env in envs and env in self.services[name].environments:
                    result.append({"service": name, "environment": env, "layer": self.services[name].layer,
                                   "method": self.services[name].environments[env].method,
                                   "project": self.services[name].environments[env].project})
        return list(reversed(result)) if reverse else result

    def provider(self, kind):
        for svc in self.services.values():
            if svc.provides == kind:
                return svc
        return None

    def database_server(self, env):
        """Container name of the database server an environment uses."""
        if env.database_server:
            return env.database_server
        provider = self.provider("database")
        if provider is None:
            return None
        target = "production" if env.use_production_database else env.name
        penv = provider.environments.get(target)
        return penv.containers[0].name if penv and penv.containers else None

    def network_for(self, environment):
        """Development gets its own network: it cannot reach production containers at all."""
        return self.network if environment == "production" else "%s-dev" % self.network

    def networks(self):
        return [self.network_for(env) for env in ENVIRONMENTS]

    def hostname(self, env):
        if not env.hostname:
            return None
        return env.hostname if "." in env.hostname else "%s.%s" % (env.hostname, self.domain)

    # ---------------------------------------------------------------- derivations
    def identity_labels(self, service, environment):
        svc = self.service(service)
        env = self.environment(service, environment)
        return {LABEL_SERVICE: svc.name, LABEL_ENVIRONMENT: env.name, LABEL_LAYER: svc.layer,
                LABEL_UNIT: env.project}

    def container_names(self, service=None, environment=None):
        names = []
        for svc_name in self.ordered():
            if service and svc_name not in _as_list(service):
                continue
            for env in self.services[svc_name].environments.values():
                if environment and env.name not in _as_list(environment):
                    continue
                names.extend(c.name for c in env.containers)
        return names

    def traefik_labels(self, service, environment, container, entrypoint="websecure", certresolver=None,
                       middlewares=None):
        """Docker labels that route ``<service>.<domain>`` (plus any catalog paths) to a container."""
        env = self.environment(service, environment)
        cont = _find_container(env, container)
        host = self.hostname(env)
        if host is None or cont.route is None or cont.port is None:
            return {}
        # Traefik label keys are dot-separated: a '.' in a router name would split the key.
        router = ("%s-%s" % (service, cont.service)).replace(".", "-")
        rule = "Host(`%s`)" % host
        if cont.route.paths:
            rule += " && (%s)" % " || ".join("PathPrefix(`%s`)" % p for p in cont.route.paths)
        prefix = "traefik.http.routers.%s" % router
        labels = {
            "traefik.enable": "true",
            "traefik.docker.network": self.network,
            prefix + ".rule": rule,
            prefix + ".entrypoints": entrypoint,
            prefix + ".tls": "true",
            prefix + ".service": router,
            "traefik.http.services.%s.loadbalancer.server.port" % router: str(cont.port),
        }
        if cont.route.priority:
            labels[prefix + ".priority"] = str(cont.route.priority)
        if certresolver:
            labels[prefix + ".tls.certresolver"] = certresolver
        if middlewares:
            labels[prefix + ".middlewares"] = ",".join(middlewares)
        if cont.health_path:
            labels["traefik.http.services.%s.loadbalancer.healthcheck.path" % router] = cont.health_path
        return labels

    def databases(self, environment="production"):
        """Databases a database server must hold: derived from the services that use them."""
        result = []
        for name in self.ordered():
            svc = self.services[name]
            env = svc.environments.get(environment)
            if not svc.database or env is None:
                continue
            if env.use_production_database and environment != "production":
                continue
            result.append({"name": svc.database, "owner": svc.database_user, "service": name,
                           "server": self.database_server(env)})
        return result

    def database_settings(self, service, environment, password=None, port=5432):
        """Connection settings for one environment. The password only appears where one is given."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if not svc.database:
            return {}
        host = self.database_server(env)
        if env.servers:
            host, port = "127.0.0.1", self._database_host_port(env, port)
        settings = {"DATABASE_HOST": host, "DATABASE_PORT": str(port), "DATABASE_NAME": svc.database,
                    "DATABASE_USER": svc.database_user}
        if password is not None:
            settings["DATABASE_PASSWORD"] = password
            settings["DATABASE_URL"] = "postgresql://%s:%s@%s:%s/%s" % (
                svc.database_user, quote(str(password), safe=""), host, port, svc.database)
        return settings

    def _database_host_port(self, env, default):
        """Local dev servers reach their database through its published loopback port."""
        server = self.database_server(env)
        for svc in self.services.values():
            for penv in svc.environments.values():
                for cont in penv.containers:
                    if cont.name == server and cont.publish:
                        return cont.publish[0].host
        return default

    def health_targets(self, environment=None, service=None, https_port=443):
        """Where each unit answers its health probe: through Traefik, a loopback port or Docker."""
        targets = []
        for unit in self.units(environment=environment, tags=_as_list(service) if service else None):
            svc = self.services[unit["service"]]
            env = svc.environments[unit["environment"]]
            host = self.hostname(env)
            for cont in env.containers:
                target = {"service": svc.name, "environment": env.name, "name": cont.name,
                          "kind": "container", "container": cont.name}
                if host and cont.health_path and _routes_path(cont, cont.health_path):
                    target.update(url="https://%s:%d%s" % (host, https_port, cont.health_path),
                                  host=host, kind="https")
                elif cont.publish and cont.health_path:
                    target.update(url="http://127.0.0.1:%d%s" % (cont.publish[0].host, cont.health_path),
                                  kind="http")
                targets.append(target)
            for server in env.servers:
                target = {"service": svc.name, "environment": env.name, "name": server.name, "kind": "tcp",
                          "port": server.port}
                if server.health_path:
                    target.update(kind="http", url="http://127.0.0.1:%d%s" % (server.port, server.health_path))
                targets.append(target)
        return targets

    def compose_project(self, service, environment, extra_labels=None, traefik=None, env_file=None):
        """A compose project (as a dict) for one (service, environment) deployment unit."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if env.method not in CONTAINER_METHODS:
            raise CatalogError(["%s.%s uses method %s, which has no compose project"
                                % (service, environment, env.method)])
        traefik = traefik or {}
        identity = self.identity_labels(service, environment)
        network = self.network_for(environment)
        project = {"name": env.project, "services": {}, "networks": {
            network: {"name": network, "external": True}}}
        volumes = {}
        for cont in env.containers:
            spec = {"container_name": cont.name, "restart": "unless-stopped", "networks": [network]}
            if cont.replicas > 1:
                # Docker forbids one fixed container name for several replicas.
                del spec["container_name"]
                spec["deploy"] = {"replicas": cont.replicas}
            if cont.image:
                spec["image"] = cont.image
            if cont.build:
                spec["build"] = {"context": cont.build}
            if cont.command is not None:
                spec["command"] = cont.command
            envvars = dict(env.env)
            envvars.update(cont.env)
            envvars.update({"SERVICE_NAME": svc.name, "PLATFORM_ENVIRONMENT": env.name})
            if cont.port:
                envvars.setdefault("PORT", str(cont.port))
            # Catalog values are literal: '$$' keeps compose from interpolating a '$' in them.
            spec["environment"] = {k: v.replace("$", "$$") for k, v in sorted(envvars.items())}
            if env_file and (cont.secret_env or env.secret_env or (svc.database and cont.database)):
                spec["env_file"] = [env_file]
            labels = dict(identity)
            labels.update(extra_labels or {})
            if env.name == "production":
                labels.update(self.traefik_labels(service, environment, cont.name, **traefik))
            spec["labels"] = dict(sorted(labels.items()))
            if cont.publish:
                spec["ports"] = ["%s:%d:%d" % (_addr(p.address), p.host, p.container) for p in cont.publish]
            healthcheck = _healthcheck(cont)
            if healthcheck:
                spec["healthcheck"] = healthcheck
            if cont.volumes:
                spec["volumes"] = []
                for vol in cont.volumes:
                    spec["volumes"].append("%s:%s" % (vol["name"], vol["path"]))
                    volumes[vol["name"]] = {"name": vol["name"]}
            if cont.resources:
                limits = {}
                if "cpus" in cont.resources:
                    limits["cpus"] = str(cont.resources["cpus"])
                if "memory" in cont.resources:
                    limits["memory"] = str(cont.resources["memory"])
                spec.setdefault("deploy", {})["resources"] = {"limits": limits}
            if cont.depends_on:
                # Compose keys depends_on by compose service, which the catalog may name by container.
                deps = [_find_container(env, d) for d in cont.depends_on]
                spec["depends_on"] = {dep.service: {"condition": "service_healthy" if _healthcheck(dep)
                                                    else "service_started"} for dep in deps}
            project["services"][cont.service] = spec
        if volumes:
            project["volumes"] = volumes
        return project

    def unit(self, service, environment):
        """Everything a role needs to deploy one (service, environment), secrets only as paths."""
        svc = self.service(service)
        env = self.environment(service, environment)
        server = self.database_server(env) if svc.database else None
        return {
            "service": svc.name, "environment": env.name, "layer": svc.layer, "method": env.method,
            "project": env.project, "network": self.network_for(environment),
            "hostname": self.hostname(env), "profile": env.profile,
            "containers": [c.name for c in env.containers],
            "local_servers": [{"name": "%s-%s" % (env.project, s.name) if s.name != svc.name else env.project,
                               "source": s.source, "script": s.script, "port": s.port,
                               "health_path": s.health_path, "env": dict(env.env, **s.env)}
                              for s in env.servers],
            "database": {"server": server, "name": svc.database, "user": svc.database_user,
                         "secret_path": "%s/%s" % (server, svc.database)} if server else None,
            "secrets": {name: "%s/%s" % (svc.name, name) for name in self.secret_names(service, environment)},
        }

    def secret_names(self, service, environment):
        """Environment variable names an environment reads from the vault."""
        env = self.environment(service, environment)
        names = list(env.secret_env)
        for cont in env.containers:
            names.extend(n for n in cont.secret_env if n not in names)
        return names


def _healthcheck(cont):
    """The catalog's healthcheck, else one probing the health path with curl or wget, which most
    application images carry."""
    if cont.healthcheck:
        return dict(cont.healthcheck)
    if not (cont.health_path and cont.port):
        return None
    url = "http://127.0.0.1:%d%s" % (cont.port, cont.health_path)
    probe = ("if command -v curl >/dev/null; then curl -fsS -o /dev/null %s; "
             "else wget -q -O /dev/null %s; fi" % (url, url))
    return {"test": ["CMD-SHELL", probe],
            "interval": "5s", "timeout": "4s", "retries": 5, "start_period": "60s"}


def _addr(address):
    return "[%s]" % address if ":" in address else address


def _routes_path(cont, path):
    """Whether Traefik sends a request for path to this container; a health path outside its
    path rule is probed through Docker's healthcheck instead of through Traefik."""
    if cont.route is None:
        return False
    return not cont.route.paths or any(path == p or path.startswith(p.rstrip("/") + "/") for p in cont.route.paths)


def _find_container(env, name):
    for cont in env.containers:
        if name in (cont.name, cont.service):
            return cont
    raise CatalogError(["%s.%s has no container '%s'" % (env.service, env.name, name)])


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def env_file_text(variables):
    """Render a compose/dotenv file. Single quotes keep values literal; the rest is escaped."""
    lines = []
    for key in sorted(variables, key=str):
        if not ENV_NAME_RE.match(str(key)):
            raise CatalogError(["'%s' is not a valid environment variable name" % key])
        value = _env_value(variables[key])
        if "\n" in value or "\r" in value:
            raise CatalogError(["%s: multi-line values are not supported in an env file" % key])
        # Compose reads a backslash before the closing single quote as an escaped quote.
        if "'" not in value and not value.endswith("\\"):
            lines.append("%s='%s'" % (key, value))
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
            lines.append('%s="%s"' % (key, escaped))
    return "".join(line + "\n" for line in lines)


def parse_env_file(text):
    """Read a dotenv file (such as the seed's central .env) into a dict, for migration."""
    result = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not ENV_NAME_RE.match(key):
            raise CatalogError(["line %d: expected KEY=value, got %r" % (number, raw)])
        value = value.strip()
        if value[:1] == "'" and value.endswith("'") and len(value) > 1:
            value = value[1:-1]
        elif value[:1] == '"' and value.endswith('"') and len(value) > 1:
            # One pass, so an escaped backslash before 'n' stays a backslash and an 'n'.
            value = re.sub(r'\\(["\\$n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])
        else:
            value = value.split(" #", 1)[0].rstrip()
        result[key] = value
    return result


# -------------------------------------------------------------------- parsing


def _check_domain(chk, domain):
    if not isinstance(domain, str) or not domain:
        chk.error("platform_domain", "must be a non-empty string, got %s" % _typename(domain))
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(DNS_LABEL_RE.match(lab) for lab in labels):
        chk.error("platform_domain", "'%s' is not a valid DNS domain (lower-case labels separated by dots)"
                  % domain)
        return None
    return domain


def _parse_service(chk, name, raw):
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
        if provides and layer and layer != "infrastructure":
            chk.error(path + ".provides", "only infrastructure services provide %s to the others" % provides)
    database = chk.string(raw.get("database"), path + ".database", pattern=DB_IDENT_RE,
                          what="PostgreSQL database name (lower-case letters, digits, '_', at most 63)")
    if database in RESERVED_DATABASES:
        chk.error(path + ".database", "'%s' is a PostgreSQL system database; name the service's own database"
                  % database)
        database = None
    tags = [t for i, t in enumerate(chk.seq(raw.get("tags"), path + ".tags"))
            if chk.string(t, "%s.tags[%d]" % (path, i))]
    svc = Service(name=name, layer=layer, description=raw.get("description") or "", provides=provides,
                  database=database, tags=tags)
    envs = raw.get("environments")
    if chk.mapping(envs, path + ".environments") is None:
        return svc
    for env_name, env_raw in envs.items():
        env_path = "%s.environments.%s" % (path, env_name)
        if env_name not in ENVIRONMENTS:
            chk.error(env_path, "unknown environment '%s' (expected one of: %s)" % (env_name, ", ".join(ENVIRONMENTS)))
            continue
        env = _parse_environment(chk, name, env_name, env_raw, env_path)
        if env is not None:
            svc.environments[env_name] = env
    if layer and layer != "infrastructure":
        # Single environment rule: one production and one development per application.
        for env_name in ENVIRONMENTS:
            if env_name not in envs:
                chk.error(path + ".environments", "missing %s environment: every %s service has exactly one "
                          "production and one development environment" % (env_name, layer))
    elif layer == "infrastructure" and "production" not in envs:
        chk.error(path + ".environments", "missing production environment: infrastructure is production first")
    return svc


def _parse_environment(chk, service, name, raw, path):
    if chk.mapping(raw, path, ENVIRONMENT_KEYS) is None:
        return None
    method = chk.choice(raw.get("method"), path + ".method", METHODS, "method")
    env = Environment(service=service, name=name, method=method)
    env.hostname = chk.string(raw.get("hostname"), path + ".hostname")
    env.env = chk.env(raw.get("env"), path + ".env")
    env.secret_env = chk.names(raw.get("secret_env"), path + ".secret_env")
    env.health_path = chk.health_path(raw.get("health"), path + ".health")
    env.use_production_database = chk.boolean(raw.get("use_production_database"), path + ".use_production_database")
    env.database_server = chk.string(raw.get("database_server"), path + ".database_server")
    if raw.get("port") is not None:
        env.port = chk.port(raw.get("port"), path + ".port")
    env.source = chk.string(raw.get("source"), path + ".source")
    env.script = chk.string(raw.get("script"), path + ".script") or "dev"
    env.profile = chk.string(raw.get("profile"), path + ".profile") or (
        name if method == "compose_profile" else None)
    for i, item in enumerate(chk.seq(raw.get("containers"), path + ".containers")):
        cont = _parse_container(chk, item, "%s.containers[%d]" % (path, i))
        if cont is not None:
            cont.index = i
            env.containers.append(cont)
    for i, item in enumerate(chk.seq(raw.get("local_servers"), path + ".local_servers")):
        server = _parse_local_server(chk, item, "%s.local_servers[%d]" % (path, i))
        if server is not None:
            server.index = i
            env.local_servers.append(server)

    if method == "npm":
        if env.source is None:
            chk.error(path + ".source", "is required for method npm (the directory holding package.json)")
        if env.port is None and raw.get("port") is None:
            chk.error(path + ".port", "is required for method npm (the port the dev server listens on)")
        if raw.get("containers"):
            chk.error(path + ".containers", "method npm runs no containers; use method hybrid for both")
    elif method in CONTAINER_METHODS:
        if not raw.get("containers"):
            chk.error(path + ".containers", "method %s needs at least one container" % method)
        if raw.get("source") is not None and method != "hybrid":
            chk.error(path + ".source", "only npm and hybrid environments have a source directory")
    if raw.get("local_servers") and method != "hybrid":
        chk.error(path + ".local_servers", "only hybrid environments run local servers")
    if raw.get("profile") is not None and method != "compose_profile":
        chk.error(path + ".profile", "only compose_profile environments have a profile")
    if name == "development" and env.hostname:
        chk.error(path + ".hostname", "development is reached on localhost ports, never through Traefik")
    seen = {}
    for cont in env.containers:
        i = cont.index
        cpath = "%s.containers[%d]" % (path, i)
        if cont.service in seen:
            chk.error(cpath + ".service", "compose service '%s' is also defined by containers[%d]"
                      % (cont.service, seen[cont.service]))
        seen.setdefault(cont.service, i)
        if name == "development" and cont.route is not None and raw.get("containers")[i].get("route") is not None:
            chk.error(cpath + ".route", "development is reached on localhost ports, never through Traefik")
        if name == "development":
            cont.route = None
        for j, pub in enumerate(cont.publish):
            if name == "development" and pub.address not in LOOPBACK:
                chk.error("%s.publish[%d].address" % (cpath, j), "development publishes on 127.0.0.1 only, "
                          "not on %s" % pub.address)
        for dep in cont.depends_on:
            if dep not in [c.name for c in env.containers] + [c.service for c in env.containers]:
                chk.error(cpath + ".depends_on", "'%s' is not a container of %s.%s" % (dep, service, name))
    return env


def _parse_publish(chk, item, path, default_container):
    if isinstance(item, dict):
        chk.mapping(item, path, ("host", "container", "address"))
        host = chk.port(item.get("host"), path + ".host")
        if item.get("container") is not None:
            cport = chk.port(item.get("container"), path + ".container")
        else:
            # Without a container port, the container listens on its own port (or the host's).
            cport = default_container or host
        address = chk.string(item.get("address"), path + ".address") or "127.0.0.1"
        try:
            ipaddress.ip_address(address)
        except ValueError:
            # Docker binds published ports to an IP address only; "localhost" breaks compose up.
            chk.error(path + ".address", "'%s' is not an IP address (such as 127.0.0.1 or ::1)" % address)
            return None
    else:
        host = chk.port(item, path)
        cport = default_container or host
        address = "127.0.0.1"
    if host is None or cport is None:
        return None
    return Publish(host=host, container=cport, address=address)


def _parse_container(chk, raw, path):
    if chk.mapping(raw, path, CONTAINER_KEYS) is None:
        return None
    name = chk.string(raw.get("name"), path + ".name", required=True, pattern=CONTAINER_NAME_RE,
                      what="Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)")
    if name is None:
        return None
    cservice = chk.string(raw.get("service"), path + ".service", pattern=COMPOSE_SERVICE_RE,
                          what="compose service name") or name
    cont = Container(name=name, service=cservice)
    cont.image = chk.string(raw.get("image"), path + ".image")
    cont.build = chk.string(raw.get("build"), path + ".build")
    if not (cont.image or cont.build) and raw.get("image") is None and raw.get("build") is None:
        chk.error(path, "container '%s' needs an image or a build context" % name)
    cont.command = raw.get("command")
    if raw.get("port") is not None:
        cont.port = chk.port(raw.get("port"), path + ".port")
    for j, item in enumerate(chk.seq(raw.get("publish"), path + ".publish")):
        pub = _parse_publish(chk, item, "%s.publish[%d]" % (path, j), cont.port)
        if pub is not None:
            cont.publish.append(pub)
    route = raw.get("route", True if cont.port else None)
    if route is True or route is None:
        cont.route = Route() if route else None
    elif route is False:
        cont.route = None
    elif chk.mapping(route, path + ".route", ("paths", "priority")) is not None:
        paths = []
        for j, p in enumerate(chk.seq(route.get("paths"), path + ".route.paths")):
            if not isinstance(p, str) or not p.startswith("/"):
                chk.error("%s.route.paths[%d]" % (path, j), "path must start with '/', got %r" % (p,))
            else:
                paths.append(p)
        priority = route.get("priority", 100 if paths else 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
            chk.error(path + ".route.priority", "must be a non-negative integer, got %r" % (priority,))
            priority = 0
        cont.route = Route(paths=paths, priority=priority)
    if cont.route is not None and cont.port is None:
        chk.error(path + ".route", "a routed container needs a port")
    cont.health_path = chk.health_path(raw.get("health"), path + ".health")
    hc = raw.get("healthcheck")
    if hc is not None and chk.mapping(hc, path + ".healthcheck") is not None:
        if not isinstance(hc.get("test"), (list, str)):
            chk.error(path + ".healthcheck.test", "is required: a command list or string")
        cont.healthcheck = hc
    cont.env = chk.env(raw.get("env"), path + ".env")
    cont.secret_env = chk.names(raw.get("secret_env"), path + ".secret_env")
    for j, vol in enumerate(chk.seq(raw.get("volumes"), path + ".volumes")):
        vpath = "%s.volumes[%d]" % (path, j)
        if chk.mapping(vol, vpath, ("name", "path")) is None:
            continue
        vname = chk.string(vol.get("name"), vpath + ".name", required=True, pattern=CONTAINER_NAME_RE,
                           what="volume name")
        vdir = chk.string(vol.get("path"), vpath + ".path", required=True)
        if vdir and not vdir.startswith("/"):
            chk.error(vpath + ".path", "must be an absolute path inside the container, got '%s'" % vdir)
        elif vname and vdir:
            cont.volumes.append({"name": vname, "path": vdir})
    replicas = raw.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        chk.error(path + ".replicas", "must be a positive integer, got %r" % (replicas,))
    else:
        cont.replicas = replicas
        if replicas > 1 and cont.publish:
            chk.error(path + ".replicas", "%d replicas cannot all bind host port %d; a container that "
                      "publishes ports runs one replica" % (replicas, cont.publish[0].host))
    res = raw.get("resources")
    if res is not None and chk.mapping(res, path + ".resources", ("cpus", "memory")) is not None:
        cont.resources = res
    cont.depends_on = [d for j, d in enumerate(chk.seq(raw.get("depends_on"), path + ".depends_on"))
                       if chk.string(d, "%s.depends_on[%d]" % (path, j))]
    cont.database = chk.boolean(raw.get("database"), path + ".database", default=True)
    return cont


def _parse_local_server(chk, raw, path):
    if chk.mapping(raw, path, LOCAL_SERVER_KEYS) is None:
        return None
    name = chk.string(raw.get("name"), path + ".name", required=True, pattern=SERVICE_NAME_RE, what="server name")
    source = chk.string(raw.get("source"), path + ".source", required=True)
    port = chk.port(raw.get("port"), path + ".port") if raw.get("port") is not None else None
    if port is None and raw.get("port") is None:
        chk.error(path + ".port", "is required")
    if not (name and source and port):
        return None
    return LocalServer(name=name, source=source, script=chk.string(raw.get("script"), path + ".script") or "dev",
                       port=port, health_path=chk.health_path(raw.get("health"), path + ".health"),
                       env=chk.env(raw.get("env"), path + ".env"))


# -------------------------------------------------------------------- cross-service rules


def _check_cross(chk, catalog):
    _check_ports(chk, catalog)
    _check_hostnames(chk, catalog)
    _check_container_names(chk, catalog)
    _check_databases(chk, catalog)
    _check_providers(chk, catalog)
    _check_volumes(chk, catalog)


def _env_path(svc, env):
    return "platform_services.%s.environments.%s" % (svc.name, env.name)


class _Claims:
    """Names that only one place may hold (ports, host names, containers, databases): the first
    claim wins, every later one is an error naming the holder."""

    def __init__(self, chk):
        self.chk = chk
        self.holders = {}

    def take(self, key, holder, path, conflict):
        """Claim key for holder; conflict is a message with a %s for the current holder."""
        if key in self.holders:
            self.chk.error(path, conflict % self.holders[key])
            return False
        self.holders[key] = holder
        return True


def _check_ports(chk, catalog):
    ports = _Claims(chk)
    for svc in catalog.services.values():
        for env in svc.environments.values():
            base = _env_path(svc, env)
            claims = []
            if env.method == "npm" and env.port:
                claims.append((env.port, base + ".port"))
            for server in env.local_servers:
                claims.append((server.port, "%s.local_servers[%d].port" % (base, server.index)))
            for cont in env.containers:
                for j, pub in enumerate(cont.publish):
                    claims.append((pub.host, "%s.containers[%d].publish[%d]" % (base, cont.index, j)))
            for port, path in claims:
                ports.take(port, "%s.%s (%s)" % (svc.name, env.name, path), path,
                           "port %d is also used by %%s" % port)


def _check_hostnames(chk, catalog):
    hostnames = _Claims(chk)
    for svc in catalog.services.values():
        env = svc.environments.get("production")
        if env is None:
            continue
        path = _env_path(svc, env) + ".hostname"
        # Checked first: a missing or broken host name must not hide a published port.
        if svc.layer != "infrastructure":
            for cont in env.containers:
                if cont.publish:
                    chk.error("%s.containers[%d].publish" % (_env_path(svc, env), cont.index),
                              "production applications are reached only through Traefik, not on host ports")
        routed = [c for c in env.containers if c.route is not None]
        if routed and not env.hostname:
            chk.error(path, "is required: containers %s are routed by Traefik"
                      % ", ".join(c.name for c in routed))
        if not env.hostname:
            continue
        fqdn = catalog.hostname(env) if catalog.domain else env.hostname
        catch_all = [c.name for c in routed if not c.route.paths]
        if len(catch_all) > 1:
            chk.error(path, "containers %s all route every path of '%s'; give all but one route.paths"
                      % (", ".join(catch_all), fqdn))
        if "." in env.hostname:
            if not all(DNS_LABEL_RE.match(label) for label in fqdn.split(".")):
                chk.error(path, "'%s' is not a valid host name (lower-case DNS labels separated by dots)" % fqdn)
                continue
            if catalog.domain and not fqdn.endswith("." + catalog.domain):
                chk.error(path, "'%s' is outside platform_domain '%s'" % (fqdn, catalog.domain))
                continue
        elif not DNS_LABEL_RE.match(env.hostname):
            chk.error(path, "'%s' is not a valid DNS label" % env.hostname)
            continue
        if not catalog.domain:
            continue
        hostnames.take(fqdn, svc.name, path, "host name '%s' is also claimed by %%s" % fqdn)


def _check_container_names(chk, catalog):
    names = _Claims(chk)
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                path = "%s.containers[%d].name" % (_env_path(svc, env), cont.index)
                names.take(cont.name, "%s.%s" % (svc.name, env.name), path,
                           "container name '%s' is also used by %%s" % cont.name)
                if not cont.name.startswith(svc.name):
                    chk.warn(path, "container '%s' is not prefixed by its service '%s'; it is identified by "
                             "its labels" % (cont.name, svc.name))


def _check_databases(chk, catalog):
    databases = _Claims(chk)
    roles = _Claims(chk)
    for svc in catalog.services.values():
        if not svc.database:
            continue
        path = "platform_services.%s.database" % svc.name
        if databases.take(svc.database, svc.name, path, "database '%s' is also claimed by %%s" % svc.database):
            roles.take(svc.database_user, svc.name, path, "database '%s' would be owned by role '%s', which "
                       "%%s's database already uses" % (svc.database, svc.database_user))


def _check_volumes(chk, catalog):
    """A named volume is production's or development's, never both: development never sees production data."""
    owners = {}
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                path = "%s.containers[%d].volumes" % (_env_path(svc, env), cont.index)
                for vol in cont.volumes:
                    owner_env, owner = owners.setdefault(vol["name"], (env.name, "%s.%s" % (svc.name, env.name)))
                    if owner_env != env.name:
                        chk.error(path, "volume '%s' is also used by %s: production and development never "
                                  "share data" % (vol["name"], owner))


def _check_providers(chk, catalog):
    servers = {}
    for kind in PROVIDES:
        providers = [s.name for s in catalog.services.values() if s.provides == kind]
        if len(providers) > 1:
            for name in providers[1:]:
                chk.error("platform_services.%s.provides" % name, "%s is also provided by %s: infrastructure "
                          "is shared, one of each" % (kind, providers[0]))
    provider = catalog.provider("database")
    if provider is not None:
        for env in provider.environments.values():
            if env.containers:
                servers[env.containers[0].name] = env.name
    for svc in catalog.services.values():
        for env in svc.environments.values():
            path = _env_path(svc, env)
            if env.database_server is not None and env.database_server not in servers:
                chk.error(path + ".database_server", "'%s' is not a database server (known: %s)"
                          % (env.database_server, ", ".join(sorted(servers)) or "none"))
                continue
            if not svc.database or provider is None or svc is provider:
                continue
            server_env = servers.get(catalog.database_server(env))
            if server_env is None:
                chk.error(path, "%s needs a %s database server, but %s has no %s environment"
                          % (svc.database, env.name, provider.name, env.name))
            elif env.name == "development" and server_env == "production" and not env.use_production_database:
                chk.error(path + ".database_server", "development must not use the production database "
                          "server '%s' unless use_production_database is true" % catalog.database_server(env))
            elif env.name == "development" and env.use_production_database and server_env != "production":
                chk.error(path + ".use_production_database", "is true, but database_server '%s' is the %s "
                          "server; set one or the other" % (env.database_server, server_env))
            elif env.name == "production" and server_env != "production":
                wanted = ", ".join("'%s'" % n for n, e in servers.items() if e == "production") or "(none)"
                chk.error(path + ".database_server", "production must use the production database server %s, "
                          "not the %s server '%s'" % (wanted, server_env, catalog.database_server(env)))
        if svc.database and provider is None:
            chk.error("platform_services.%s.database" % svc.name, "no service provides a database server "
                      "(set provides: database on one infrastructure service)")
