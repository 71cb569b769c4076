# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/plays/services.yml, run by a real ansible-playbook in check mode on a catalog of its own.

The catalog (services ztest-apply-db, ztest-apply-web, ztest-apply-tool; networks ztest-apply and
ztest-apply-dev, created here and removed) is never deployed: check mode writes nothing below the
state directory and creates no container, so no container with the platform's labels appears.
What is checked: all units' projects go through ONE compose_projects call that reports, from the
new files, what it would create; and a service's tag run first provisions that service's database
on its server (which is not running here, so the run stops there, before any unit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = str(Path(__file__).resolve().parents[3])
BIN = os.path.dirname(sys.executable)
NETWORK = "ztest-apply"


pytestmark = [
    pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "ansible-playbook")), reason="needs ansible-playbook"),
    pytest.mark.needs_docker,
]


def catalog():
    sleep = {"image": "local/debian:bookworm", "command": ["sleep", "infinity"], "port": 8000, "route": False}
    return {
        "ztest-apply-db": {"layer": "infrastructure", "provides": "database", "environments": {
            "production": {"method": "compose", "containers": [
                {"name": "ztest-apply-db-prod", "image": "local/postgres:15", "port": 5432, "route": False,
                 "volumes": [{"name": "ztest-apply-db-prod-data", "path": "/var/lib/postgresql/data"}]}]},
            "development": {"method": "compose", "containers": [
                {"name": "ztest-apply-db-dev", "image": "local/postgres:15", "port": 5432, "route": False,
                 "publish": [{"host": 47611, "container": 5432}],
                 "volumes": [{"name": "ztest-apply-db-dev-data", "path": "/var/lib/postgresql/data"}]}]},
        }},
        "ztest-apply-web": {"layer": "applications", "database": "ztest_apply_db", "environments": {
            "production": {"method": "compose", "containers": [dict(sleep, name="ztest-apply-web")]},
            "development": {"method": "compose", "containers": [
                dict(sleep, name="ztest-apply-web-dev", publish=[{"host": 47612, "container": 8000}])]},
        }},
        "ztest-apply-tool": {"layer": "control", "environments": {
            "production": {"method": "compose", "containers": [dict(sleep, name="ztest-apply-tool")]},
            "development": {"method": "compose", "containers": [
                dict(sleep, name="ztest-apply-tool-dev", publish=[{"host": 47615, "container": 8000}])]},
        }},
    }


@pytest.fixture
def inventory(tmp_path):
    for network in (NETWORK, NETWORK + "-dev"):
        subprocess.run(["docker", "network", "create", network], capture_output=True, check=True)
    group_vars = tmp_path / "inventory" / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    (tmp_path / "inventory" / "hosts.yml").write_text(yaml.safe_dump({"platform": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    (group_vars / "platform.yml").write_text(yaml.safe_dump({
        "platform_domain": "ztest-apply.localhost", "platform_network": NETWORK, "platform_services": catalog(),
        "platform_state_dir": str(tmp_path / "state"), "platform_credentials_dir": str(tmp_path / "credentials"),
        "platform_ports": {"http": 47613, "https": 47614}}))
    yield tmp_path
    for network in (NETWORK, NETWORK + "-dev"):
        subprocess.run(["docker", "network", "rm", network], capture_output=True, check=False)


def play(tmp_path, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "inventory"),
           os.path.join(REPO_ROOT, "playbooks", "plays", "services.yml"), "--check"] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stdout + proc.stderr


def tasks(result):
    return dict((t["task"]["name"], t["hosts"].get("localhost", {})) for p in result["plays"] for t in p["tasks"])


def test_every_unit_in_one_call_judged_from_the_new_files(inventory):
    rc, result, output = play(inventory)
    assert rc == 0, output
    apply = tasks(result)["Bring every selected unit's compose project up, layer by layer, in one call"]
    projects = dict((p["name"], p) for p in apply["projects"])
    assert sorted(projects) == ["ztest-apply-tool-development", "ztest-apply-tool-production",
                                "ztest-apply-web-development", "ztest-apply-web-production"]
    web = projects["ztest-apply-web-production"]
    assert web["changed"] and web["files_changed"] == ["compose.yml", "secrets.env"]
    assert "Container ztest-apply-web Creating" in web["actions"]
    assert apply["changed"]
    # Layer order went in with the specs: control after applications.
    assert [p["name"] for p in apply["projects"]][-2:] == ["ztest-apply-tool-production", "ztest-apply-tool-development"]
    assert not (inventory / "state" / "projects").exists()
    assert subprocess.run(["docker", "ps", "--all", "--quiet", "--filter", "name=ztest-apply-web"],
                          capture_output=True, text=True, check=True).stdout.strip() == ""
    # The database password reached the env file's content but no output.
    password = (inventory / "credentials" / "ztest-apply-db-prod" / "ztest_apply_db").read_text().strip()
    assert password and password not in output


def test_a_service_tag_run_provisions_its_database_first(inventory):
    rc, result, output = play(inventory, "--tags", "ztest-apply-web")
    assert rc != 0
    assert "the database server ztest-apply-db-prod does not run" in output
    assert "Bring every selected unit's compose project up" not in json.dumps(tasks(result))
