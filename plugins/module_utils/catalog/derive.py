# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the catalog derives for the rest of the collection: identity and Traefik labels,
databases and connection settings, health targets, compose projects and the description of one
deployment unit that roles deploy from.

A mixin over the lookups of catalog.model.CatalogModel; catalog.catalog.Catalog combines both.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import shlex

from urllib.parse import quote

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import (
    UNKNOWN_HOST,
    device_reservation,
    gpu_decision,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    DATABASE_PORT,
    DATABASE_SUPERUSER,
    DRAIN_FILE,
    LABEL_DRAIN,
    LABEL_ENVIRONMENT,
    LABEL_LAYER,
    LABEL_SERVICE,
    LABEL_UNIT,
    CatalogError,
    as_list,
    database_secret_path,
    find_container,
    service_secret_path,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse import duration_seconds


def identity_env(env):
    """Variables every process of a unit gets, container or local dev server alike."""
    return {"SERVICE_NAME": env.service, "PLATFORM_ENVIRONMENT": env.name}


# Docker's own defaults, for a catalog healthcheck that leaves a field out.
DOCKER_HEALTHCHECK_DEFAULTS = {"interval": "30s", "timeout": "30s", "retries": 3, "start_period": "0s"}


def compose_literal(value):
    """A catalog value as Compose must receive it to pass it on literally: every '$' doubled, in
    strings, lists and mapping values (environment, labels, command, a health check's test), so
    Compose interpolates nothing of it and a container's shell sees the '$' itself."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [compose_literal(v) for v in value]
    if isinstance(value, dict):
        return dict((k, compose_literal(v)) for k, v in value.items())
    return value


def healthcheck(cont):
    """The catalog's healthcheck (for images without curl or wget), else one probing the health
    path with curl or wget, which most application images carry. The container's start_period
    replaces the default grace period of either: a model load takes minutes."""
    if cont.healthcheck:
        check = dict(cont.healthcheck)
    elif cont.health_path and cont.port:
        url = "http://127.0.0.1:%d%s" % (cont.port, cont.health_path)
        # The drain file fails the check on purpose (LABEL_DRAIN): a switch drains the old container.
        probe = ("if [ -e %s ]; then exit 1; fi; if command -v curl >/dev/null; then curl -fsS -o /dev/null %s; "
                 "else wget -q -O /dev/null %s; fi" % (DRAIN_FILE, url, url))
        # Docker before 25 has no start_interval: a short interval is what lets `up --wait` (and a
        # takeover) see a new container healthy within seconds instead of after the first interval.
        # Three misses (6 s) make it unhealthy: that is how long draining a container takes.
        check = {"test": ["CMD-SHELL", probe], "interval": "2s", "timeout": "4s", "retries": 3, "start_period": "60s"}
    else:
        return None
    if cont.start_period:
        check["start_period"] = cont.start_period
    return check


def drains(cont):
    """Whether the container's health check is the derived one, which the drain file fails."""
    return not cont.healthcheck and bool(cont.health_path and cont.port)


def healthy_within(cont):
    """Seconds after which Docker has called a container with a healthcheck unhealthy at the
    latest: its grace period, then every retry timing out. None without a healthcheck."""
    check = healthcheck(cont)
    if not check or check.get("disable") or (check.get("test") or [None])[0] == "NONE":
        return None
    value = dict(DOCKER_HEALTHCHECK_DEFAULTS, **check)
    return int(duration_seconds(value["start_period"]) + int(value["retries"])
               * (duration_seconds(value["interval"]) + duration_seconds(value["timeout"])))


def routes_path(cont, path):
    """Whether Traefik sends a request for path to this container; a health path outside its
    path rule is probed through Docker's healthcheck instead of through Traefik."""
    if cont.route is None:
        return False
    return not cont.route.paths or any(path == p or path.startswith(p.rstrip("/") + "/") for p in cont.route.paths)


def _addr(address):
    return "[%s]" % address if ":" in address else address


class Derivations(object):
    """Derivations over a validated catalog (self is a CatalogModel)."""

    def identity_labels(self, service, environment):
        svc = self.service(service)
        env = self.environment(service, environment)
        return {LABEL_SERVICE: svc.name, LABEL_ENVIRONMENT: env.name, LABEL_LAYER: svc.layer,
                LABEL_UNIT: env.project}

    def traefik_labels(self, service, environment, container, entrypoint="websecure", certresolver=None,
                       middlewares=None):
        """Docker labels that route ``<service>.<domain>`` (plus any catalog paths) to a container."""
        env = self.environment(service, environment)
        cont = find_container(env, container)
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

    # ------------------------------------------------------------ databases

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
            server = self.database_server(env)
            result.append({"name": svc.database, "owner": svc.database_user, "service": name,
                           "server": server, "secret_path": database_secret_path(server, svc.database)})
        return result

    def database_login(self, service, environment):
        """How an environment logs in to its database: server, database, owner role and the vault
        path of the password; None without a database."""
        svc = self.service(service)
        env = self.environment(service, environment)
        server = self.database_server(env) if svc.database else None
        if not server:
            return None
        return {"server": server, "name": svc.database, "user": svc.database_user,
                "secret_path": database_secret_path(server, svc.database)}

    def served_databases(self, environment, container):
        """What a database server container serves: its superuser and each application database,
        each with the vault path of its password; None for any other container."""
        provider = self.provider("database")
        penv = provider.environments.get(environment) if provider else None
        if not (penv and penv.containers and penv.containers[0].name == container):
            return None
        return {"superuser": DATABASE_SUPERUSER,
                "superuser_secret_path": database_secret_path(container, DATABASE_SUPERUSER),
                "databases": [dict(db, secret_path=database_secret_path(container, db["name"]))
                              for db in self.databases(environment) if db["server"] == container]}

    def database_settings(self, service, environment, password=None, port=DATABASE_PORT):
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

    # ------------------------------------------------------------ health

    def health_targets(self, environment=None, service=None, https_port=443):
        """Where each unit answers its health probe: through Traefik, a loopback port or Docker."""
        targets = []
        for unit in self.units(environment=environment, tags=as_list(service) if service else None):
            svc = self.services[unit["service"]]
            env = svc.environments[unit["environment"]]
            host = self.hostname(env)
            for cont in env.containers:
                target = {"service": svc.name, "environment": env.name, "name": cont.name,
                          "kind": "container", "container": cont.name}
                if host and cont.health_path and routes_path(cont, cont.health_path):
                    target.update(url="https://%s:%d%s" % (host, https_port, cont.health_path),
                                  host=host, kind="https")
                elif cont.publish and cont.health_path:
                    target.update(url="http://127.0.0.1:%d%s" % (cont.publish[0].host, cont.health_path),
                                  kind="http")
                if cont.health_conditions:
                    target["conditions"] = list(cont.health_conditions)
                targets.append(target)
            for server in env.servers:
                target = {"service": svc.name, "environment": env.name, "name": server.name, "kind": "tcp",
                          "port": server.port}
                if server.health_path:
                    target.update(kind="http", url="http://127.0.0.1:%d%s" % (server.port, server.health_path))
                if server.health_conditions:
                    target["conditions"] = list(server.health_conditions)
                targets.append(target)
        return targets

    # ------------------------------------------------------------ compose project and unit

    def compose_project(self, service, environment, extra_labels=None, traefik=None, env_file=None):
        """A compose project (as a dict) for one (service, environment) deployment unit."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if not env.runs_containers:
            raise CatalogError(["%s.%s uses method %s, which has no compose project"
                                % (service, environment, env.method)])
        traefik = traefik or {}
        identity = self.identity_labels(service, environment)
        network = self.network_for(environment)
        project = {"name": env.project, "services": {}, "networks": {
            network: {"name": network, "external": True}}}
        internal = self.internal_network(service, environment)
        if internal:
            project["networks"]["internal"] = {"name": internal}
        volumes = {}
        for cont in env.containers:
            networks = [network] if self._on_shared_network(svc, env, cont) else []
            spec = {"container_name": cont.name, "restart": "unless-stopped",
                    "networks": networks + (["internal"] if internal else [])}
            if cont.replicas > 1:
                # Docker forbids one fixed container name for several replicas.
                del spec["container_name"]
                spec["deploy"] = {"replicas": cont.replicas}
            if cont.image:
                spec["image"] = cont.image
            if cont.build:
                spec["build"] = {"context": cont.build}
            command = self._command(cont)
            if command is not None:
                spec["command"] = compose_literal(command)
            envvars = dict(env.env)
            envvars.update(cont.env)
            envvars.update(identity_env(env))
            if cont.port:
                envvars.setdefault("PORT", str(cont.port))
            # Catalog values are literal: '$$' keeps compose from interpolating a '$' in them.
            spec["environment"] = compose_literal(dict(sorted(envvars.items())))
            if env_file and (cont.secret_env or env.secret_env or (svc.database and cont.database)):
                spec["env_file"] = [env_file]
            labels = dict(identity)
            labels.update(extra_labels or {})
            if env.name == "production":
                labels.update(self.traefik_labels(service, environment, cont.name, **traefik))
            if drains(cont):
                labels[LABEL_DRAIN] = DRAIN_FILE
            spec["labels"] = compose_literal(dict(sorted(labels.items())))
            if cont.publish:
                spec["ports"] = ["%s:%d:%d" % (_addr(p.address), p.host, p.container) for p in cont.publish]
            check = healthcheck(cont)
            if check:
                spec["healthcheck"] = dict(check, test=compose_literal(check["test"])) if "test" in check else check
            if cont.volumes:
                spec["volumes"] = []
                for vol in cont.volumes:
                    if vol["kind"] == "directory":
                        spec["volumes"].append("%s:%s" % (vol["source"], vol["path"]))
                        continue
                    spec["volumes"].append("%s:%s" % (vol["name"], vol["path"]))
                    # A volume the unit did not create (an adopted one) is external: compose
                    # neither creates nor ever removes it.
                    volumes[vol["name"]] = ({"name": vol["name"]} if vol["source"] == vol["name"]
                                            else {"name": vol["source"], "external": True})
            if cont.shm_size:
                spec["shm_size"] = cont.shm_size
            if cont.ipc:
                spec["ipc"] = cont.ipc
            resources = self._resources(svc, env, cont)
            if resources:
                spec.setdefault("deploy", {})["resources"] = resources
            if cont.depends_on:
                # Compose keys depends_on by compose service, which the catalog may name by container.
                deps = [find_container(env, d) for d in cont.depends_on]
                spec["depends_on"] = {dep.service: {"condition": "service_healthy" if healthcheck(dep)
                                                    else "service_started"} for dep in deps}
            project["services"][cont.service] = spec
        if volumes:
            project["volumes"] = volumes
        return project

    @staticmethod
    def _on_shared_network(svc, env, cont):
        """Whether a container joins the environment's shared network: always in development and
        infrastructure; in production only what Traefik routes or what logs in to the shared
        database server. The rest (a stack's vector store, embeddings, own database) stays on
        its unit's internal network, where no other unit and no Traefik router reaches it."""
        if env.name != "production" or svc.layer == "infrastructure":
            return True
        return cont.route is not None or bool(svc.database and cont.database)

    def internal_network(self, service, environment):
        """Name of the unit's own network, when some of its containers stay off the shared one."""
        svc = self.service(service)
        env = self.environment(service, environment)
        if all(self._on_shared_network(svc, env, c) for c in env.containers):
            return None
        return "%s-internal" % env.project

    @staticmethod
    def _command(cont):
        """command replaces the image's command; args follow it, or alone are the arguments of
        the image's entrypoint (vllm/vllm-openai's entrypoint is the server)."""
        if cont.args is None:
            return cont.command
        if cont.command is None:
            return list(cont.args)
        base = cont.command if isinstance(cont.command, list) else shlex.split(cont.command)
        return list(base) + list(cont.args)

    def _resources(self, svc, env, cont):
        """deploy.resources: the catalog's limits and, on a host that declares them, its GPUs."""
        resources = {}
        if cont.resources:
            limits = {}
            if "cpus" in cont.resources:
                limits["cpus"] = str(cont.resources["cpus"])
            if "memory" in cont.resources:
                limits["memory"] = str(cont.resources["memory"])
            resources["limits"] = limits
        request, error, dummy = gpu_decision(cont.gpus, self.host_gpus or UNKNOWN_HOST)
        if error:
            raise CatalogError(["platform_services.%s.environments.%s.containers[%d].gpus: container '%s' %s"
                                % (svc.name, env.name, cont.index, cont.name, error)])
        if request is not None:
            resources["reservations"] = {"devices": device_reservation(request)}
        return resources

    def wait_timeout(self, service, environment, minimum=0):
        """Seconds to wait for a unit to become healthy: at least minimum, and long enough for
        its slowest container's grace period and retries, so a healthy first start (a model
        load of minutes) never times out."""
        env = self.environment(service, environment)
        slowest = [s for s in (healthy_within(c) for c in env.containers) if s is not None]
        return max([int(minimum)] + [s + 30 for s in slowest])

    def update_plan(self, service, environment):
        """How an update replaces each container of a unit: {"switch": [compose services started
        beside the old ones and switched to once healthy], "recreate": {compose service: why it
        is recreated in place}}. Only what Traefik routes in production switches, and only what
        can run twice at once."""
        env = self.environment(service, environment)
        switch, recreate = [], {}
        for cont in env.containers:
            reason = None
            if env.name != "production" or not self.traefik_labels(service, environment, cont.name):
                reason = "not routed by Traefik in production: nothing to keep serving"
            elif env.update == "recreate":
                reason = "the catalog entry asks for update: recreate"
            elif cont.replicas > 1 or cont.publish:
                reason = "publishes host ports or runs replicas: two at once would collide"
            elif any(not vol["shared"] for vol in cont.volumes):
                reason = ("holds the volume %s, which two containers must not write at once (shared: true allows it)"
                          % ", ".join(v["name"] for v in cont.volumes if not v["shared"]))
            elif not drains(cont):
                reason = "its own health check cannot be drained: no switch without draining the old one"
            if reason:
                recreate[cont.service] = reason
            else:
                switch.append(cont.service)
        return {"switch": switch, "recreate": recreate}

    def unit(self, service, environment):
        """Everything a role needs to deploy one (service, environment), as data a role reads
        without parsing: secrets only as vault paths."""
        svc = self.service(service)
        env = self.environment(service, environment)
        database = self.database_login(service, environment)
        # Whose secrets the unit reads: its own environment's, production's only by the entry's opt-in.
        secrets_of = "production" if env.use_production_secrets else env.name
        return {
            "service": svc.name, "environment": env.name, "layer": svc.layer, "method": env.method,
            "project": env.project, "network": self.network_for(environment),
            "internal_network": self.internal_network(service, environment),
            "hostname": self.hostname(env), "runs_containers": env.runs_containers,
            "containers": [c.name for c in env.containers],
            "container_specs": [self._container_spec(env, cont, database) for cont in env.containers],
            "local_servers": [self._local_server_spec(svc, env, s) for s in env.servers],
            "database": database,
            "update": self.update_plan(service, environment),
            "secrets": {name: service_secret_path(svc.name, var.secret, secrets_of)
                        for name, var in self.secret_vars(service, environment).items() if not var.format},
            # Secrets embedded in a text (a URL): only containers get them, through the secrets file.
            "secret_templates": {name: {"secret_path": service_secret_path(svc.name, var.secret, secrets_of),
                                        "format": var.format}
                                 for name, var in self.secret_vars(service, environment).items() if var.format},
        }

    def _container_spec(self, env, cont, database):
        return {
            "name": cont.name,
            "service": cont.service,
            "replicas": cont.replicas,
            "publish": [{"host": p.host, "container": p.container, "address": p.address} for p in cont.publish],
            "volumes": [dict(v) for v in cont.volumes],
            "database": database if cont.database else None,
            "database_server": self.served_databases(env.name, cont.name),
        }

    @staticmethod
    def _local_server_spec(svc, env, server):
        envvars = dict(env.env)
        envvars.update(server.env)
        envvars.update(identity_env(env))
        return {"name": "%s-%s" % (env.project, server.name) if server.name != svc.name else env.project,
                "source": server.source, "script": server.script, "port": server.port,
                "health_path": server.health_path, "env": envvars}
