# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog's rules, one function each: what a container, an environment and a service must
satisfy beyond the shape of their fields, and what services must not share.

Each rule receives the error collector of catalog/parse.py (``chk``) and parsed model objects,
reports with ``chk.error(path, message)`` and never raises. Private to korczewski.platform (see
catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import gpu_decision
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    ENVIRONMENTS,
    LOOPBACK,
    PROVIDES,
    RESERVED_DATABASES,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_fields import host_name_problem
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.rules_providers import PROVIDER_RULES

# ================================================================ one container


def _needs_image_or_build(chk, cont, raw, path):
    if not (cont.image or cont.build) and raw.get("image") is None and raw.get("build") is None:
        chk.error(path, "container '%s' needs an image or a build context" % cont.name)


def _routed_needs_port(chk, cont, raw, path):
    if cont.route is not None and cont.port is None:
        chk.error(path + ".route", "a routed container needs a port")


def _replicas_do_not_publish(chk, cont, raw, path):
    if cont.replicas > 1 and cont.publish:
        chk.error(path + ".replicas", "%d replicas cannot all bind host port %d; a container that "
                  "publishes ports runs one replica" % (cont.replicas, cont.publish[0].host))


def _shm_size_or_ipc(chk, cont, raw, path):
    if cont.shm_size and cont.ipc:
        chk.error(path + ".shm_size", "set shm_size or ipc, not both (ipc '%s' decides /dev/shm)" % cont.ipc)


def _start_period_has_a_healthcheck(chk, cont, raw, path):
    """start_period belongs to a healthcheck: the derived one (health path and port) or the catalog's."""
    if raw.get("start_period") is None:
        return
    if cont.healthcheck and cont.healthcheck.get("start_period") is not None:
        chk.error(path + ".start_period", "is also set in healthcheck.start_period; set it once")
    elif not cont.healthcheck and not (cont.health_path and cont.port):
        chk.error(path + ".start_period", "needs a healthcheck: a health path and a port, or healthcheck")


CONTAINER_RULES = (_needs_image_or_build, _routed_needs_port, _replicas_do_not_publish, _shm_size_or_ipc,
                   _start_period_has_a_healthcheck)


def check_container(chk, cont, raw, path):
    for rule in CONTAINER_RULES:
        rule(chk, cont, raw, path)


# ================================================================ one environment


def _method_fields(chk, env, raw, path):
    """What each deployment method needs, and what it cannot have (declared by the method)."""
    if env.kind is not None:
        env.kind.check_fields(chk, env, raw, path)


def _development_is_not_routed(chk, env, raw, path):
    """Horizontal separation: development is reached on localhost ports, never through Traefik."""
    if env.name != "development":
        return
    if env.hostname:
        chk.error(path + ".hostname", "development is reached on localhost ports, never through Traefik")
    for cont in env.containers:
        if cont.route is not None and raw.get("containers")[cont.index].get("route") is not None:
            chk.error("%s.containers[%d].route" % (path, cont.index),
                      "development is reached on localhost ports, never through Traefik")


def _development_publishes_on_loopback(chk, env, raw, path):
    if env.name != "development":
        return
    for cont in env.containers:
        for j, pub in enumerate(cont.publish):
            if pub.address not in LOOPBACK:
                chk.error("%s.containers[%d].publish[%d].address" % (path, cont.index, j),
                          "development publishes on 127.0.0.1 only, not on %s" % pub.address)


def _compose_services_are_unique(chk, env, raw, path):
    seen = {}
    for cont in env.containers:
        if cont.service in seen:
            chk.error("%s.containers[%d].service" % (path, cont.index),
                      "compose service '%s' is also defined by containers[%d]" % (cont.service, seen[cont.service]))
        seen.setdefault(cont.service, cont.index)


def _dependencies_are_in_the_unit(chk, env, raw, path):
    known = [c.name for c in env.containers] + [c.service for c in env.containers]
    for cont in env.containers:
        for dep in cont.depends_on:
            if dep not in known:
                chk.error("%s.containers[%d].depends_on" % (path, cont.index),
                          "'%s' is not a container of %s.%s" % (dep, env.service, env.name))


def _secret_variables_agree(chk, env, raw, path):
    """The containers of a unit read one secrets file: a variable name means one value in it."""
    seen = {}
    places = [("%s.secret_env[%d]" % (path, i), var) for i, var in enumerate(env.secret_env)]
    for cont in env.containers:
        places.extend(("%s.containers[%d].secret_env[%d]" % (path, cont.index, i), var)
                      for i, var in enumerate(cont.secret_env))
    for where, var in places:
        first = seen.setdefault(var.name, (where, var))
        if (first[1].secret, first[1].format, first[1].file) != (var.secret, var.format, var.file):
            chk.error(where, "variable %s is also defined by %s with another secret, format or file; the containers "
                      "of a unit share one secrets file, so give it another name" % (var.name, first[0]))
    # A file is what an image reads (its *_FILE contract); dev servers and other containers of
    # the unit read the environment-level variables from their environment.
    for i, var in enumerate(env.secret_env):
        if var.file:
            chk.error("%s.secret_env[%d].file" % (path, i), "only a container's secret_env can be a file (the "
                      "image reads %s_FILE); move %s to the container whose image does" % (var.name, var.name))


ENVIRONMENT_RULES = (_method_fields, _development_is_not_routed, _development_publishes_on_loopback,
                     _compose_services_are_unique, _dependencies_are_in_the_unit, _secret_variables_agree)


def check_environment(chk, env, raw, path):
    for rule in ENVIRONMENT_RULES:
        rule(chk, env, raw, path)


# ================================================================ one service


def _only_infrastructure_provides(chk, svc, path):
    if svc.provides and svc.layer and svc.layer != "infrastructure":
        chk.error(path + ".provides", "only infrastructure services provide %s to the others" % svc.provides)


def _database_is_not_a_system_database(chk, svc, path):
    if svc.database in RESERVED_DATABASES:
        chk.error(path + ".database", "'%s' is a PostgreSQL system database; name the service's own database"
                  % svc.database)
        # Later rules would only repeat the problem under other names.
        svc.database = None


SERVICE_RULES = (_only_infrastructure_provides, _database_is_not_a_system_database)


def check_service(chk, svc, path):
    for rule in SERVICE_RULES:
        rule(chk, svc, path)


def check_environment_set(chk, svc, raw_environments, path):
    """Single environment rule: one production and one development per application; infrastructure
    is production first."""
    if svc.layer and svc.layer != "infrastructure":
        for env_name in ENVIRONMENTS:
            if env_name not in raw_environments:
                chk.error(path + ".environments", "missing %s environment: every %s service has exactly one "
                          "production and one development environment" % (env_name, svc.layer))
    elif svc.layer == "infrastructure" and "production" not in raw_environments:
        chk.error(path + ".environments", "missing production environment: infrastructure is production first")


# ================================================================ across services


def _env_path(svc, env):
    return "platform_services.%s.environments.%s" % (svc.name, env.name)


class _Claims(object):
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


def _host_ports_are_unique(chk, catalog):
    ports = _Claims(chk)
    for svc in catalog.services.values():
        for env in svc.environments.values():
            base = _env_path(svc, env)
            claims = []
            if env.kind is not None:
                claims.extend(env.kind.port_claims(env, base))
            for cont in env.containers:
                for j, pub in enumerate(cont.publish):
                    claims.append((pub.host, "%s.containers[%d].publish[%d]" % (base, cont.index, j)))
            for port, path in claims:
                ports.take(port, "%s.%s (%s)" % (svc.name, env.name, path), path,
                           "port %d is also used by %%s" % port)


def _production_is_reached_through_traefik(chk, catalog):
    """Horizontal separation: production applications publish no host port, and whatever Traefik
    routes has one valid, unique host name inside the domain."""
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
        # A host name parsing rejected (its grammar, catalog/parse_fields.py) is not missing as well.
        if routed and not env.hostname and not chk.has_error(path):
            chk.error(path, "is required: containers %s are routed by Traefik"
                      % ", ".join(c.name for c in routed))
        if not env.hostname:
            continue
        fqdn = catalog.hostname(env) if catalog.domain else env.hostname
        catch_all = [c.name for c in routed if not c.route.paths]
        if len(catch_all) > 1:
            chk.error(path, "containers %s all route every path of '%s'; give all but one route.paths"
                      % (", ".join(catch_all), fqdn))
        if "." in env.hostname and catalog.domain and not fqdn.endswith("." + catalog.domain):
            chk.error(path, "'%s' is outside platform_domain '%s'" % (fqdn, catalog.domain))
            continue
        if not catalog.domain:
            continue
        # Label and domain passed the grammar alone; together they may still be too long.
        problem = host_name_problem(fqdn)
        if problem:
            chk.error(path, "'%s' is not a valid host name: %s" % (fqdn, problem))
            continue
        hostnames.take(fqdn, svc.name, path, "host name '%s' is also claimed by %%s" % fqdn)


def _container_names_are_unique(chk, catalog):
    names = _Claims(chk)
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                base = "%s.containers[%d]" % (_env_path(svc, env), cont.index)
                path = base + ".name"
                names.take(cont.name, "%s.%s" % (svc.name, env.name), path,
                           "container name '%s' is also used by %%s" % cont.name)
                prefixed = cont.name.startswith(svc.name)
                if cont.unprefixed and prefixed:
                    chk.warn(base + ".unprefixed", "container '%s' is prefixed by its service '%s'; unprefixed: true "
                             "says nothing" % (cont.name, svc.name))
                elif not cont.unprefixed and not prefixed:
                    chk.warn(path, "container '%s' is not prefixed by its service '%s'; it is identified by its "
                             "labels (unprefixed: true declares the name as intended)" % (cont.name, svc.name))


def _databases_and_owners_are_unique(chk, catalog):
    databases = _Claims(chk)
    roles = _Claims(chk)
    for svc in catalog.services.values():
        if not svc.database:
            continue
        path = "platform_services.%s.database" % svc.name
        if databases.take(svc.database, svc.name, path, "database '%s' is also claimed by %%s" % svc.database):
            roles.take(svc.database_user, svc.name, path, "database '%s' would be owned by role '%s', which "
                       "%%s's database already uses" % (svc.database, svc.database_user))


def _providers_are_shared(chk, catalog):
    """Vertical order, shared infrastructure: one service provides each capability."""
    for kind in PROVIDES:
        providers = [s.name for s in catalog.services.values() if s.provides == kind]
        for name in providers[1:]:
            chk.error("platform_services.%s.provides" % name, "%s is also provided by %s: infrastructure "
                      "is shared, one of each" % (kind, providers[0]))


def _database_servers_match_environments(chk, catalog):
    """Development never uses production data unless it opts in; production never uses development's."""
    servers = {}
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


def _volumes_stay_in_their_environment(chk, catalog):
    """A named volume is production's or development's, never both: development never sees production data."""
    owners = {}
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                path = "%s.containers[%d].volumes" % (_env_path(svc, env), cont.index)
                for vol in cont.volumes:
                    # By what is mounted: two catalog names may point at one adopted volume or directory.
                    what = "%s '%s'" % (vol["kind"], vol["source"])
                    owner_env, owner = owners.setdefault(what, (env.name, "%s.%s" % (svc.name, env.name)))
                    if owner_env != env.name:
                        chk.error(path, "%s is also used by %s: production and development never "
                                  "share data" % (what, owner))


def _production_secrets_are_an_opt_in_of_development(chk, catalog):
    """use_production_secrets lets another environment read production's secret paths; production
    reads its own anyway."""
    for svc in catalog.services.values():
        for env in svc.environments.values():
            if env.name == "production" and env.use_production_secrets:
                chk.error("%s.use_production_secrets" % _env_path(svc, env), "production reads its own secrets; "
                          "only another environment opts in to them")


CATALOG_RULES = (_host_ports_are_unique, _production_is_reached_through_traefik, _container_names_are_unique,
                 _databases_and_owners_are_unique, _providers_are_shared, _database_servers_match_environments,
                 _volumes_stay_in_their_environment, _production_secrets_are_an_opt_in_of_development) + PROVIDER_RULES


def check_host(chk, catalog):
    """The rules of one host: each container's GPU request against the GPUs the host declares."""
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                dummy, error, warning = gpu_decision(cont.gpus, catalog.host_gpus)
                where = "%s.containers[%d].gpus" % (_env_path(svc, env), cont.index)
                if error:
                    chk.error(where, "container '%s' %s" % (cont.name, error))
                if warning:
                    chk.warn(where, "container '%s' %s" % (cont.name, warning))


def check_catalog(chk, catalog):
    """The rules across services, on a catalog whose services parsed (with their own errors)."""
    for rule in CATALOG_RULES:
        rule(chk, catalog)
