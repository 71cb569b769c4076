# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What roles deploy from: the identity labels, the compose project and the description of one
deployment unit, built from what the catalog derives in its neighbours:

- ``catalog/routing.py``     whether Traefik routes a container, its labels, shared and internal networks;
- ``catalog/databases.py``   the databases each server holds, logins and connection settings;
- ``catalog/healthcheck.py`` Docker healthchecks, health targets and how long a unit may take;
- ``catalog/update.py``      which containers an update switches and which it recreates in place.

Derivations is a mixin over the lookups of catalog.model.CatalogModel, combining those of the
neighbours; catalog.catalog.Catalog combines it with the model.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import shlex

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.databases import Databases
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.gpus import (
    UNKNOWN_HOST,
    device_reservation,
    gpu_decision,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.healthcheck import (
    HealthTargets,
    drains,
    healthcheck,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import (
    DRAIN_FILE,
    LABEL_DRAIN,
    LABEL_ENVIRONMENT,
    LABEL_LAYER,
    LABEL_SERVICE,
    LABEL_UNIT,
    RUN_SECRETS,
    CatalogError,
    find_container,
    secret_file_path,
    service_secret_path,
)
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.routing import Routing
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.update import UpdatePlan


def identity_env(env):
    """Variables every process of a unit gets, container or local dev server alike."""
    return {"SERVICE_NAME": env.service, "PLATFORM_ENVIRONMENT": env.name}


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


def _addr(address):
    return "[%s]" % address if ":" in address else address


class Derivations(Routing, Databases, HealthTargets, UpdatePlan):
    """Derivations over a validated catalog (self is a CatalogModel)."""

    def identity_labels(self, service, environment):
        svc = self.service(service)
        env = self.environment(service, environment)
        return {LABEL_SERVICE: svc.name, LABEL_ENVIRONMENT: env.name, LABEL_LAYER: svc.layer,
                LABEL_UNIT: env.project}

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
        project = {"name": env.project, "services": {}, "networks": {}}
        if any(self._on_shared_network(svc, env, c) for c in env.containers):
            project["networks"][network] = {"name": network, "external": True}
        internal = self.internal_network(service, environment)
        if internal:
            project["networks"]["internal"] = {"name": internal}
        edge = self.edge_network(service, environment)
        # The proxy joins every unit's edge network; the docker_engine role creates them, so the
        # proxy's project and each unit's only name them.
        edges = self.edge_networks() if svc.provides == "proxy" else [edge] if edge else []
        for name in edges:
            project["networks"][name] = {"name": name, "external": True}
        volumes = {}
        for cont in env.containers:
            networks = [network] if self._on_shared_network(svc, env, cont) else []
            if svc.provides == "proxy":
                networks += edges
            elif self._on_edge_network(svc, env, cont):
                networks.append(edge)
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
            if env_file and (any(not v.file for v in cont.secret_env) or env.secret_env or (svc.database and cont.database)):
                spec["env_file"] = [env_file]
            files = [v.name for v in cont.secret_env if v.file]
            if files:
                # Mounted at /run/secrets/<NAME>: docker inspect shows the variable naming the file only.
                spec["secrets"] = files
                envvars.update(("%s_FILE" % name, "%s/%s" % (RUN_SECRETS, name)) for name in files)
                spec["environment"] = compose_literal(dict(sorted(envvars.items())))
                project.setdefault("secrets", {}).update(
                    (name, {"file": "./%s" % secret_file_path(name)}) for name in files)
            labels = dict(identity)
            labels.update(extra_labels or {})
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
            "edge_network": self.edge_network(service, environment),
            "hostname": self.hostname(env), "runs_containers": env.runs_containers,
            "containers": [c.name for c in env.containers],
            "container_specs": [self._container_spec(env, cont, database) for cont in env.containers],
            "local_servers": [self._local_server_spec(svc, env, s) for s in env.servers],
            "database": database,
            "update": self.update_plan(service, environment),
            "secrets": {name: service_secret_path(svc.name, var.secret, secrets_of)
                        for name, var in self.secret_vars(service, environment).items() if not var.format},
            # Variables whose containers read them as files (secrets/<NAME>), not from the secrets file.
            "secret_files": sorted(name for name, var in self.secret_vars(service, environment).items() if var.file),
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
