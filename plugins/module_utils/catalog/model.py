# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog's vocabulary and data: what a service, an environment and a container are, the
names derived from one object alone, and the lookups across a parsed catalog.

Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LAYERS = ("infrastructure", "applications", "ai_ml", "control")
ENVIRONMENTS = ("production", "development")
PROVIDES = ("proxy", "database")

LABEL_PREFIX = "korczewski.platform"
LABEL_SERVICE = LABEL_PREFIX + ".service"
LABEL_ENVIRONMENT = LABEL_PREFIX + ".environment"
LABEL_LAYER = LABEL_PREFIX + ".layer"
LABEL_UNIT = LABEL_PREFIX + ".unit"
# On a swarm, where a container's own name is generated: the catalog's name of the container.
LABEL_CONTAINER = LABEL_PREFIX + ".container"
# On a container whose health check the platform derived: the file that, once it exists, fails
# that check, so Docker calls the container unhealthy and Traefik stops routing to it before it
# is stopped (a health-gated switch drains the old container this way).
LABEL_DRAIN = LABEL_PREFIX + ".drain"
DRAIN_FILE = "/tmp/.korczewski-platform-drain"
# Where a container reads the secrets it gets as files (compose and swarm secrets alike), and
# where a unit's project directory keeps them.
RUN_SECRETS = "/run/secrets"
SECRET_FILES_DIR = "secrets"


def secret_file_path(name):
    """The project-relative path of the file that holds secret variable name."""
    return "%s/%s" % (SECRET_FILES_DIR, name)


# How a unit's routed production containers are updated: started beside the old ones and
# switched to once healthy, or recreated in place.
UPDATE_MODES = ("switch", "recreate")

SERVICE_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")
# The pattern dockerd itself enforces for container names.
CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
COMPOSE_SERVICE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
DB_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# One part of a secret path (<service>/<NAME>, shared-postgres/auth_db): the platform_secret lookup
# and the .env import map check their paths by it.
SECRET_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

# The one default of the production network's name; every filter and role falls back to it.
DEFAULT_NETWORK = "platform"
# The port the catalog's database servers (PostgreSQL) listen on inside their network.
DATABASE_PORT = 5432
LOOPBACK = ("127.0.0.1", "::1", "localhost")

# The database server's superuser (POSTGRES_USER). Application owner roles end in _user, so they
# can never be it.
DATABASE_SUPERUSER = "postgres"
RESERVED_DATABASES = ("postgres", "template0", "template1")


class CatalogError(Exception):
    """Every error at once. With a headline (a whole catalog was rejected) the message lists
    them under it; a single error without one is the message itself."""

    def __init__(self, errors, headline=None):
        self.errors = list(errors)
        self.headline = headline
        super().__init__(format_errors(self.errors, headline))


def format_errors(errors, headline=None):
    if headline is None and len(errors) == 1:
        return errors[0]
    return "%s:\n%s" % (headline or "%d errors" % len(errors), "\n".join("- " + e for e in errors))


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
class SecretVar:
    """One secret environment variable: its name, the key of the secret it reads
    (<service>/<secret> in the vault) and an optional format that embeds the value, such as a
    database URL. Two variables naming one secret share one value. ``file``: the image reads
    ``<name>_FILE`` (the official postgres contract), so the value reaches the container as a
    file under /run/secrets, not in its environment."""
    name: str
    secret: str = None
    format: str = None
    file: bool = False

    def __post_init__(self):
        if self.secret is None:
            self.secret = self.name


@dataclass
class Container:
    name: str
    service: str
    image: str = None
    build: str = None
    command: object = None
    args: list = None
    gpus: object = None  # "all", a count or a list of device ids
    shm_size: str = None
    ipc: str = None
    start_period: str = None
    port: int = None
    publish: list = field(default_factory=list)
    route: Route = None
    health_path: str = None
    health_conditions: list = field(default_factory=list)
    healthcheck: dict = None
    env: dict = field(default_factory=dict)
    secret_env: list = field(default_factory=list)
    volumes: list = field(default_factory=list)
    replicas: int = 1
    resources: dict = None
    depends_on: list = field(default_factory=list)
    database: bool = True
    # A name that does not start with the service's on purpose (the seed's web, postgres-dev, ...).
    unprefixed: bool = False
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
    health_conditions: list = field(default_factory=list)


@dataclass
class Environment:
    service: str
    name: str
    method: str
    hostname: str = None
    containers: list = field(default_factory=list)
    source: str = None
    script: str = "dev"
    port: int = None
    health_path: str = None
    health_conditions: list = field(default_factory=list)
    local_servers: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    secret_env: list = field(default_factory=list)
    database_server: str = None
    use_production_database: bool = False
    use_production_secrets: bool = False
    update: str = "switch"
    # The registered method object (catalog/methods.py) of ``method``; parsing sets it.
    kind: object = None

    @property
    def project(self):
        """Compose project name: one deployment unit per (service, environment)."""
        return "%s-%s" % (self.service, self.name)

    @property
    def servers(self):
        """Local dev servers, as the environment's method defines them."""
        return self.kind.servers(self) if self.kind else list(self.local_servers)

    @property
    def runs_containers(self):
        return bool(self.kind and self.kind.runs_containers)


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


def database_secret_path(server, role):
    """Vault path of a database password: <server container>/<database> for an application's
    owner role, <server container>/postgres for the superuser."""
    return "%s/%s" % (server, role)


def service_secret_path(service, variable, environment="production"):
    """Vault path of a service's secret_env variable: <service>/<VARIABLE> in production (the path
    existing vaults hold), <service>/<environment>/<VARIABLE> elsewhere, so development never
    reads a production secret unless its catalog entry opts in (use_production_secrets)."""
    if environment == "production":
        return "%s/%s" % (service, variable)
    return "%s/%s/%s" % (service, environment, variable)


def find_container(env, name):
    """A container of env by container name or compose service name."""
    for cont in env.containers:
        if name in (cont.name, cont.service):
            return cont
    raise CatalogError(["%s.%s has no container '%s'" % (env.service, env.name, name)])


def as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


class CatalogModel(object):
    """Lookups over parsed services: by name, in vertical order, and where each one connects."""

    def __init__(self, services, domain, network=DEFAULT_NETWORK, warnings=None, host_gpus=None):
        self.services = services
        self.domain = domain
        self.network = network or DEFAULT_NETWORK
        self.warnings = warnings if warnings is not None else []
        # The GPUs of the host the catalog is rendered for (catalog.gpus.HostGpus), or None.
        self.host_gpus = host_gpus

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
        wanted_tags = set(as_list(tags))
        names = []
        for lay in LAYERS:
            for name in sorted(self.services):
                svc = self.services[name]
                if svc.layer != lay or (layer and lay not in as_list(layer)):
                    continue
                if environment and not set(as_list(environment)) & set(svc.environments):
                    continue
                if wanted_tags and not wanted_tags & ({name, lay} | set(svc.tags)):
                    continue
                names.append(name)
        return list(reversed(names)) if reverse else names

    def units(self, layer=None, environment=None, tags=None, reverse=False):
        """(service, environment) pairs in vertical order, production before development."""
        envs = as_list(environment) if environment else list(ENVIRONMENTS)
        result = []
        for name in self.ordered(layer=layer, tags=tags):
            for env in ENVIRONMENTS:
                if env in envs and env in self.services[name].environments:
                    result.append({"service": name, "environment": env, "layer": self.services[name].layer,
                                   "method": self.services[name].environments[env].method,
                                   "runs_containers": self.services[name].environments[env].runs_containers,
                                   "project": self.services[name].environments[env].project})
        return list(reversed(result)) if reverse else result

    def provider(self, kind):
        for svc in self.services.values():
            if svc.provides == kind:
                return svc
        return None

    def database_server(self, env):
        """Container name of the database server an environment uses: its own environment's,
        unless it names one or opts in to production's."""
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
        """The shared networks, production's first, then every unit's edge network."""
        return [self.network_for(env) for env in ENVIRONMENTS] + self.edge_networks()

    def hostname(self, env):
        if not env.hostname:
            return None
        return env.hostname if "." in env.hostname else "%s.%s" % (env.hostname, self.domain)

    def container_names(self, service=None, environment=None):
        names = []
        for svc_name in self.ordered():
            if service and svc_name not in as_list(service):
                continue
            for env in self.services[svc_name].environments.values():
                if environment and env.name not in as_list(environment):
                    continue
                names.extend(c.name for c in env.containers)
        return names

    def secret_vars(self, service, environment):
        """{variable name: SecretVar} an environment reads from the vault; the first definition
        of a name wins (validation rejects two different ones)."""
        env = self.environment(service, environment)
        result = {}
        for var in list(env.secret_env) + [v for cont in env.containers for v in cont.secret_env]:
            result.setdefault(var.name, var)
        return result

    def secret_names(self, service, environment):
        """Environment variable names an environment reads from the vault."""
        return list(self.secret_vars(service, environment))
