# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose_projects through the real ``ansible`` CLI on the real Docker engine.

Projects are named ztest-apply-*, run local/debian:bookworm with ``sleep infinity`` and a health
check, carry no korczewski.platform labels, and are removed (containers, networks, the one named
volume) by the fixture's finalizer.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = str(Path(__file__).resolve().parents[4])
BIN = os.path.dirname(sys.executable)
IMAGE = "local/debian:bookworm"
VOLUME = "ztest-apply-data"
SECRET = "Zt3st-Apply-Secret-Value"


pytestmark = [
    pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "ansible")), reason="needs the ansible CLI"),
    pytest.mark.needs_docker,
]


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def run_module(args, *extra):
    """(exit code, result, whole output) of one ad-hoc module run."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    cmd = [os.path.join(BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-m", "korczewski.platform.compose_projects", "-a", json.dumps(args)] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    marker = proc.stdout.find(" => ")
    assert marker >= 0, proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout[marker + 4:]), proc.stdout + proc.stderr


def service(health_cmd="true", env=None, volume=False, env_file=None):
    spec = {"image": IMAGE, "command": ["sleep", "infinity"], "init": True,
            "healthcheck": {"test": ["CMD-SHELL", health_cmd], "interval": "1s", "timeout": "2s", "retries": 2}}
    if env:
        spec["environment"] = env
    if volume:
        spec["volumes"] = ["data:/data"]
    if env_file:
        spec["env_file"] = [env_file]
    return spec


def definition(name, services, volume=False):
    result = {"name": name, "services": services}
    if volume:
        result["volumes"] = {"data": {"name": VOLUME}}
    return result


def spec(root, name, services, volume=False, **extra):
    result = {"name": name, "project_dir": str(root / name), "definition": definition(name, services, volume),
              "wait_timeout": 30}
    result.update(extra)
    return result


def by_name(result):
    return dict((p["name"], p) for p in result["projects"])


def container_id(name):
    return docker("inspect", "--format", "{{.Id}}", name)


@pytest.fixture
def root(tmp_path):
    names = ["ztest-apply-db", "ztest-apply-app", "ztest-apply-bad", "ztest-apply-other", "ztest-apply-after"]
    yield tmp_path
    for name in names:
        subprocess.run(["docker", "compose", "--project-name", name, "down", "--remove-orphans", "--timeout", "0"],
                       cwd="/", capture_output=True, check=False)
    subprocess.run(["docker", "volume", "rm", "-f", VOLUME], capture_output=True, check=False)


def test_apply_is_idempotent_ordered_and_check_mode_reads_the_new_file(root):
    secrets_env = {"path": "secrets.env", "content": "DB_PASSWORD=%s\n" % SECRET}
    projects = [
        spec(root, "ztest-apply-app", {"app": service(env={"ROLE": "app"}, env_file="secrets.env")}, order=1, depends_on=["ztest-apply-db"],
             files=[secrets_env]),
        spec(root, "ztest-apply-db", {"db": service(volume=True)}, volume=True,
             files=[{"path": "password", "content": SECRET}, {"path": "conf/note.txt", "content": "hello\n", "secret": False}]),
    ]
    rc, result, output = run_module({"projects": projects, "workers": 2}, "--diff")
    assert rc == 0, output
    assert SECRET not in output
    app, db = by_name(result)["ztest-apply-app"], by_name(result)["ztest-apply-db"]
    assert app["changed"] and db["changed"] and app["up"] and db["up"]
    assert set(db["containers_after"]) == {"ztest-apply-db-db-1"}
    # The database project finished before the application project's containers were created.
    db_started = docker("inspect", "--format", "{{.State.StartedAt}}", "ztest-apply-db-db-1")
    app_created = docker("inspect", "--format", "{{.Created}}", "ztest-apply-app-app-1")
    assert app_created > db_started
    modes = dict((p, stat.S_IMODE(os.stat(root / "ztest-apply-db" / p).st_mode))
                 for p in ("compose.yml", "password", "conf/note.txt"))
    assert modes == {"compose.yml": 0o640, "password": 0o600, "conf/note.txt": 0o640}
    assert (root / "ztest-apply-app" / "secrets.env").read_text() == "DB_PASSWORD=%s\n" % SECRET
    assert "DB_PASSWORD=<hidden>" in output
    assert not [p for p in os.listdir(root / "ztest-apply-db") if p.startswith(".staging")]

    rc, result, output = run_module({"projects": projects})
    assert rc == 0, output
    assert not result["changed"], output
    assert not any(p["up"] for p in result["projects"])

    # Check mode on a changed file: nothing written, no container touched, the report reads the new file.
    before_id = container_id("ztest-apply-app-app-1")
    compose_before = (root / "ztest-apply-app" / "compose.yml").read_text()
    changed = [dict(projects[0], definition=definition("ztest-apply-app", {"app": service(env={"ROLE": "changed"}, env_file="secrets.env")})),
               projects[1]]
    rc, result, output = run_module({"projects": changed}, "--check", "--diff")
    assert rc == 0, output
    app = by_name(result)["ztest-apply-app"]
    assert app["changed"] and app["files_changed"] == ["compose.yml"]
    assert "Container ztest-apply-app-app-1 Recreate" in app["actions"]
    assert not by_name(result)["ztest-apply-db"]["changed"]
    assert '-        "ROLE": "app"' in output and '+        "ROLE": "changed"' in output
    assert (root / "ztest-apply-app" / "compose.yml").read_text() == compose_before
    assert container_id("ztest-apply-app-app-1") == before_id

    # A changed secret file alone recreates the container (compose reads env files at create).
    rotated = [dict(projects[0], files=[{"path": "secrets.env", "content": "DB_PASSWORD=%s-2\n" % SECRET}]), projects[1]]
    rc, result, output = run_module({"projects": rotated}, "--check", "--diff")
    assert rc == 0 and by_name(result)["ztest-apply-app"]["actions"], output
    assert "DB_PASSWORD=<hidden, changed>" in output and SECRET not in output
    rc, result, output = run_module({"projects": rotated})
    assert rc == 0, output
    app = by_name(result)["ztest-apply-app"]
    assert app["changed"] and app["recreated"] == ["ztest-apply-app-app-1"]
    assert container_id("ztest-apply-app-app-1") != before_id

    # A stopped container is brought back; a restart request restarts one that was not recreated.
    docker("stop", "-t", "0", "ztest-apply-db-db-1")
    db_id = container_id("ztest-apply-db-db-1")
    rc, result, output = run_module({"projects": rotated, "restart": ["ztest-apply-app"]})
    assert rc == 0, output
    db, app = by_name(result)["ztest-apply-db"], by_name(result)["ztest-apply-app"]
    assert db["changed"] and db["up"] and "is exited" in db["reason"]
    assert container_id("ztest-apply-db-db-1") == db_id
    assert app["restarted"] and app["changed"]

    # Stopping needs no definition (stop_all.yml): the containers stop, the files stay as they are.
    compose_text = (root / "ztest-apply-db" / "compose.yml").read_text()
    stop = [{"name": p["name"], "project_dir": p["project_dir"], "state": "stopped", "order": 1 - p.get("order", 0)} for p in rotated]
    rc, result, output = run_module({"projects": stop}, "--check")
    assert rc == 0 and result["changed"], output
    assert docker("inspect", "--format", "{{.State.Status}}", "ztest-apply-app-app-1") == "running"
    rc, result, output = run_module({"projects": stop})
    assert rc == 0 and result["changed"], output
    assert docker("inspect", "--format", "{{.State.Status}}", "ztest-apply-app-app-1") == "exited"
    assert docker("inspect", "--format", "{{.State.Status}}", "ztest-apply-db-db-1") == "exited"
    assert (root / "ztest-apply-db" / "compose.yml").read_text() == compose_text
    rc, result, output = run_module({"projects": stop})
    assert rc == 0 and not result["changed"], output

    rc, result, output = run_module({"projects": [dict(p, state="absent") for p in rotated]})
    assert rc == 0 and result["changed"], output
    assert docker("ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=ztest-apply-db") == ""
    assert not (root / "ztest-apply-db" / "compose.yml").exists()
    assert docker("volume", "ls", "--quiet", "--filter", "name=" + VOLUME) == VOLUME


def test_invalid_file_keeps_the_old_one_and_unhealthy_project_is_reported(root):
    good = spec(root, "ztest-apply-other", {"other": service()})
    rc, result, output = run_module({"projects": [good]})
    assert rc == 0, output
    compose_before = (root / "ztest-apply-other" / "compose.yml").read_text()
    broken = dict(good, definition={"name": "ztest-apply-other", "services": {"other": {"image": IMAGE, "ports": ["not a port"]}}})
    rc, result, output = run_module({"projects": [broken]})
    assert rc != 0
    assert "the new compose file is invalid, the old one stays" in result["msg"]
    assert (root / "ztest-apply-other" / "compose.yml").read_text() == compose_before

    bad = spec(root, "ztest-apply-bad",
               {"bad": service(health_cmd="echo probe says API_TOKEN=%s is refused; exit 1" % SECRET)},
               files=[{"path": "secrets.env", "content": "API_TOKEN=%s\n" % SECRET}], wait_timeout=20)
    bad["definition"]["services"]["bad"]["command"] = ["sh", "-c", "echo booting with %s; sleep infinity" % SECRET]
    after = spec(root, "ztest-apply-after", {"after": service()}, order=1, depends_on=["ztest-apply-bad"])
    rc, result, output = run_module({"projects": [bad, good, after]})
    assert rc != 0
    assert result["failed_projects"] == ["ztest-apply-bad", "ztest-apply-after"]
    report = by_name(result)["ztest-apply-bad"]["msg"]
    assert "container ztest-apply-bad-bad-1 is running (unhealthy)" in report
    assert "last health probe: probe says API_TOKEN=" in report
    assert "booting with" in report
    assert SECRET not in output
    assert by_name(result)["ztest-apply-after"]["skipped"]
    assert not by_name(result)["ztest-apply-other"]["failed"]
    assert docker("ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=ztest-apply-after") == ""


def test_a_missing_external_network_fails_before_any_project_changes(root):
    services = {"app": service()}
    wanted = spec(root, "ztest-apply-app", services)
    wanted["definition"]["networks"] = {"ztest-no-such-network": {"name": "ztest-no-such-network", "external": True}}
    services["app"]["networks"] = ["ztest-no-such-network"]
    rc, result, output = run_module({"projects": [wanted]})
    assert rc != 0, output
    assert result["missing_networks"] == ["ztest-no-such-network"]
    assert "Docker network(s) ztest-no-such-network do not exist" in result["msg"]
    assert not (root / "ztest-apply-app").exists()


def test_a_secrets_file_the_unit_no_longer_reads_is_removed(root):
    # A unit that lost its last secret: the apply entry asks for the file's absence, and the old
    # values leave the disk in the same run that drops the env_file.
    with_secret = spec(root, "ztest-apply-other", {"app": service(env_file="secrets.env")},
                       files=[{"path": "secrets.env", "content": "TOKEN=%s\n" % SECRET}])
    rc, result, output = run_module({"projects": [with_secret]})
    assert rc == 0, output
    assert (root / "ztest-apply-other" / "secrets.env").exists()
    without = spec(root, "ztest-apply-other", {"app": service()}, files=[{"path": "secrets.env", "state": "absent"}])
    rc, result, output = run_module({"projects": [without]})
    assert rc == 0, output
    assert by_name(result)["ztest-apply-other"]["changed"]
    assert not (root / "ztest-apply-other" / "secrets.env").exists()
    assert SECRET not in output
    rc, result, output = run_module({"projects": [without]})
    assert rc == 0, output
    assert not by_name(result)["ztest-apply-other"]["changed"]


def test_a_secret_file_owned_by_the_containers_user_is_read_through_the_mount_and_is_in_no_environment(root):
    # A compose secret is a bind mount that keeps the host's owner and mode: owner gives a non-root
    # container user its 0600 file, and a later owner change alone is a change.
    app = dict(service(), user="10001:10001",
               secrets=["TOKEN"], environment={"TOKEN_FILE": "/run/secrets/TOKEN"})
    entry = spec(root, "ztest-apply-other", {"app": app}, files=[
        {"path": "secrets/TOKEN", "content": SECRET, "owner": 10001}])
    entry["definition"]["secrets"] = {"TOKEN": {"file": "./secrets/TOKEN"}}
    rc, result, output = run_module({"projects": [entry]})
    assert rc == 0, output
    path = root / "ztest-apply-other" / "secrets" / "TOKEN"
    assert (path.stat().st_uid, stat.S_IMODE(path.stat().st_mode)) == (10001, 0o600)
    inspected = json.loads(docker("inspect", "ztest-apply-other-app-1"))[0]
    assert inspected["State"]["Health"]["Status"] == "healthy"
    assert docker("exec", "ztest-apply-other-app-1", "cat", "/run/secrets/TOKEN") == SECRET
    assert SECRET not in json.dumps(inspected["Config"]) and SECRET not in output
    rc, result, output = run_module({"projects": [entry]})
    assert rc == 0 and not by_name(result)["ztest-apply-other"]["changed"], output
    os.chown(path, 0, -1)
    assert docker("exec", "ztest-apply-other-app-1", "cat", "/run/secrets/TOKEN", check=False) == ""
    rc, result, output = run_module({"projects": [entry]}, "--check")
    assert rc == 0 and by_name(result)["ztest-apply-other"]["files_changed"] == ["secrets/TOKEN"], output
    rc, result, output = run_module({"projects": [entry]})
    assert rc == 0 and path.stat().st_uid == 10001, output
    assert docker("exec", "ztest-apply-other-app-1", "cat", "/run/secrets/TOKEN") == SECRET


def test_a_tag_that_names_another_image_now_recreates_its_container(root):
    # The weekly `docker pull` of an unchanged tag, or a local image built again: the files stay
    # the same, the container must still follow the tag.
    tag = "local/ztest-moved:1"
    first = build_image(tag, "first")
    try:
        app = dict(service(), image=tag)
        entry = spec(root, "ztest-apply-app", {"app": app})
        rc, result, output = run_module({"projects": [entry]})
        assert rc == 0, output
        before = container_id("ztest-apply-app-app-1")
        rc, result, output = run_module({"projects": [entry]})
        assert rc == 0 and not by_name(result)["ztest-apply-app"]["changed"], output
        second = build_image(tag, "second")
        rc, result, output = run_module({"projects": [entry]})
        assert rc == 0, output
        project = by_name(result)["ztest-apply-app"]
        assert project["changed"] and project["files_changed"] == [], project
        assert project["reason"] == "ztest-apply-app-app-1 runs %s, but %s now names %s" % (first[:19], tag, second[:19])
        assert container_id("ztest-apply-app-app-1") != before
        assert docker("inspect", "--format", "{{.Image}}", "ztest-apply-app-app-1") == second
        rc, result, output = run_module({"projects": [entry]})
        assert rc == 0 and not by_name(result)["ztest-apply-app"]["changed"], output
    finally:
        subprocess.run(["docker", "compose", "--project-name", "ztest-apply-app", "down", "--timeout", "0"],
                       cwd="/", capture_output=True, check=False)
        docker("image", "rm", "-f", tag, check=False)
        docker("image", "rm", "-f", first, check=False)


# ---------------------------------------------------------------------------------------- takeover

TAKEN = "ztest-takeover-app"


@pytest.fixture
def hand_run(tmp_path):
    """A hand-run container (docker run, no compose project) holding TAKEN with data in a volume."""
    docker("run", "-d", "--name", TAKEN, "-v", "%s:/data" % VOLUME, IMAGE, "sh", "-c",
           "echo hand-run > /data/marker; exec sleep infinity")
    yield tmp_path
    for name in (TAKEN, TAKEN + "-adopting"):
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(["docker", "compose", "--project-name", "ztest-takeover", "down", "--timeout", "0"], cwd="/",
                   capture_output=True, check=False)
    subprocess.run(["docker", "volume", "rm", "-f", VOLUME], capture_output=True, check=False)


def takeover_spec(root, health_cmd="true"):
    svc = dict(service(health_cmd=health_cmd), container_name=TAKEN, volumes=["data:/data"])
    result = spec(root, "ztest-takeover", {"app": svc}, wait_timeout=15)
    result["definition"]["volumes"] = {"data": {"name": VOLUME, "external": True}}
    return result


def test_takeover_replaces_a_hand_run_container_once_healthy_and_keeps_its_volume(hand_run):
    old = container_id(TAKEN)
    rc, result, output = run_module({"projects": [takeover_spec(hand_run)], "takeover": True}, "--check")
    assert rc == 0, output
    [planned] = result["projects"]
    assert planned["changed"] and planned["taken_over"] == [TAKEN]
    assert any(a.startswith("Container %s Take over (container %s of image %s, no compose project" % (TAKEN, old[:12], IMAGE))
               for a in planned["actions"]), planned["actions"]
    assert container_id(TAKEN) == old, "check mode changed nothing"

    rc, result, output = run_module({"projects": [takeover_spec(hand_run)], "takeover": True})
    assert rc == 0, output
    [applied] = result["projects"]
    assert applied["changed"] and applied["taken_over"] == [TAKEN]
    assert container_id(TAKEN) != old
    assert docker("inspect", "--format", '{{index .Config.Labels "com.docker.compose.project"}}', TAKEN) == "ztest-takeover"
    assert docker("ps", "-a", "-q", "--filter", "id=%s" % old) == "", "the old container is removed once the new one is healthy"
    assert docker("exec", TAKEN, "cat", "/data/marker") == "hand-run"

    rc, result, output = run_module({"projects": [takeover_spec(hand_run)], "takeover": True})
    assert rc == 0, output
    assert not result["projects"][0]["changed"] and result["projects"][0]["taken_over"] == []


def test_a_takeover_whose_project_never_gets_healthy_gives_the_old_container_back(hand_run):
    old = container_id(TAKEN)
    rc, result, output = run_module({"projects": [takeover_spec(hand_run, health_cmd="false")], "takeover": True})
    assert rc != 0
    [failed] = result["projects"]
    assert failed["failed"] and failed["restored"] == [TAKEN]
    assert "Nothing was taken over" in failed["msg"] and TAKEN in failed["msg"]
    assert container_id(TAKEN) == old
    assert docker("inspect", "--format", "{{.State.Running}}", TAKEN) == "true"
    assert docker("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=ztest-takeover") == ""
    assert docker("exec", TAKEN, "cat", "/data/marker") == "hand-run"


def test_a_container_set_aside_by_an_interrupted_run_is_taken_over_by_the_next(hand_run):
    old = container_id(TAKEN)
    # What a run killed right after setting it aside leaves.
    docker("rename", TAKEN, TAKEN + "-adopting")
    docker("stop", TAKEN + "-adopting")
    rc, result, output = run_module({"projects": [takeover_spec(hand_run)], "takeover": True})
    assert rc == 0, output
    assert result["projects"][0]["taken_over"] == [TAKEN]
    assert docker("ps", "-a", "-q", "--filter", "id=%s" % old) == ""
    assert docker("exec", TAKEN, "cat", "/data/marker") == "hand-run"


def test_without_takeover_a_foreign_holder_is_left_alone(hand_run):
    old = container_id(TAKEN)
    rc, result, output = run_module({"projects": [takeover_spec(hand_run)]})
    assert rc != 0
    assert "already in use" in result["projects"][0]["msg"], result["projects"][0]["msg"]
    assert container_id(TAKEN) == old
    assert docker("inspect", "--format", "{{.State.Running}}", TAKEN) == "true"


def build_image(tag, label):
    """An image of its own id (a LABEL on local/debian:bookworm), built offline."""
    proc = subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input="FROM %s\nLABEL ztest=%s\n" % (IMAGE, label),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return docker("image", "inspect", "--format", "{{.Id}}", tag)


@pytest.fixture
def rollback_images():
    """local/ztest-rollback:current (moved by the test) and :new, each its own image."""
    old, new = build_image("local/ztest-rollback:current", "old"), build_image("local/ztest-rollback:new", "new")
    yield old, new
    kept = docker("images", "--format", "{{.Repository}}:{{.Tag}}", "korczewski-platform-previous").split()
    for reference in ["local/ztest-rollback:current", "local/ztest-rollback:new"] + kept:
        if "ztest-apply-roll" in reference or reference.startswith("local/ztest-rollback"):
            docker("image", "rm", "-f", reference, check=False)


def test_rollback_goes_back_to_the_kept_release_and_site_keeps_it_until_rolled_forward(root, rollback_images):
    old_id, new_id = rollback_images
    name = "ztest-apply-roll"

    def project(image, **extra):
        web = dict(service(), image=image, container_name=name + "-web")
        return spec(root, name, {"web": web}, switch=["web"], files=[{"path": "secrets.env", "content": "TOKEN=%s\n" % SECRET}],
                    **extra)

    def running_image():
        return docker("inspect", "--format", "{{.Image}}", name + "-web")

    def call(*projects, **options):
        return run_module(dict({"projects": list(projects), "switch_settle": 0.2}, **options))

    try:
        # A first deploy keeps nothing; there is nothing to roll back to yet.
        rc, _result, output = call(project("local/ztest-rollback:current"))
        assert rc == 0, output
        assert not (root / name / ".previous").exists()
        rc, result, output = call(dict(project("local/ztest-rollback:current"), rollback=True))
        assert rc != 0 and "there is no kept release in %s" % (root / name) in output, output

        rc, result, output = call(project("local/ztest-rollback:new"))
        assert rc == 0, output
        assert by_name(result)[name]["switched"] == [name + "-web"] and running_image() == new_id
        kept = root / name / ".previous"
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(kept / "files" / "secrets.env").st_mode) == 0o600
        assert '"local/ztest-rollback:current"' in (kept / "files" / "compose.yml").read_text()

        # The tag the kept release names moves on (pulled again): the rollback runs the kept image.
        docker("tag", "local/ztest-rollback:new", "local/ztest-rollback:current")
        rc, result, output = call(dict(project("local/ztest-rollback:new"), rollback=True))
        assert rc == 0, output
        rolled = by_name(result)[name]
        assert rolled["changed"] and rolled["switched"] == [name + "-web"], rolled
        assert set(rolled["rollback"]["pinned"]) == {"web"}, json.dumps(rolled["rollback"])
        assert running_image() == old_id
        assert SECRET not in output
        # The release it replaced is kept in turn: a second rollback would go forward again.
        assert '"local/ztest-rollback:new"' in (kept / "files" / "compose.yml").read_text()

        # The catalog still names the new image: the apply reports the difference and keeps what runs.
        rc, result, output = call(project("local/ztest-rollback:new"))
        assert rc == 0, output
        held = by_name(result)[name]
        assert not held["changed"] and held["held"]["differences"], held
        assert "was rolled back" in output and "local/ztest-rollback:new" in output and "platform_roll_forward" in output
        assert running_image() == old_id

        # Rolled forward on request: the catalog applies again and the mark goes.
        rc, result, output = call(project("local/ztest-rollback:new"), roll_forward=True)
        assert rc == 0, output
        assert by_name(result)[name]["rolled_forward"] and running_image() == new_id
        rc, result, output = call(project("local/ztest-rollback:new"))
        assert rc == 0 and not result["changed"] and "held" not in by_name(result)[name], output
    finally:
        subprocess.run(["docker", "compose", "--project-name", name, "down", "--remove-orphans", "--timeout", "0"],
                       cwd="/", capture_output=True, check=False)
