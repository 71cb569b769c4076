# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment control end to end, on the platform this scenario deployed: the single-environment
rule at run time (a stray container, an unmanaged process), enforce, the health check, stop_all and
start_all_production with the data kept.

The tests run in file order and share the platform; each one leaves it as it found it, except the
last two, which stop and start it (test_platform.py runs before this file)."""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position

FACTS = helpers.facts("platform-facts.json")
PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.getcwd()
STATE_DIR = os.path.dirname(FACTS["project_root"])
BIN = os.path.dirname(sys.executable)
STRAY = "ztest-l2p-dev-stray"


def playbook(name, *args):
    """Run one of the collection's playbooks against the local inventory; (rc, output)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(PROJECT_DIR, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    # Molecule's own settings would point Ansible at its cached inventory and config.
    for key in ("ANSIBLE_INVENTORY", "ANSIBLE_ROLES_PATH", "ANSIBLE_LIBRARY", "ANSIBLE_FILTER_PLUGINS"):
        env.pop(key, None)
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(PROJECT_DIR, "inventory/local"),
                           os.path.join(PROJECT_DIR, "playbooks", name)] + list(args),
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap(output):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-2000:]
    return {"ok": int(match.group(1)), "changed": int(match.group(2)), "failed": int(match.group(4))}


def docker(*args, check=True):
    return helpers.docker(*args, check=check).stdout.strip()


def platform_containers():
    """name -> (id, started at) of every container carrying the platform's identity labels."""
    ids = docker("ps", "-aq", "--filter", "label=korczewski.platform.service").split()
    result = {}
    for info in json.loads(docker("inspect", *ids)) if ids else []:
        result[info["Name"].lstrip("/")] = (info["Id"], info["State"]["StartedAt"], info["State"]["Running"])
    return result


def psql(sql):
    return docker("exec", "-u", "postgres", "shared-postgres", "psql", "-U", "postgres", "-d", "auth_db", "-tAc", sql)


@pytest.fixture
def stray_container():
    cid = docker("run", "-d", "--name", STRAY, "--network", FACTS["network"] + "-dev",
                 "--label", "korczewski.platform.service=l2p", "--label", "korczewski.platform.environment=development",
                 "--entrypoint", "sleep", "local/app-standin:1", "infinity")
    yield cid
    docker("rm", "-f", STRAY, check=False)


def test_health_check_passes_and_writes_a_report(tmp_path):
    report = tmp_path / "health.json"
    rc, out = playbook("health_check.yml", "-e", "health_report=%s" % report)
    assert rc == 0, out[-3000:]
    results = json.loads(report.read_text())
    assert len(results) >= 15
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]]
    kinds = {r["kind"] for r in results}
    assert {"https", "http", "container"} <= kinds
    # The table names every endpoint with its URL.
    assert "https://auth.%s:%d/health" % (FACTS["domain"], FACTS["https_port"]) in out


def test_stray_container_stops_site_before_any_change(stray_container):
    before = platform_containers()
    rc, out = playbook("site.yml")
    assert rc != 0
    assert STRAY in out and stray_container[:12] in out, out[-3000:]
    assert recap(out)["changed"] == 0
    after = platform_containers()
    assert after == before


def test_enforce_without_confirmation_stops_nothing(stray_container):
    rc, out = playbook("preflight.yml", "-e", "platform_rule=enforce")
    assert rc != 0 and "platform_rule_confirm" in out, out[-3000:]
    assert docker("inspect", "-f", "{{.State.Running}}", STRAY) == "true"


def test_enforce_removes_the_stray_and_keeps_the_rightful_containers(stray_container):
    before = {k: v for k, v in platform_containers().items() if k != STRAY}
    volumes = set(docker("volume", "ls", "-q").split())
    rc, out = playbook("preflight.yml", "-e", "platform_rule=enforce", "-e", "platform_rule_confirm=true")
    assert rc == 0, out[-3000:]
    assert recap(out)["changed"] >= 1
    assert STRAY not in docker("ps", "-a", "--format", "{{.Names}}").split()
    assert platform_containers() == before
    assert set(docker("volume", "ls", "-q").split()) >= volumes
    rc, out = playbook("preflight.yml")
    assert rc == 0, out[-3000:]


def test_unmanaged_process_on_a_dev_port_is_named_with_its_pid():
    rc, out = playbook("stop_all.yml", "-e", "stop_all_confirm=true", "--tags", "auth",
                       "-e", "platform_environment=development")
    assert rc == 0, out[-3000:]
    squatter = subprocess.Popen([sys.executable, "-m", "http.server", "5500", "--bind", "127.0.0.1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert helpers.wait_for(lambda: "127.0.0.1:5500" in loopback_listeners(), timeout=10, interval=0.1)
        rc, out = playbook("site.yml", "--tags", "auth")
        assert rc != 0
        assert "pid %d" % squatter.pid in out and "5500" in out, out[-3000:]
        assert recap(out)["changed"] == 0
    finally:
        os.killpg(squatter.pid, signal.SIGTERM)
        squatter.wait(timeout=10)
    rc, out = playbook("site.yml", "--tags", "auth", "-e", "platform_environment=development")
    assert rc == 0, out[-3000:]


def loopback_listeners():
    """Listening TCP sockets on loopback, as host:port strings (from /proc, like the module)."""
    found = set()
    with open("/proc/net/tcp") as handle:
        for line in handle.readlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":
                continue
            addr, port = fields[1].split(":")
            octets = [str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)]
            found.add("%s:%d" % (".".join(octets), int(port, 16)))
    return found


def test_health_check_fails_naming_a_killed_service():
    docker("kill", "auth-service")
    try:
        rc, out = playbook("health_check.yml", "-e", "platform_environment=production")
        assert rc != 0
        failing = out[out.index("endpoint(s) failing"):]
        assert "auth" in failing and "l2p" not in failing, failing[:2000]
    finally:
        docker("start", "auth-service")


def test_stop_all_needs_confirmation():
    rc, out = playbook("stop_all.yml")
    assert rc != 0 and "stop_all_confirm=true" in out
    assert all(running for dummy, dummy2, running in platform_containers().values())


def test_stop_all_then_start_all_production_keeps_the_data():
    psql("CREATE TABLE IF NOT EXISTS ztest_control (note text); INSERT INTO ztest_control VALUES ('kept')")
    volumes = set(docker("volume", "ls", "-q").split())
    rc, out = playbook("stop_all.yml", "-e", "stop_all_confirm=true")
    assert rc == 0, out[-3000:]
    assert not any(running for dummy, dummy2, running in platform_containers().values())
    # Pid files sit in one directory per account (npm/<user>/<name>.pid).
    assert not glob.glob(os.path.join(STATE_DIR, "npm", "*.pid")) + glob.glob(os.path.join(STATE_DIR, "npm", "*", "*.pid"))
    assert set(docker("volume", "ls", "-q").split()) >= volumes
    rc, out = playbook("start_all_production.yml")
    assert rc == 0, out[-3000:]
    production = {k: v for k, v in platform_containers().items() if not k.endswith("-dev")}
    for name in ("traefik", "shared-postgres", "auth-service", "l2p-app", "l2p-api", "web", "videovault",
                 "vllm-rag", "vllm-dashboard"):
        assert production[name][2], name
    assert psql("SELECT note FROM ztest_control") == "kept"
