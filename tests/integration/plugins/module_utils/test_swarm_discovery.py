# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Swarm discovery, the second-stack rule and health from tasks on a real one-node swarm.

The node is a docker-in-docker container (``ztest-swarmdisc-node``, image ``local/swarm-node:1`` from
tests/images/swarm-node) on its own bridge network with its own volume. Its
``/run`` is a host directory, so the inner engine's socket is reachable from here without any TCP
listener. ``docker swarm init`` runs inside the node, never on the host's engine. The stack is
the production catalog's auth unit, its identity labels taken from the catalog, on
``local/app-standin:1`` loaded into the node. The module fixture removes the node, its volume,
network and run directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.rule import single_environment as rule
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.discovery import discover_swarm
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.services import inspect_swarm_container

REPO_ROOT = str(Path(__file__).resolve().parents[4])
NODE = "ztest-swarmdisc-node"
NETWORK = "ztest-swarmdisc-net"
VOLUME = "ztest-swarmdisc-vol"
NODE_IMAGE = "local/swarm-node:1"
APP_IMAGE = "local/app-standin:1"
DOMAIN = "korczewski.de"
STACK = "auth-production"
STRAY = "auth-copy"


def docker(*args, check=True, data=None):
    proc = subprocess.run(["docker"] + list(args), input=data, capture_output=True, check=False,
                          text=not isinstance(data, bytes), timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip() if isinstance(proc.stdout, str) else proc.stdout


def _has_image(name):
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "image", "inspect", name], capture_output=True, check=False).returncode == 0


pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                       reason="needs Linux and root (the node's engine socket is root's)"),
    pytest.mark.skipif(not _has_image(NODE_IMAGE), reason="needs %s (tests/images/swarm-node)" % NODE_IMAGE),
    pytest.mark.skipif(not _has_image(APP_IMAGE), reason="needs %s" % APP_IMAGE),
]


def _remove_node(run_dir):
    docker("rm", "-f", "-v", NODE, check=False)
    docker("volume", "rm", VOLUME, check=False)
    docker("network", "rm", NETWORK, check=False)
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def swarm():
    run_dir = tempfile.mkdtemp(prefix="ztest-swarmdisc-")
    _remove_node(None)
    started = time.monotonic()
    try:
        docker("network", "create", NETWORK)
        docker("volume", "create", VOLUME)
        # The recipe of ../shared/ENVIRONMENT.md, with /run a host directory instead of a tmpfs.
        docker("run", "-d", "--name", NODE, "--hostname", NODE, "--network", NETWORK,
               "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
               "--security-opt", "systempaths=unconfined", "--device", "/dev/fuse",
               "--device-cgroup-rule", "a *:* rwm", "--tmpfs", "/tmp",
               "--mount", "type=bind,source=%s,target=/run" % run_dir,
               "-v", "%s:/var/lib/docker" % VOLUME, NODE_IMAGE)
        host = "unix://%s/docker.sock" % run_dir
        api = DockerAPI(host, timeout=5)
        deadline = time.monotonic() + 30
        while True:
            try:
                api.version()
                break
            except DockerError:
                if time.monotonic() > deadline:
                    raise AssertionError("the node's engine did not answer: %s" % docker("logs", "--tail", "20", NODE))
                time.sleep(0.3)
        image = subprocess.run(["docker", "save", APP_IMAGE], capture_output=True, check=True).stdout
        docker("exec", "-i", NODE, "docker", "load", "-q", data=image)
        address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NODE)
        docker("exec", NODE, "docker", "swarm", "init", "--advertise-addr", address)
        yield {"host": host, "api": api, "ready_after": time.monotonic() - started}
        api.close()
    finally:
        _remove_node(run_dir)


def stack_file(catalog, service, healthcheck=True):
    """A stack of one service with auth/production's identity as service and container labels."""
    labels = catalog.identity_labels("auth", "production")
    spec = {"image": APP_IMAGE, "labels": labels, "environment": {"PORT": "8080", "SERVICE_NAME": "auth"},
            "deploy": {"replicas": 1, "endpoint_mode": "dnsrr", "labels": labels,
                       "restart_policy": {"condition": "any", "delay": "1s"}}}
    if healthcheck:
        spec["healthcheck"] = {"test": ["CMD", "curl", "-fsS", "http://127.0.0.1:8080/health"],
                               "interval": "1s", "timeout": "2s", "retries": 3}
    return yaml.safe_dump({"version": "3.8", "services": {service: spec}})


def deploy(name, text):
    docker("exec", "-i", NODE, "docker", "stack", "deploy", "--resolve-image", "never", "-c", "-", name, data=text)


def unit_of(result, key):
    return [u for u in result["units"] if "%s/%s" % (u["service"], u["environment"]) == key][0]


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def run_module(module, args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    proc = subprocess.run([ansible if os.path.exists(ansible) else "ansible", "localhost", "-i", "localhost,",
                           "-c", "local", "-m", "korczewski.platform." + module, "-a", json.dumps(args)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    marker = proc.stdout.find(" => ")
    assert marker >= 0, proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout[marker + 4:])


def test_the_unit_is_found_with_its_tasks_and_a_second_stack_is_caught(swarm, base_services):
    catalog = Catalog.load(base_services, DOMAIN)
    deploy(STACK, stack_file(catalog, "auth-service"))

    def healthy():
        result = discover_swarm(catalog, docker=swarm["api"])
        return result if unit_of(result, "auth/production")["state"] == "running" else None

    # The first task on a new node also waits for its overlay network.
    result = wait_for(healthy, timeout=45.0)
    assert result, unit_of(discover_swarm(catalog, docker=swarm["api"]), "auth/production")
    auth = unit_of(result, "auth/production")
    assert (auth["stack"], auth["stacks"]) == (STACK, [STACK])
    [service] = auth["services"]
    assert (service["name"], service["stack"], service["matched"]) == ("auth-production_auth-service", STACK, "labels")
    assert (service["desired"], service["running"], service["nodes"]) == (1, 1, [NODE])
    [task] = service["tasks"]
    assert (task["node"], task["state"], task["health"], task["desired_state"]) == (NODE, "running", "healthy", "running")
    container = docker("exec", NODE, "docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=%s"
                       % service["name"])
    assert task["container_id"] == container
    assert auth["summary"] == "auth/production: 1/1 tasks running on %s, stack %s" % (NODE, STACK)
    assert rule.evaluate(catalog, result) == []
    view = inspect_swarm_container("auth", "production", "auth-service", swarm["host"])
    assert (view["state"], view["health"], view["error"]) == ("running", "healthy", None)

    # A second stack with the same identity: found before any change, naming both stacks and the service.
    deploy(STRAY, stack_file(catalog, "copy", healthcheck=False))
    result = discover_swarm(catalog, docker=swarm["api"])
    violations = rule.evaluate(catalog, result)
    assert [(v["kind"], v["unit"]) for v in violations] == [(rule.SECOND_STACK, "auth/production")]
    stray_id = violations[0]["strays"][0]["id"]
    assert violations[0]["reason"] == ("second stack %s for auth/production (the rightful stack is %s): services "
                                       "%s_copy (%s)" % (STRAY, STACK, STRAY, stray_id))
    # The health read still names the unit's own service, not the copy.
    assert inspect_swarm_container("auth", "production", "auth-service", swarm["host"])["state"] == "running"

    args = {"services": base_services, "domain": DOMAIN, "docker_host": swarm["host"], "engine": "swarm"}
    rc, checked = run_module("single_environment", args)
    assert rc != 0
    assert STRAY in checked["msg"] and STACK in checked["msg"] and "%s_copy" % STRAY in checked["msg"]
    rc, enforced = run_module("single_environment", dict(args, mode="enforce", confirm=True))
    assert rc == 0, enforced.get("msg")
    assert [(s["kind"], s["name"], s["action"]) for s in enforced["stopped"]] == [
        ("service", "%s_copy" % STRAY, "service removed with its tasks (volumes kept); stack %s emptied, network "
         "%s_default removed" % (STRAY, STRAY))]
    names = [s["Spec"]["Name"] for s in swarm["api"].services()]
    assert names == ["auth-production_auth-service"]
    # The manager lets a removed network go once the last task has left it.
    assert wait_for(lambda: not swarm["api"].networks({"label": ["com.docker.stack.namespace=%s" % STRAY]}), 15.0)
    assert len(swarm["api"].networks({"label": ["com.docker.stack.namespace=%s" % STACK]})) == 1
    rc, info = run_module("service_environment_info", args)
    assert rc == 0 and unit_of(info, "auth/production")["state"] == "running"
    rc, health = run_module("service_health", {
        "endpoints": [{"name": "auth-service", "service": "auth", "environment": "production", "kind": "container",
                       "container": "auth-service"}],
        "docker_socket": swarm["host"][len("unix://"):], "engine": "swarm", "retries": 0})
    assert rc == 0, health.get("msg")
    assert [(r["container_state"], r["container_health"], r["ok"]) for r in health["results"]] == [
        ("running", "healthy", True)]


def test_an_engine_that_manages_no_swarm_is_named(base_services):
    # The host's own engine is in no swarm (never initialised here); asking it only reads.
    if docker("info", "--format", "{{.Swarm.ControlAvailable}}") == "true":
        pytest.skip("the host's engine is a swarm manager")
    rc, failed = run_module("service_environment_info", {"services": base_services, "domain": DOMAIN,
                                                         "engine": "swarm"})
    assert rc != 0
    assert failed["msg"].startswith("engine swarm reads the swarm from a manager; GET /services answered 503: ")
    assert "not a swarm manager" in failed["msg"]
