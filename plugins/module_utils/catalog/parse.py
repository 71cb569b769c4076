# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading raw platform_services into the model: the shape of every field, with every error
collected and named by its path (platform_services.l2p.environments.development.ports[0]).

The rules between fields and between services are in catalog/rules.py; parsing calls the
environment and service rules as it goes. Private to korczewski.platform (see catalog/catalog.py);
standard library only.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import parse_gpu_request
from ansible_collections.korczewski.platform.plugins.module_utils.health.conditions import parse_conditions
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    COMPOSE_SERVICE_RE,
    CONTAINER_NAME_RE,
    DB_IDENT_RE,
    DNS_LABEL_RE,
    ENVIRONMENTS,
    LAYERS,
    PROVIDES,
    SERVICE_NAME_RE,
    Container,
    Environment,
    LocalServer,
    Publish,
    Route,
    SecretVar,
    Service,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.rules import (
    check_container,
    check_environment,
    check_environment_set,
    check_service,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import ENV_NAME_RE, env_value
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import METHODS, method_of

SERVICE_KEYS = ("layer", "description", "provides", "database", "tags", "environments")
ENVIRONMENT_KEYS = (
    "method", "hostname", "containers", "profile", "source", "script", "port", "health",
    "local_servers", "env", "secret_env", "database_server", "use_production_database",
)
CONTAINER_KEYS = (
    "name", "service", "image", "build", "command", "args", "port", "publish", "route", "health",
    "healthcheck", "start_period", "env", "secret_env", "volumes", "replicas", "resources", "gpus",
    "shm_size", "ipc", "depends_on", "database", "unprefixed",
)
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period", "disable")
SECRET_ENV_KEYS = ("name", "secret", "format")
# The placeholders of a secret_env format: the value as is, or percent-encoded for a URL.
SECRET_PLACEHOLDERS = ("{secret}", "{secret|urlencode}")
# Go durations, as Compose and Docker read them: 90s, 1m30s, 10m, 1h.
DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|ns))+$")
DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001, "ns": 0.000000001}
SIZE_RE = re.compile(r"^\d+(?:\.\d+)?[bkmgBKMG]?[bB]?$")
IPC_MODES = ("host", "private", "shareable", "none")
LOCAL_SERVER_KEYS = ("name", "source", "script", "port", "health", "env")


def typename(value):
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


class Checker(object):
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
            self.error(path, "must be a mapping, got %s" % typename(value))
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
            self.error(path, "must be a list, got %s" % typename(value))
            return []
        return value

    def string(self, value, path, required=False, pattern=None, what=None):
        if value is None:
            if required:
                self.error(path, "is required")
            return None
        if not isinstance(value, str) or not value:
            self.error(path, "must be a non-empty string, got %s" % typename(value))
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
            self.error(path, "port must be an integer, got %s" % typename(value))
            return None
        if not 1 <= value <= 65535:
            self.error(path, "port %d is out of range 1..65535" % value)
            return None
        return value

    def boolean(self, value, path, default=False):
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, "must be true or false, got %s" % typename(value))
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
            # A null would silently become an empty string: in the catalog it is a mistake.
            if isinstance(val, (dict, list)) or val is None:
                self.error("%s.%s" % (path, key), "must be a string, number or boolean, got %s" % typename(val))
                continue
            result[key] = env_value(val)
        return result

    def secret_vars(self, value, path):
        """secret_env: NAME (the secret <service>/NAME) or {name, secret, format} (another
        variable name for a secret, or the secret embedded in a text such as a URL)."""
        result = []
        for i, item in enumerate(self.seq(value, path)):
            ipath = "%s[%d]" % (path, i)
            if not isinstance(item, dict):
                name = self.string(item, ipath, pattern=ENV_NAME_RE, what="environment variable name")
                if name:
                    result.append(SecretVar(name))
                continue
            self.mapping(item, ipath, SECRET_ENV_KEYS)
            name = self.string(item.get("name"), ipath + ".name", required=True, pattern=ENV_NAME_RE,
                               what="environment variable name")
            secret = self.string(item.get("secret"), ipath + ".secret", pattern=ENV_NAME_RE, what="secret name")
            fmt = self.string(item.get("format"), ipath + ".format")
            if fmt is not None and not any(p in fmt for p in SECRET_PLACEHOLDERS):
                self.error(ipath + ".format", "must contain %s where the secret goes" % " or ".join(SECRET_PLACEHOLDERS))
                fmt = None
            if name and (item.get("secret") is None or secret) and (item.get("format") is None or fmt):
                result.append(SecretVar(name, secret, fmt))
        return result

    def duration(self, value, path):
        """A Compose duration ("90s", "1m30s"); an integer is seconds."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return "%ds" % value
        if isinstance(value, str) and DURATION_RE.match(value):
            return value
        self.error(path, "must be a duration such as 90s, 5m or 1m30s (or whole seconds), got %r" % (value,))
        return None

    def health_path(self, value, path):
        if value is None:
            return None
        if isinstance(value, dict):
            self.mapping(value, path, ("path", "conditions"))
            value = value.get("path")
            path += ".path"
        if not isinstance(value, str) or not value.startswith("/"):
            self.error(path, "health path must be a string starting with '/', got %r" % (value,))
            return None
        return value


def health_conditions(chk, value, path):
    """Extra conditions a service adds to its health probe (``health: {path, conditions}``), in
    korczewski.platform.service_health's grammar, checked here so a typo fails validation."""
    if not isinstance(value, dict) or value.get("conditions") is None:
        return []
    path += ".conditions"
    texts = [text for i, text in enumerate(chk.seq(value.get("conditions"), path))
             if chk.string(text, "%s[%d]" % (path, i))]
    dummy, errors = parse_conditions(texts)
    for error in errors:
        chk.error(path, error)
    return texts if not errors else []


def parse_domain(chk, domain):
    if not isinstance(domain, str) or not domain:
        chk.error("platform_domain", "must be a non-empty string, got %s" % typename(domain))
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(DNS_LABEL_RE.match(lab) for lab in labels):
        chk.error("platform_domain", "'%s' is not a valid DNS domain (lower-case labels separated by dots)"
                  % domain)
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
    env.hostname = chk.string(raw.get("hostname"), path + ".hostname")
    env.env = chk.env(raw.get("env"), path + ".env")
    env.secret_env = chk.secret_vars(raw.get("secret_env"), path + ".secret_env")
    env.health_path = chk.health_path(raw.get("health"), path + ".health")
    env.health_conditions = health_conditions(chk, raw.get("health"), path + ".health")
    env.use_production_database = chk.boolean(raw.get("use_production_database"), path + ".use_production_database")
    env.database_server = chk.string(raw.get("database_server"), path + ".database_server")
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


def parse_publish(chk, item, path, default_container):
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


def parse_route(chk, raw, path, port):
    route = raw.get("route", True if port else None)
    if route is True:
        return Route()
    if route is None or route is False:
        return None
    if chk.mapping(route, path + ".route", ("paths", "priority")) is None:
        return None
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
    return Route(paths=paths, priority=priority)


def parse_volumes(chk, raw, path):
    volumes = []
    for j, vol in enumerate(chk.seq(raw, path)):
        vpath = "%s[%d]" % (path, j)
        if chk.mapping(vol, vpath, ("name", "path")) is None:
            continue
        vname = chk.string(vol.get("name"), vpath + ".name", required=True, pattern=CONTAINER_NAME_RE,
                           what="volume name")
        vdir = chk.string(vol.get("path"), vpath + ".path", required=True)
        if vdir and not vdir.startswith("/"):
            chk.error(vpath + ".path", "must be an absolute path inside the container, got '%s'" % vdir)
        elif vname and vdir:
            volumes.append({"name": vname, "path": vdir})
    return volumes


def parse_command(chk, value, path, allow_string):
    """command (a list, or a string a shell-less Compose splits) or args (a list); numbers
    become strings, as an inventory's model length or memory share may be numbers."""
    if value is None:
        return None
    if allow_string and isinstance(value, str) and value:
        return value
    if not isinstance(value, list):
        chk.error(path, "must be a list of strings%s, got %s" % (" (or a string)" if allow_string else "", typename(value)))
        return None
    result = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            chk.error("%s[%d]" % (path, i), "must be a string or a number, got %s" % typename(item))
            continue
        result.append(env_value(item))
    return result


def parse_healthcheck(chk, value, path):
    """A healthcheck that replaces the derived one, for images without curl or wget."""
    if value is None or chk.mapping(value, path, HEALTHCHECK_KEYS) is None:
        return None
    check = dict(value)
    test = value.get("test")
    if value.get("disable") is not None:
        chk.boolean(value.get("disable"), path + ".disable")
    elif isinstance(test, str) and test:
        pass
    elif isinstance(test, list) and test and all(isinstance(t, str) for t in test):
        if test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            chk.error(path + ".test", "a list starts with CMD, CMD-SHELL or NONE, got %r" % (test[0],))
    else:
        chk.error(path + ".test", "is required: a command list or string")
    for key in ("interval", "timeout", "start_period"):
        if value.get(key) is not None:
            check[key] = chk.duration(value.get(key), "%s.%s" % (path, key))
    retries = value.get("retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 1):
        chk.error(path + ".retries", "must be a positive integer, got %r" % (retries,))
    return check


def parse_size(chk, value, path):
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and SIZE_RE.match(value):
        return value
    chk.error(path, "must be a size such as 16g, 512m or a number of bytes, got %r" % (value,))
    return None


def parse_ipc(chk, value, path):
    if value in IPC_MODES:
        return value
    if isinstance(value, str) and value.split(":", 1)[0] in ("container", "service") and value.split(":", 1)[-1]:
        return value
    chk.error(path, "must be one of %s, container:<name> or service:<name>, got %r" % (", ".join(IPC_MODES), value))
    return None


def duration_seconds(value):
    """Seconds of a Compose duration string (as validated above)."""
    return sum(float(n) * DURATION_UNITS[u] for n, u in DURATION_PART_RE.findall(value or ""))


def parse_container(chk, raw, path):
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
    cont.command = parse_command(chk, raw.get("command"), path + ".command", allow_string=True)
    cont.args = parse_command(chk, raw.get("args"), path + ".args", allow_string=False)
    if raw.get("port") is not None:
        cont.port = chk.port(raw.get("port"), path + ".port")
    for j, item in enumerate(chk.seq(raw.get("publish"), path + ".publish")):
        pub = parse_publish(chk, item, "%s.publish[%d]" % (path, j), cont.port)
        if pub is not None:
            cont.publish.append(pub)
    cont.route = parse_route(chk, raw, path, cont.port)
    cont.health_path = chk.health_path(raw.get("health"), path + ".health")
    cont.health_conditions = health_conditions(chk, raw.get("health"), path + ".health")
    cont.healthcheck = parse_healthcheck(chk, raw.get("healthcheck"), path + ".healthcheck")
    if raw.get("start_period") is not None:
        cont.start_period = chk.duration(raw.get("start_period"), path + ".start_period")
    cont.env = chk.env(raw.get("env"), path + ".env")
    cont.secret_env = chk.secret_vars(raw.get("secret_env"), path + ".secret_env")
    cont.volumes = parse_volumes(chk, raw.get("volumes"), path + ".volumes")
    replicas = raw.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        chk.error(path + ".replicas", "must be a positive integer, got %r" % (replicas,))
    else:
        cont.replicas = replicas
    res = raw.get("resources")
    if res is not None and chk.mapping(res, path + ".resources", ("cpus", "memory")) is not None:
        cont.resources = res
    if raw.get("gpus") is not None:
        cont.gpus, error = parse_gpu_request(raw.get("gpus"))
        if error:
            chk.error(path + ".gpus", error)
    if raw.get("shm_size") is not None:
        cont.shm_size = parse_size(chk, raw.get("shm_size"), path + ".shm_size")
    if raw.get("ipc") is not None:
        cont.ipc = parse_ipc(chk, raw.get("ipc"), path + ".ipc")
    cont.depends_on = [d for j, d in enumerate(chk.seq(raw.get("depends_on"), path + ".depends_on"))
                       if chk.string(d, "%s.depends_on[%d]" % (path, j))]
    cont.database = chk.boolean(raw.get("database"), path + ".database", default=True)
    cont.unprefixed = chk.boolean(raw.get("unprefixed"), path + ".unprefixed")
    check_container(chk, cont, raw, path)
    return cont


def parse_local_server(chk, raw, path):
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
                       env=chk.env(raw.get("env"), path + ".env"),
                       health_conditions=health_conditions(chk, raw.get("health"), path + ".health"))
