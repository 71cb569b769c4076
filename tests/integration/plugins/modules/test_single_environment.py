# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""service_environment_info and single_environment through the real ``ansible`` CLI, on the real
Docker engine and real processes.

A tiny catalog of its own (services ztest-db, ztest-a, ztest-b; networks ztest and ztest-dev;
ports 47xxx) is deployed with ``docker compose`` from the catalog's own compose projects:
ztest-a production runs a container with a named volume, ztest-a development is a python
http.server in a source directory under tmp_path with an npm_dev_server-style pid file,
ztest-b development is not running. Each test adds strays and removes them again; the module
fixture removes everything it created. The engine is shared: labelled containers of other
deployments are orphans of this catalog, so every run that is not about orphans passes
``orphans: warn``, and no run here ever enforces with ``orphans: fail``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import read_stat

REPO_ROOT = str(Path(__file__).resolve().parents[4])
BIN = os.path.dirname(sys.executable)
NETWORK = "ztest"
IMAGE = "local/debian:bookworm"
DB_IMAGE = "local/app-standin:1"
VOLUME = "ztest-a-data"
# A database server keeps its data on a volume (a catalog rule).
DB_VOLUMES = {"production": "ztest-db-prod-data", "development": "ztest-db-dev-data"}
LABEL_SERVICE = "korczewski.platform.service"
LABEL_ENVIRONMENT = "korczewski.platform.environment"


def _tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc"),
    pytest.mark.skipif(_tool("ansible") is None, reason="needs the ansible CLI"),
    pytest.mark.needs_docker,
]


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def free_ports(count):
    ports = []
    for port in range(47100, 47999):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise AssertionError("no free ports in 47100-47999")


def wait_listening(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("nothing listens on port %d" % port)


class Processes:
    """Processes started in their own sessions; every session is killed at the end."""

    def __init__(self):
        self.started = []

    def start(self, args, cwd, port=None):
        proc = subprocess.Popen(args, cwd=str(cwd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.started.append(proc)
        if port is not None:
            wait_listening(port)
        return proc

    def http_server(self, port, cwd):
        return self.start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd, port)

    def close(self):
        for proc in self.started:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait(timeout=10)


def alive(proc):
    return proc.poll() is None


class Platform:
    """The test catalog and what runs for it."""

    def __init__(self, tmp):
        self.ports = dict(zip(("dev_a", "dev_a2", "dev_b", "db_dev"), free_ports(4)))
        self.source = tmp / "ztest-a-src"
        self.source.mkdir()
        self.elsewhere = tmp / "elsewhere"
        self.elsewhere.mkdir()
        self.state_dir = tmp / "state"
        self.state_dir.mkdir()
        sleep = {"image": IMAGE, "command": ["sleep", "infinity"]}
        database = {"image": DB_IMAGE, "command": ["python3", "-m", "http.server", "5432"], "port": 5432,
                    "route": False}
        self.services = {
            "ztest-db": {"layer": "infrastructure", "provides": "database", "environments": {
                "production": {"method": "compose", "containers": [
                    dict(database, name="ztest-db-prod", volumes=[{"name": DB_VOLUMES["production"], "path": "/data"}])]},
                "development": {"method": "compose", "containers": [
                    dict(database, name="ztest-db-dev", publish=[{"host": self.ports["db_dev"], "container": 5432}],
                         volumes=[{"name": DB_VOLUMES["development"], "path": "/data"}])]},
            }},
            "ztest-a": {"layer": "applications", "database": "ztest_a_db", "environments": {
                "production": {"method": "compose", "containers": [
                    dict(sleep, name="ztest-a-web", volumes=[{"name": VOLUME, "path": "/data"}])]},
                "development": {"method": "npm", "source": str(self.source), "port": self.ports["dev_a"]},
            }},
            "ztest-b": {"layer": "applications", "environments": {
                "production": {"method": "compose", "containers": [dict(sleep, name="ztest-b-web")]},
                "development": {"method": "compose", "containers": [
                    dict(sleep, name="ztest-b-dev", publish=[{"host": self.ports["dev_b"], "container": 8000}])]},
            }},
        }
        self.catalog = Catalog.load(self.services, "ztest.localhost", NETWORK)
        self.tmp = tmp
        self.processes = Processes()
        self.containers = []

    def args(self, **extra):
        """single_environment's arguments; orphans: warn unless a test asks otherwise."""
        args = self.info_args()
        args.update(orphans="warn")
        args.update(extra)
        return args

    def info_args(self):
        return {"services": self.services, "domain": "ztest.localhost", "network": NETWORK,
                "state_dir": str(self.state_dir)}

    def deploy(self, units):
        """docker compose up the catalog's own compose projects, concurrently."""
        running = []
        for service, environment in units:
            project = self.catalog.compose_project(service, environment)
            path = self.tmp / ("%s.yml" % project["name"])
            path.write_text(yaml.safe_dump(project))
            self.containers.extend(c.name for c in self.catalog.environment(service, environment).containers)
            running.append(subprocess.Popen(["docker", "compose", "-f", str(path), "up", "-d", "--quiet-pull"],
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for proc in running:
            out = proc.communicate(timeout=120)[0]
            assert proc.returncode == 0, out

    def run(self, name, extra_labels=(), network=NETWORK, volume=None):
        """A container started by hand (docker run --init, so SIGTERM stops it at once)."""
        cmd = ["run", "-d", "--init", "--name", name, "--network", network]
        for label in extra_labels:
            cmd += ["--label", label]
        if volume:
            cmd += ["-v", "%s:/data" % volume]
        self.containers.append(name)
        return docker(*(cmd + [IMAGE, "sleep", "infinity"]))[:12]

    def start_managed_dev_server(self):
        """ztest-a's dev server as npm_dev_server leaves it: own session, pid file and settings record."""
        proc = self.processes.http_server(self.ports["dev_a"], self.source)
        name = self.catalog.unit("ztest-a", "development")["local_servers"][0]["name"]
        (self.state_dir / ("%s.pid" % name)).write_text("%d\n" % proc.pid)
        (self.state_dir / ("%s.state.json" % name)).write_text(json.dumps(
            {"pid": proc.pid, "start_time": read_stat(proc.pid)["start_time"], "name": name}))
        return proc

    def remove(self, name):
        docker("rm", "-f", name, check=False)

    def close(self):
        self.processes.close()
        for name in self.containers:
            self.remove(name)
        for volume in [VOLUME] + sorted(DB_VOLUMES.values()):
            docker("volume", "rm", volume, check=False)
        for network in self.catalog.networks():
            docker("network", "rm", network, check=False)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    plat = Platform(tmp_path_factory.mktemp("single-environment"))
    existing = set(docker("network", "ls", "--format", "{{.Name}}").split())
    taken = existing & set(plat.catalog.networks())
    assert not taken, "networks %s exist already; they are not this test's to remove" % ", ".join(sorted(taken))
    names = set(docker("ps", "-a", "--format", "{{.Names}}").split())
    mine = set(plat.catalog.container_names()) | {"ztest-a-web-copy", "ztest-squat", "ztest-gone-web"}
    assert not names & mine, "containers %s exist already" % ", ".join(sorted(names & mine))
    try:
        for network in plat.catalog.networks():
            docker("network", "create", network)
        plat.deploy([("ztest-db", "production"), ("ztest-db", "development"), ("ztest-a", "production"),
                     ("ztest-b", "production")])
        plat.managed = plat.start_managed_dev_server()
        yield plat
    finally:
        plat.close()


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def run_module(module, args, *extra):
    """Run a module ad hoc through the ansible CLI; (exit code, result, output)."""
    cmd = [_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", "korczewski.platform." + module,
           "-a", json.dumps(args)] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    marker = proc.stdout.find(" => ")
    assert marker >= 0, proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout[marker + 4:]), proc.stdout + proc.stderr


def unit(result, key):
    service, environment = key.split("/")
    return [u for u in result["units"] if u["service"] == service and u["environment"] == environment][0]


def container_id(name):
    return docker("inspect", "-f", "{{.Id}}", name)


def exists(name):
    return name in docker("ps", "-a", "--format", "{{.Names}}").split()


def test_discovery_reports_each_unit(platform):
    rc, result, output = run_module("service_environment_info", platform.info_args())
    assert rc == 0, output
    print("\ndiscovery of the test set: %.3f s (module-side, engine with %d containers)"
          % (result["elapsed"], len(docker("ps", "-aq").split())))
    assert result["elapsed"] < 1.0
    assert result["changed"] is False
    web = unit(result, "ztest-a/production")
    assert web["state"] == "running"
    assert web["summary"] == "ztest-a/production: 1/1 containers running, project ztest-a-production"
    [cont] = web["containers"]
    assert cont["name"] == "ztest-a-web" and cont["id"] == container_id("ztest-a-web")[:12]
    assert cont["project"] == "ztest-a-production" and cont["matched"] == "labels"
    assert cont["state"] == "running" and cont["image"] == IMAGE and cont["restart_count"] == 0
    assert cont["volumes"] == [VOLUME] and cont["networks"] == [NETWORK] and cont["started_at"]
    dev = unit(result, "ztest-a/development")
    assert dev["state"] == "running"
    [server] = dev["dev_servers"]
    assert server["managed"] and server["running"] and server["pid"] == platform.managed.pid
    assert server["ports"] == [platform.ports["dev_a"]] and server["cwd"] == str(platform.source)
    assert "http.server" in server["cmdline"] and server["user"] and server["started"] >= 0
    assert unit(result, "ztest-b/development")["state"] == "missing"
    db_dev = unit(result, "ztest-db/development")["containers"][0]
    assert db_dev["ports"] == [platform.ports["db_dev"]] and db_dev["networks"] == [NETWORK + "-dev"]
    servers = {s["name"]: s for s in result["database_servers"]}
    assert servers["ztest-db-prod"]["environment"] == "production" and servers["ztest-db-prod"]["addresses"]
    # The docker-proxy that publishes ztest-db-dev's port is that container's, not an unmanaged process.
    assert [u for u in result["unmanaged"] if u["unit"].startswith("ztest-")] == []
    assert result["summary"] == [u["summary"] for u in result["units"]]


def test_clean_state_passes_the_check(platform):
    rc, result, output = run_module("single_environment", platform.args())
    assert rc == 0, output
    assert result["violations"] == [] and result["stopped"] == [] and result["changed"] is False
    assert result["table"] == "no violations" or "orphan" in result["table"]


@pytest.fixture
def stray_copy(platform):
    """A second instance of ztest-a/production: docker run with its identity labels, on its volume."""
    cid = platform.run("ztest-a-web-copy", [LABEL_SERVICE + "=ztest-a", LABEL_ENVIRONMENT + "=production"],
                       volume=VOLUME)
    yield cid
    platform.remove("ztest-a-web-copy")


@pytest.fixture
def squatter(platform):
    """A process started by hand on ztest-b-dev's published port while ztest-b/development is not running."""
    proc = platform.processes.http_server(platform.ports["dev_b"], platform.elsewhere)
    yield proc
    if alive(proc):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def second_dev(platform):
    """A second dev server started by hand in ztest-a's source directory, on another port."""
    proc = platform.processes.http_server(platform.ports["dev_a2"], platform.source)
    yield proc
    if alive(proc):
        os.killpg(proc.pid, signal.SIGKILL)


def test_duplicate_labelled_container_is_named_with_its_id(platform, stray_copy):
    rc, result, output = run_module("single_environment", platform.args())
    assert rc != 0
    assert "ztest-a-web-copy" in result["msg"] and stray_copy in result["msg"]
    [violation] = [v for v in result["violations"] if v["unit"].startswith("ztest-")]
    assert violation["kind"] == "outside_project" and violation["unit"] == "ztest-a/production"
    assert violation["strays"][0]["id"] == stray_copy and violation["strays"][0]["project"] is None
    assert exists("ztest-a-web-copy")


def test_unmanaged_process_on_a_managed_port_is_named_with_its_pid(platform, squatter):
    rc, result, output = run_module("single_environment", platform.args())
    assert rc != 0
    assert "pid %d" % squatter.pid in result["msg"] and str(platform.ports["dev_b"]) in result["msg"]
    [violation] = result["violations"]
    assert violation["kind"] == "unmanaged" and violation["unit"] == "ztest-b/development"
    assert "the rightful instance is missing" in violation["reason"]
    assert violation["strays"][0]["pid"] == squatter.pid
    assert alive(squatter)


def test_second_dev_server_in_the_source_directory(platform, second_dev):
    rc, result, output = run_module("single_environment", platform.args())
    assert rc != 0
    [violation] = result["violations"]
    assert violation["kind"] == "second_dev_server" and violation["unit"] == "ztest-a/development"
    assert "pid %d" % second_dev.pid in violation["reason"]
    assert "managed dev server is pid %d" % platform.managed.pid in violation["reason"]
    assert str(platform.ports["dev_a2"]) in result["msg"]


def test_dev_process_connected_to_the_production_database(platform):
    address = json.loads(docker("inspect", "ztest-db-prod"))[0]["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    code = ("import socket, time; s = socket.create_connection((%r, 5432)); open('connected', 'w').close(); "
            "time.sleep(600)" % address)
    proc = platform.processes.start([sys.executable, "-c", code], platform.source)
    try:
        deadline = time.monotonic() + 10
        while not (platform.source / "connected").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        rc, result, output = run_module("single_environment", platform.args())
        assert rc != 0
        [violation] = result["violations"]
        assert violation["kind"] == "production_database" and violation["unit"] == "ztest-a/development"
        assert "pid %d" % proc.pid in violation["reason"] and "%s:5432 (ztest-db-prod)" % address in violation["reason"]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        (platform.source / "connected").unlink()


def test_enforce_without_confirm_stops_nothing(platform, stray_copy, squatter, second_dev):
    rc, result, output = run_module("single_environment", platform.args(mode="enforce"))
    assert rc != 0
    assert "confirm: true" in result["msg"] and "Nothing was stopped" in result["msg"]
    assert result["stopped"] == [] and result["changed"] is False
    assert docker("inspect", "-f", "{{.State.Running}}", "ztest-a-web-copy") == "true"
    assert alive(squatter) and alive(second_dev)
    # Ansible's check mode tells what enforce would stop, without confirm and without stopping it.
    rc, result, output = run_module("single_environment", platform.args(mode="enforce"), "--check")
    assert rc == 0, output
    assert result["changed"] is True
    would = {(t["kind"], t["id"] or t["pid"]) for t in result["stopped"]}
    assert would == {("container", stray_copy), ("process", squatter.pid), ("process", second_dev.pid)}
    assert exists("ztest-a-web-copy") and alive(squatter) and alive(second_dev)


def test_enforce_with_confirm_removes_the_strays_only(platform, stray_copy, squatter, second_dev):
    rightful = container_id("ztest-a-web")
    rc, result, output = run_module("single_environment", platform.args(mode="enforce", confirm=True, stop_timeout=3))
    assert rc == 0, output
    assert result["changed"] is True and result["remaining"] == []
    stopped = {(t["kind"], t["id"] or t["pid"]): t["action"] for t in result["stopped"]}
    assert set(stopped) == {("container", stray_copy), ("process", squatter.pid), ("process", second_dev.pid)}
    assert stopped[("container", stray_copy)] == "stopped and removed (volumes kept)"
    assert not exists("ztest-a-web-copy")
    squatter.wait(timeout=10)
    second_dev.wait(timeout=10)
    assert container_id("ztest-a-web") == rightful
    assert docker("inspect", "-f", "{{.State.Running}}", "ztest-a-web") == "true"
    assert docker("volume", "inspect", "-f", "{{.Name}}", VOLUME) == VOLUME
    assert alive(platform.managed)
    rc, result, output = run_module("single_environment", platform.args())
    assert rc == 0, output


def test_orphans(platform):
    cid = platform.run("ztest-gone-web", [LABEL_SERVICE + "=ztest-gone", LABEL_ENVIRONMENT + "=production"])
    try:
        rc, result, output = run_module("single_environment", platform.args(orphans="fail"))
        assert rc != 0
        [orphan] = [o for o in result["orphans"] if o["name"] == "ztest-gone-web"]
        assert orphan == {"name": "ztest-gone-web", "id": cid, "project": None, "service": "ztest-gone",
                          "environment": "production", "state": "running"}
        assert "ztest-gone-web" in result["msg"] and cid in result["msg"]
        assert result["violations"] == []
        rc, result, output = run_module("single_environment", platform.args(orphans="warn"))
        assert rc == 0, output
        warning = output[output.index("[WARNING]"):]
        assert "orphan" in warning and "ztest-gone-web (%s, ztest-gone/production)" % cid in warning
    finally:
        platform.remove("ztest-gone-web")


def test_unreachable_engine_and_bad_catalog_fail_the_module(platform, tmp_path):
    args = dict(platform.info_args(), docker_host="unix://%s/missing.sock" % tmp_path)
    rc, result, output = run_module("service_environment_info", args)
    assert rc != 0 and "cannot reach the Docker engine at unix://%s/missing.sock" % tmp_path in result["msg"]
    services = json.loads(json.dumps(platform.services))
    services["ztest-b"]["environments"]["development"]["containers"][0]["publish"] = [platform.ports["dev_a"]]
    rc, result, output = run_module("single_environment", dict(platform.args(), services=services))
    assert rc != 0
    assert "port %d is also used by ztest-a.development" % platform.ports["dev_a"] in result["msg"]
    assert result["errors"] and not exists("ztest-b-dev")
