# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A compose project as a Docker Swarm stack: the same catalog rendering, placed on a swarm.

stack_spec() turns one compose_projects entry into the entry the swarm engine applies:
- secret files become Swarm secrets (a secrets env file one secret per variable, read by the
  container through ``<NAME>_FILE``); they are never written on a host, and the old files go;
- a service that keeps data (a named volume) or reads files from the applying node (a bind
  mount: its configuration, the Docker socket) is pinned to that node, which holds them;
- a GPU reservation becomes a placement on nodes labelled ``korczewski.platform.gpu=true``;
- published ports use host mode (no ingress mesh), loopback-only ports are dropped (a swarm
  cannot bind them, and only same-host dev servers used them), and every service uses
  ``endpoint_mode: dnsrr`` with its container name as a network alias, so other stacks and
  Traefik reach it by the name they use on one host.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import copy
import hashlib
import os

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LABEL_CONTAINER, RUN_SECRETS
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import parse_env_file

STACK_VERSION = "3.8"
GPU_LABEL = "korczewski.platform.gpu"
PROJECT_LABEL = "korczewski.platform.project"
SECRETS_DIR = RUN_SECRETS
# Compose keys a swarm service has no use for: names come from the stack, order from restarts.
_DROPPED = ("container_name", "restart", "depends_on", "build", "ipc")
_LOOPBACK = ("127.", "::1", "[::1]", "localhost")
_MAX_NAME = 64


class StackError(Exception):
    pass


def secret_name(project, key, value):
    """A Swarm secret's name: its project and key, and a slow digest of its value, because a
    secret is immutable and a new value needs a new name. The digest is salted with the name
    and stretched, so the name says nothing useful about a weak value."""
    digest = hashlib.pbkdf2_hmac("sha256", value.encode("utf-8"), ("%s/%s" % (project, key)).encode("utf-8"), 20000)
    base = "%s_%s" % (project, key)
    if len(base) > _MAX_NAME - 13:
        base = "%s_%s" % (project[:20], hashlib.sha256(key.encode("utf-8")).hexdigest()[:12])
    return "%s_%s" % (base, digest.hex()[:12])


def _swarm_label(key):
    """Traefik's per-provider options are namespaced by provider: traefik.docker.* is traefik.swarm.* here."""
    return "traefik.swarm." + key[len("traefik.docker."):] if key.startswith("traefik.docker.") else key


def _port(entry):
    """A short-syntax port as the long syntax in host mode; None for a loopback-only one."""
    if isinstance(entry, dict):
        return dict(entry, mode="host")
    text = str(entry)
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and parts[0].startswith(_LOOPBACK):
        return None
    target = parts[-1]
    published = parts[-2] if len(parts) >= 2 else target
    return {"target": int(target), "published": int(published), "protocol": protocol, "mode": "host"}


def _mount_source(entry):
    if isinstance(entry, dict):
        return entry.get("source", ""), entry.get("type", "volume")
    source = str(entry).split(":", 1)[0]
    return source, "bind" if source.startswith(("/", ".", "~")) else "volume"


def _absolute(entry, project_dir):
    """A relative bind source made absolute: the stack is deployed from elsewhere."""
    if isinstance(entry, dict) or not str(entry).startswith("."):
        return entry
    source, rest = str(entry).split(":", 1)
    return "%s:%s" % (os.path.normpath(os.path.join(project_dir, source)), rest)


def _gpu_devices(spec):
    reservations = spec.get("deploy", {}).get("resources", {}).get("reservations", {})
    devices = reservations.pop("devices", None)
    if devices is not None and not reservations:
        spec["deploy"]["resources"].pop("reservations")
        if not spec["deploy"]["resources"]:
            spec["deploy"].pop("resources")
    if not devices:
        return None
    ids = []
    for device in devices:
        if device.get("device_ids"):
            ids.extend(device["device_ids"])
        else:
            return "all"
    return ",".join(ids)


def stack_spec(spec, node_id):
    """(the swarm engine's entry, the Swarm secrets it needs) for one compose_projects entry.

    node_id is the applying manager's node id: files and volumes live there. Each secret is
    {name, key, value}; the value never reaches a file.
    """
    new = copy.deepcopy(spec)
    if not spec.get("definition"):
        return new, []
    secret_files = dict((f["path"], f["content"]) for f in spec.get("files", [])
                        if f.get("secret", True) and f.get("state", "present") == "present")
    files = []
    for entry in spec.get("files", []):
        if entry["path"] in secret_files:
            # A file an earlier compose deployment left holds secrets the swarm now keeps.
            files.append({"path": entry["path"], "state": "absent", "content": None, "mode": None, "secret": True})
        else:
            files.append(entry)
    new["files"] = files
    project = spec["name"]
    definition = new["definition"]
    stack = {"version": STACK_VERSION, "services": {}}
    secrets = {}

    def add_secret(key, value):
        name = secret_name(project, key, value)
        secrets[name] = {"name": name, "key": key, "value": value}
        stack.setdefault("secrets", {})[name] = {"external": True, "name": name}
        return name

    top_secrets = {}
    for key, entry in (definition.get("secrets") or {}).items():
        path = os.path.normpath(str(entry.get("file", ""))) if entry.get("file") else None
        if path in secret_files:
            top_secrets[key] = add_secret(key, secret_files[path])
        else:
            stack.setdefault("secrets", {})[key] = entry

    for service, source in definition.get("services", {}).items():
        svc = dict((k, v) for k, v in source.items() if k not in _DROPPED)
        alias = source.get("container_name")
        deploy = svc.setdefault("deploy", {})
        deploy["endpoint_mode"] = "dnsrr"
        deploy["restart_policy"] = {"condition": "any", "delay": "5s"}
        constraints = []
        environment = dict(svc.get("environment") or {})
        mounts = []
        for name in svc.pop("env_file", None) or []:
            path = os.path.normpath(name)
            if path not in secret_files:
                svc.setdefault("env_file", []).append(name)
                continue
            for key, value in sorted(parse_env_file(secret_files[path]).items()):
                mounts.append({"source": add_secret(key, value), "target": key})
                environment["%s_FILE" % key] = "%s/%s" % (SECRETS_DIR, key)
        for entry in svc.pop("secrets", None) or []:
            key = entry if isinstance(entry, str) else entry.get("source")
            target = key if isinstance(entry, str) else entry.get("target", key)
            mounts.append({"source": top_secrets.get(key, key), "target": target})
        if mounts:
            svc["secrets"] = mounts
        # docker stack deploy ignores a service's tmpfs list: a read-only container (a socket proxy
        # writing its configuration to /tmp) gets them as tmpfs mounts instead.
        tmpfs = svc.pop("tmpfs", None) or []
        for target in [tmpfs] if isinstance(tmpfs, str) else tmpfs:
            svc.setdefault("volumes", []).append({"type": "tmpfs", "target": target})
        if "shm_size" in svc:
            svc.setdefault("volumes", []).append({"type": "tmpfs", "target": "/dev/shm",
                                                  "tmpfs": {"size": _bytes(svc.pop("shm_size"))}})
        kinds = set()
        if svc.get("volumes"):
            svc["volumes"] = [_absolute(v, spec["project_dir"]) for v in svc["volumes"]]
            kinds = set(_mount_source(v)[1] for v in svc["volumes"])
        gpus = _gpu_devices(svc)
        if gpus:
            # Its volumes (a model cache) live on the GPU node it runs on; files of this node cannot follow it.
            if "bind" in kinds:
                raise StackError("project %s, service %s: a GPU container cannot bind-mount files of the applying "
                                 "node on a swarm; use a named volume" % (project, service))
            constraints.append("node.labels.%s == true" % GPU_LABEL)
            environment["NVIDIA_VISIBLE_DEVICES"] = gpus
        elif kinds & set(["bind", "volume"]):
            constraints.append("node.id == %s" % node_id)
        if constraints:
            deploy["placement"] = {"constraints": constraints}
        if environment:
            svc["environment"] = environment
        labels = svc.get("labels") or {}
        if alias:
            svc["labels"] = dict(labels, **{LABEL_CONTAINER: alias})
        # Traefik's swarm provider and discovery read the service's labels; the containers keep theirs.
        deploy["labels"] = dict((_swarm_label(k), v) for k, v in labels.items())
        deploy["labels"][PROJECT_LABEL] = project
        if svc.get("ports"):
            ports = [p for p in (_port(e) for e in svc["ports"]) if p]
            if ports:
                svc["ports"] = ports
            else:
                del svc["ports"]
        networks = svc.get("networks")
        if networks and alias:
            names = networks if isinstance(networks, list) else list(networks)
            svc["networks"] = dict((n, {"aliases": [alias]}) for n in names)
        stack["services"][service] = svc

    for name, network in (definition.get("networks") or {}).items():
        network = dict(network)
        if not network.get("external"):
            network["driver"] = "overlay"
        stack.setdefault("networks", {})[name] = network
    if definition.get("volumes"):
        stack["volumes"] = definition["volumes"]
    new["definition"] = stack
    return new, sorted(secrets.values(), key=lambda s: s["name"])


_UNITS = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def _bytes(size):
    text = str(size).strip().lower().rstrip("b") or "0"
    if text[-1] in _UNITS:
        return int(float(text[:-1]) * _UNITS[text[-1]])
    return int(text)


def stack_errors(stack):
    """What `docker stack deploy` would refuse or silently misplace, before it runs: the
    networks, secrets and volumes a service names must be declared, every service needs an image."""
    errors = []
    declared = dict((kind, set((stack.get(kind) or {}).keys())) for kind in ("networks", "secrets", "volumes"))
    for name, svc in sorted((stack.get("services") or {}).items()):
        if not svc.get("image"):
            errors.append("service %s has no image (a swarm cannot build one)" % name)
        for network in svc.get("networks") or []:
            if network not in declared["networks"]:
                errors.append("service %s joins the undeclared network %s" % (name, network))
        for secret in svc.get("secrets") or []:
            source = secret if isinstance(secret, str) else secret.get("source")
            if source not in declared["secrets"]:
                errors.append("service %s reads the undeclared secret %s" % (name, source))
        for volume in svc.get("volumes") or []:
            source, kind = _mount_source(volume)
            if kind == "volume" and source and source not in declared["volumes"]:
                errors.append("service %s mounts the undeclared volume %s" % (name, source))
    return errors
