# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading one container and one local dev server of an environment: ports, routes, volumes,
commands, health checks, resources, each error named by its path. Parsing calls the container
rules (catalog/rules.py) on each.

Part of reading the catalog (catalog/parse.py); private to korczewski.platform (see
catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import env_value
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import parse_gpu_request
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    COMPOSE_SERVICE_RE,
    CONTAINER_NAME_RE,
    SERVICE_NAME_RE,
    Container,
    LocalServer,
    Publish,
    Route,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_fields import health_conditions, typename
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.rules import check_container

CONTAINER_KEYS = (
    "name", "service", "image", "build", "command", "args", "port", "publish", "route", "health",
    "healthcheck", "start_period", "env", "secret_env", "volumes", "replicas", "resources", "gpus",
    "shm_size", "ipc", "depends_on", "database", "unprefixed",
)
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period", "disable")
SIZE_RE = re.compile(r"^\d+(?:\.\d+)?[bkmgBKMG]?[bB]?$")
IPC_MODES = ("host", "private", "shareable", "none")
LOCAL_SERVER_KEYS = ("name", "source", "script", "port", "health", "env")


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
    given = chk.seq(route.get("paths"), path + ".route.paths")
    paths = [p for j, p in enumerate(given) if chk.url_path(p, "%s.route.paths[%d]" % (path, j), "route path")]
    priority = route.get("priority", 100 if paths else 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
        chk.error(path + ".route.priority", "must be a non-negative integer, got %r" % (priority,))
        priority = 0
    if len(paths) < len(given):
        # Without its rejected paths the route would match more than the catalog says (every
        # path, once none is left): no route, so no rule judges one the catalog never meant.
        return None
    return Route(paths=paths, priority=priority)


def parse_volumes(chk, raw, path):
    """[{name, path, source, kind, shared}]: the catalog's volume name, the mount point, and what
    is mounted there: the named volume ``name`` itself (kind volume), an existing volume of another
    name (``external``, one a hand-run installation created) or a host directory (``host_path``);
    ``shared``: two containers may mount it at once (during a health-gated switch)."""
    volumes = []
    for j, vol in enumerate(chk.seq(raw, path)):
        vpath = "%s[%d]" % (path, j)
        if chk.mapping(vol, vpath, ("name", "path", "external", "host_path", "shared")) is None:
            continue
        vname = chk.string(vol.get("name"), vpath + ".name", required=True, pattern=CONTAINER_NAME_RE,
                           what="volume name")
        vdir = chk.string(vol.get("path"), vpath + ".path", required=True)
        external = chk.string(vol.get("external"), vpath + ".external", pattern=CONTAINER_NAME_RE, what="volume name")
        host_path = chk.string(vol.get("host_path"), vpath + ".host_path")
        if external and host_path:
            chk.error(vpath, "external (a volume) and host_path (a directory) both name the data of '%s': "
                      "keep one" % vname)
        elif host_path and (not host_path.startswith("/") or ":" in host_path):
            chk.error(vpath + ".host_path", "must be an absolute host directory without ':', got '%s'" % host_path)
            host_path = None
        if vdir and not vdir.startswith("/"):
            chk.error(vpath + ".path", "must be an absolute path inside the container, got '%s'" % vdir)
        elif vname and vdir:
            kind, source = ("directory", host_path) if host_path else ("volume", external or vname)
            volumes.append({"name": vname, "path": vdir, "source": source, "kind": kind,
                            "shared": chk.boolean(vol.get("shared"), vpath + ".shared")})
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
