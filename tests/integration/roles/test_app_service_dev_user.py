# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dev servers never run as root: app_service's dev_user and local_servers tasks, run by a real
ansible-playbook against this machine through the local inventory's own hosts.yml (root, become
method su), start a real npm dev server as the owner of its source directory and refuse a
root-owned one.

Needs root (it creates the throwaway account ztest-dev), npm and node; everything it creates is
named ztest-* and removed afterwards."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURE = os.path.join(REPO_ROOT, "tests", "fixtures", "node-dev-app")
BIN = os.path.dirname(sys.executable)
USER = "ztest-dev"
PORT = 47381
SERVER = "ztest-devuser-app"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("npm") or not shutil.which("su"),
    reason="needs root, npm and su")

PLAYBOOK = """\
- name: Run one local dev server the way app_service does
  hosts: platform
  gather_facts: false
  tasks:
    - name: Find who runs it
      ansible.builtin.include_role:
        name: korczewski.platform.app_service
        tasks_from: dev_user
      vars:
        app_service_servers: ["{{ ztest_server }}"]

    - name: Bring it to its state
      ansible.builtin.include_role:
        name: korczewski.platform.app_service
        tasks_from: local_servers
      vars:
        app_service_servers: ["{{ ztest_server }}"]
        app_service_name: ztest
        app_service_environment: development
        app_service_wait_timeout: 60
"""


@pytest.fixture(scope="module")
def dev_account():
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
    try:
        yield pwd.getpwnam(USER)
    finally:
        subprocess.run(["userdel", "--remove", USER], check=False, capture_output=True)


@pytest.fixture
def workdir():
    """A directory every account can enter (pytest's tmp_path sits below a 0700 directory)."""
    path = tempfile.mkdtemp(prefix="ztest-devuser-", dir="/tmp")
    os.chmod(path, 0o755)
    with open(os.path.join(path, "play.yml"), "w") as handle:
        handle.write(PLAYBOOK)
    started = []
    yield {"path": path, "started": started}
    # Whatever a failing test left running: only the sessions this test's runs recorded, and only
    # while their leader is still the process that was recorded (same start time).
    for record in started:
        try:
            with open("/proc/%d/stat" % record["pid"]) as handle:
                start_time = int(handle.read().rsplit(")", 1)[1].split()[19])
        except (OSError, ValueError, IndexError):
            continue
        if start_time == record.get("start_time"):
            os.killpg(record["pid"], signal.SIGKILL)
    shutil.rmtree(path, ignore_errors=True)


def source_copy(workdir, owner):
    source = os.path.join(workdir["path"], "node-dev-app")
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("node_modules"))
    for root, dirs, files in os.walk(source):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, owner.pw_uid, owner.pw_gid)
    return source


def run(workdir, source, state="present", **extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    extra_vars = dict(extra, app_service_state=state, platform_state_dir=os.path.join(workdir["path"], "state"),
                      ztest_server={"name": SERVER, "source": source, "script": "dev", "port": PORT,
                                    "env": {"SERVICE_NAME": "ztest", "PLATFORM_ENVIRONMENT": "development"}})
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO_ROOT, "inventory/local/hosts.yml"),
                           "-e", json.dumps(extra_vars), os.path.join(workdir["path"], "play.yml")],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    for record in json_records(workdir):
        workdir["started"].append(record)
    return proc.returncode, out


def json_records(workdir):
    npm_dir = os.path.join(workdir["path"], "state", "npm")
    found = []
    for account in os.listdir(npm_dir) if os.path.isdir(npm_dir) else []:
        path = os.path.join(npm_dir, account, SERVER + ".state.json")
        if os.path.exists(path):
            with open(path) as handle:
                found.append(json.load(handle))
    return found


def recap(out):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
    assert match, out[-3000:]
    return {"changed": int(match.group(2)), "failed": int(match.group(4))}


def uids(pid):
    with open("/proc/%d/status" % pid) as handle:
        return {int(u) for u in re.search(r"^Uid:\s+(.*)$", handle.read(), re.M).group(1).split()}


def running(pid):
    """Whether pid is a live process (a zombie waiting for init to reap it is not)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def listener_uids(port):
    """Uids of the processes listening on port, read from /proc (socket inode -> process)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = {os.readlink("/proc/%s/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%s/fd" % pid)}
        except OSError:
            continue
        if any("socket:[%s]" % inode in links for inode in inodes):
            found |= uids(int(pid))
    return found


def health():
    with urllib.request.urlopen("http://127.0.0.1:%d/health" % PORT, timeout=5) as response:
        return json.loads(response.read())


def port_is_free():
    return not listener_uids(PORT)


def test_server_runs_as_the_owner_of_its_source_idempotent_and_stops(dev_account, workdir):
    assert port_is_free()
    # Given through a link that root owns: the directory it points to is what counts.
    source = os.path.join(workdir["path"], "ztest-link")
    os.symlink(source_copy(workdir, dev_account), source)
    rc, out = run(workdir, source)
    assert rc == 0, out[-4000:]
    state_dir = os.path.join(workdir["path"], "state", "npm", USER)
    with open(os.path.join(state_dir, SERVER + ".pid")) as handle:
        pid = int(handle.read())
    # npm and the node server it spawned, which holds the port, both run as the source's owner.
    assert uids(pid) == {dev_account.pw_uid}
    assert listener_uids(PORT) == {dev_account.pw_uid}
    assert health()["service"] == "ztest"
    # npm ci ran as the owner too: node_modules belongs to it.
    assert os.stat(os.path.join(source, "node_modules")).st_uid == dev_account.pw_uid
    info = os.stat(state_dir)
    assert (info.st_uid, oct(info.st_mode & 0o777)) == (dev_account.pw_uid, "0o700")
    assert oct(os.stat(os.path.dirname(state_dir)).st_mode & 0o777) == "0o755"

    rc, out = run(workdir, source)
    assert rc == 0, out[-4000:]
    assert recap(out)["changed"] == 0, out[-4000:]

    rc, out = run(workdir, source, state="stopped")
    assert rc == 0, out[-4000:]
    assert recap(out)["changed"] == 1, out[-4000:]
    assert port_is_free()
    assert not os.path.exists(os.path.join(state_dir, SERVER + ".pid"))
    assert not running(pid)


def test_root_owned_source_is_refused_before_anything_starts(workdir):
    source = source_copy(workdir, pwd.getpwuid(0))
    rc, out = run(workdir, source)
    assert rc != 0
    message = " ".join(out.split())
    assert "Dev server %s would run as root: its source directory %s is owned by root" % (SERVER, source) in message
    for fix in ("chown -R <developer>: %s" % source, "set platform_dev_user", "platform_dev_allow_root: true"):
        assert fix in message, message[-3000:]
    assert port_is_free()
    assert not os.path.exists(os.path.join(source, "node_modules"))
    assert not os.path.exists(os.path.join(workdir["path"], "state"))


def test_allow_root_lets_a_root_owned_source_run_as_root(workdir):
    source = source_copy(workdir, pwd.getpwuid(0))
    rc, out = run(workdir, source, platform_dev_allow_root=True)
    assert rc == 0, out[-4000:]
    assert listener_uids(PORT) == {0}
    assert os.path.exists(os.path.join(workdir["path"], "state", "npm", "root", SERVER + ".pid"))
    rc, out = run(workdir, source, state="stopped", platform_dev_allow_root=True)
    assert rc == 0, out[-4000:]
    assert port_is_free()


def test_platform_dev_user_wins_over_the_owner_and_must_exist(dev_account, workdir):
    source = source_copy(workdir, dev_account)
    rc, out = run(workdir, source, platform_dev_user="root")
    assert rc != 0
    assert "would run as root: platform_dev_user is root" in " ".join(out.split()), out[-3000:]
    rc, out = run(workdir, source, platform_dev_user="ztest-nosuchuser")
    assert rc != 0
    assert "should run as ztest-nosuchuser (platform_dev_user), which has no account" in " ".join(out.split()), out[-3000:]
    assert port_is_free()


def test_missing_source_is_named_and_stopping_it_still_works(workdir):
    source = os.path.join(workdir["path"], "ztest-missing")
    rc, out = run(workdir, source)
    assert rc != 0
    assert "its source directory %s does not exist" % source in " ".join(out.split()), out[-3000:]
    rc, out = run(workdir, source, state="stopped")
    assert rc == 0, out[-4000:]
