# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Taking over a hand-run installation, end to end: tests/handrun/build.sh starts one the seed's way
(plain docker run under the seed's names, l2p from a compose file with profiles, its own network and
volume names, a host directory of media files, rows in the four databases, one owner role of another
name, a central .env with every quirk); then import_env.yml, adopt.yml --check, a takeover that
fails, adopt.yml and two site.yml runs, on a copy of the local inventory, production only. Then
the weekly update on the taken-over platform: a new image tag for auth and l2p and back, and a
broken one, each under steady load through Traefik (tests/load/steady.py), with 0 failed requests.

The tests share that one installation and run in file order; the figures (adoption time, seconds
each service was not serving, rows compared) go to tests/output/adopt-figures.txt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, str(REPO_ROOT / "tests" / "handrun"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "load"))
sys.path.insert(0, str(REPO_ROOT / "collections"))

import availability  # noqa: E402  pylint: disable=wrong-import-position
import snapshot  # noqa: E402  pylint: disable=wrong-import-position
import steady  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.parse import parse_dotenv  # noqa: E402

FIGURES = REPO_ROOT / "tests" / "output" / "adopt-figures.txt"
RECAP = re.compile(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
HAND_RUN = ["traefik", "shared-postgres", "auth-service", "l2p-app", "l2p-api", "web", "videovault"]
# What the hand-run Traefik serves and the managed one serves after it, by the same names.
URLS = {
    "auth": "https://auth.platform.localhost:18443/health",
    "l2p": "https://l2p.platform.localhost:18443/",
    "l2p-api": "https://l2p.platform.localhost:18443/api/health",
    "payment": "https://payment.platform.localhost:18443/health",
    "videovault": "https://videovault.platform.localhost:18443/health",
}
OWNERS = [("AUTH_DB_PASSWORD", "auth_user", "auth_db"), ("L2P_DB_PASSWORD", "l2p_owner", "l2p_db"),
          ("PAYMENT_DB_PASSWORD", "payment_user", "payment_db"), ("VIDEOVAULT_DB_PASSWORD", "videovault_user", "videovault_db")]

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "ansible-playbook")), reason="needs ansible-playbook")


def figure(line):
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def docker(*args):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)


def container_ids():
    """{name: (id, running)} of every container on the engine."""
    out = docker("ps", "-a", "--format", "{{.Names}}\t{{.ID}}\t{{.State}}").stdout
    return dict((n, (i, s == "running")) for n, i, s in (line.split("\t") for line in out.splitlines() if line))


def label(name, key):
    return docker("inspect", "--format", '{{index .Config.Labels "%s"}}' % key, name).stdout.strip()


class Installation(object):
    """The hand-run installation and the inventory copy that takes it over."""

    def __init__(self, root):
        self.root = root
        self.work = root / "handrun"
        self.inventory = root / "inventory"
        self.vault_pass = root / "vault-pass"
        self.env = {}

    def playbook(self, playbook, *args, timeout=1500, env=None):
        started = time.monotonic()
        command = [os.path.join(BIN, "ansible-playbook"), "-i", str(self.inventory), playbook,
                   "--vault-password-file", str(self.vault_pass), "-e", "platform_environment=production"] + list(args)
        proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False,
                              env=dict(os.environ, **(env or {})))
        proc.elapsed = time.monotonic() - started
        proc.output = proc.stdout + proc.stderr
        return proc

    def passwords(self):
        return [value for key, value in self.env.items() if "PASSWORD" in key or "SECRET" in key or "KEY" in key]


def changed(run):
    found = RECAP.findall(run.stdout)
    assert found, run.output[-3000:]
    return int(found[-1][1])


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    root = tmp_path_factory.mktemp("adopt")
    inst = Installation(root)
    shutil.copytree(REPO_ROOT / "inventory" / "local", inst.inventory, symlinks=False)
    inst.vault_pass.write_text("adopt end to end\n")
    if FIGURES.exists():
        FIGURES.unlink()
    try:
        started = time.monotonic()
        build = subprocess.run(["bash", str(REPO_ROOT / "tests" / "handrun" / "build.sh"), str(inst.work)],
                               capture_output=True, text=True, timeout=600, check=False)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        figure("hand-run installation built in %.1f s" % (time.monotonic() - started))
        inst.env = parse_dotenv((inst.work / ".env").read_text()).values
        inst.before = snapshot.snapshot("shared-postgres", str(inst.work / "media"))
        inst.ids_before = container_ids()
        yield inst
    finally:
        teardown(inst)


def teardown(inst):
    projects = set()
    for name, (cid, dummy) in container_ids().items():
        project = label(cid, "com.docker.compose.project")
        if label(cid, "korczewski.platform.service") and project:
            projects.add(project)
    for project in sorted(projects):
        docker("compose", "--project-name", project, "down", "--volumes", "--remove-orphans", "--timeout", "5")
    subprocess.run(["bash", str(REPO_ROOT / "tests" / "handrun" / "teardown.sh"), str(inst.work)],
                   capture_output=True, text=True, timeout=300, check=False)


def test_import_env_puts_the_central_env_into_the_vault(installation):
    run = installation.playbook("playbooks/import_env.yml", "-e", "platform_env_file=%s" % (installation.work / ".env"))
    assert run.returncode == 0, run.output[-3000:]
    assert (installation.inventory / "group_vars" / "all" / "vault.yml").read_text().startswith("$ANSIBLE_VAULT")
    for value in installation.passwords():
        assert value not in run.output


def test_the_plan_names_every_container_its_data_and_owners_and_changes_nothing(installation):
    run = installation.playbook("playbooks/adopt.yml", "--check")
    assert run.returncode == 0, run.output[-3000:]
    text = " ".join(run.stdout.split())
    for name in HAND_RUN:
        assert "%s (running" % name in text, name
    assert "l2p-app (running, compose project l2p)" in text
    assert "volume handrun_pgdata in place" in text
    assert "host directory %s in place" % (installation.work / "media") in text
    assert "database l2p_db (production, owner l2p_owner): kept; l2p_user gets every object of l2p_owner" in text
    assert container_ids() == installation.ids_before
    assert not (installation.inventory / "group_vars" / "all" / "adopted.yml").exists()


def test_a_takeover_that_does_not_turn_healthy_leaves_the_old_container_serving(installation):
    platform = yaml.safe_load((installation.inventory / "group_vars" / "all" / "platform.yml").read_text())
    images = dict(platform["platform_images"], traefik="local/debian:bookworm")
    with availability.Poller(URLS) as poller:
        run = installation.playbook("playbooks/adopt.yml", "--tags", "traefik", "-e", json.dumps({"platform_images": images}))
    assert run.returncode != 0
    assert "traefik-production" in run.output and "Nothing was taken over" in run.output, run.output[-3000:]
    ids = container_ids()
    assert ids["traefik"] == installation.ids_before["traefik"], "the hand-run Traefik runs again under its name"
    assert "traefik-adopting" not in ids
    report = poller.report()
    for url in URLS.values():
        assert availability.get(url) == 200, "the hand-run installation serves %s again" % url
    figure("forced failure (traefik on an image that cannot start): old Traefik back; auth not served for %.1f s"
           % report["auth"]["down_seconds"])


def test_adopt_takes_over_every_container_and_loses_nothing(installation):
    with availability.Poller(URLS) as poller:
        run = installation.playbook("playbooks/adopt.yml", env={"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"})
    (REPO_ROOT / "tests" / "output" / "adopt-run.log").write_text(run.stdout)
    assert run.returncode == 0, run.output[-5000:]
    for value in installation.passwords():
        assert value not in run.output
    report = poller.report()
    figure("adoption of the whole stack (adopt.yml, production): %.1f s" % run.elapsed)
    for name in URLS:
        figure("  %s: not serving for %.1f s (longest gap %.1f s, %d of %d requests failed; outages from-to s: %s)"
               % (name, report[name]["down_seconds"], report[name]["longest_gap"], report[name]["failures"],
                  report[name]["requests"], " ".join("%s-%s" % o for o in report[name]["outages"])))
    ids = container_ids()
    for name in HAND_RUN:
        assert ids[name][1], "%s runs" % name
        assert ids[name][0] != installation.ids_before[name][0], "%s was replaced" % name
        assert label(name, "korczewski.platform.service"), "%s carries the identity labels" % name
        assert name + "-adopting" not in ids
    adopted = yaml.safe_load((installation.inventory / "group_vars" / "all" / "adopted.yml").read_text())
    assert adopted["platform_adopted_volumes"] == {
        "shared-postgres-data": {"external": "handrun_pgdata"},
        "videovault-media": {"host_path": str(installation.work / "media")}}
    assert adopted["platform_adopted_owners"] == {"l2p_db": "l2p_owner"}
    for url in URLS.values():
        assert availability.get(url) == 200, url
    # The bridges of the takeover are gone: no container is left on the hand-run network.
    joined = docker("network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", "handrun-net")
    assert joined.returncode == 0 and joined.stdout.strip() == "", joined.stdout


def test_every_row_and_file_is_still_there(installation):
    after = snapshot.snapshot("shared-postgres", str(installation.work / "media"))
    assert after == installation.before
    tables = sum(len(db) for db in after["databases"].values())
    rows = sum(t["rows"] for db in after["databases"].values() for t in db.values())
    figure("compared: %d rows in %d tables of %d databases, %d files: equal before and after"
           % (rows, tables, len(after["databases"]), len(after["files"])))
    assert rows > 0 and after["files"]


def test_the_hand_run_roles_still_log_in_with_their_env_passwords(installation):
    items = [{"user": user, "database": db, "password": installation.env[key]} for key, user, db in OWNERS]
    assert snapshot.logins("shared-postgres", items) == [True] * len(items)
    # The check can fail: the adopted server asks for the password (SCRAM) on 127.0.0.1.
    wrong = [dict(item, password="not-" + item["password"]) for item in items]
    assert snapshot.logins("shared-postgres", wrong) == [False] * len(items)
    # The catalog's owner of l2p_db writes what l2p_owner created.
    assert label("l2p-api", "korczewski.platform.service") == "l2p"


def test_a_second_adopt_changes_nothing(installation):
    run = installation.playbook("playbooks/adopt.yml")
    assert run.returncode == 0, run.output[-3000:]
    assert changed(run) == 0, run.output[-5000:]


def test_site_leaves_the_adopted_containers_running_untouched(installation):
    ids = container_ids()
    first = installation.playbook("site.yml")
    assert first.returncode == 0, first.output[-5000:]
    after = container_ids()
    for name in HAND_RUN:
        assert after[name] == ids[name], name
    second = installation.playbook("site.yml")
    assert second.returncode == 0, second.output[-3000:]
    assert changed(second) == 0, second.output[-5000:]
    figure("site.yml after the takeover: %.1f s, then %.1f s with changed=0" % (first.elapsed, second.elapsed))


# ---------------------------------------------------------------- weekly updates of the taken-over platform
LOAD_URLS = {
    "auth": "https://auth.platform.localhost:18443/health",
    "l2p": "https://l2p.platform.localhost:18443/",
    "l2p-api": "https://l2p.platform.localhost:18443/api",
}
SWITCHED = ["auth-service", "l2p-app", "l2p-api"]


def images_with(installation, tag):
    platform = yaml.safe_load((installation.inventory / "group_vars" / "all" / "platform.yml").read_text())
    images = dict(platform["platform_images"])
    for key in ("auth", "l2p_frontend", "l2p_backend"):
        images[key] = tag
    return json.dumps({"platform_images": images})


class EngineEvents(object):
    """What the engine does to containers while it runs (created, started, died, removed, health),
    as "seconds since the start, name, action" lines: what a failed request is set beside, to tell
    which step of a switch it fell in. Read live: the engine keeps too few past events to ask later,
    since every health check is one."""

    def __enter__(self):
        actions = ("create", "start", "die", "destroy", "health_status")
        argv = ["docker", "events", "--format", "{{.TimeNano}} {{.Actor.Attributes.name}} {{.Action}}",
                "--filter", "type=container"] + ["--filter=event=%s" % a for a in actions]
        self.started = time.time()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        out = self.proc.communicate(timeout=10)[0]
        self.lines = []
        for line in out.splitlines():
            nano, rest = (line.split(" ", 1) + [""])[:2]
            if nano.isdigit():
                self.lines.append("%7.2f %s" % (int(nano) / 1e9 - self.started, rest))
        return False


def update_under_load(installation, *args):
    with EngineEvents() as events, steady.SteadyLoad(LOAD_URLS, rate=25) as load:
        time.sleep(1)
        run = installation.playbook("site.yml", "--tags", "auth,l2p", *args)
        time.sleep(1)
    return run, load.report(), events


def assert_no_failed_request(report, events):
    for name, stats in report.items():
        assert stats["failed"] == 0, "%s: %d failed of %d, statuses %s, first failures (s, status, s, answer) %s; engine:\n%s" % (
            name, stats["failed"], stats["requests"], stats["statuses"], stats["failures"], "\n".join(events.lines))
        assert stats["rate"] >= 20, (name, stats)


def test_an_image_update_switches_auth_and_l2p_without_a_failed_request(installation):
    base = docker("inspect", "--format", "{{.Config.Image}}", "auth-service").stdout.strip()
    assert docker("tag", base, "local/app-standin:switch-test").returncode == 0
    try:
        for tag, extra in (("local/app-standin:switch-test", ["-e", images_with(installation, "local/app-standin:switch-test")]),
                           (base, [])):
            ids = container_ids()
            run, report, events = update_under_load(installation, *extra)
            assert run.returncode == 0, run.output[-5000:]
            assert_no_failed_request(report, events)
            after = container_ids()
            for name in SWITCHED:
                assert docker("inspect", "--format", "{{.Config.Image}}", name).stdout.strip() == tag, name
                assert after[name][0] != ids[name][0] and after[name][1], name
                assert name + "-next" not in after, name
            figure("update to %s under 25 req/s each (auth, l2p /, l2p /api): site.yml --tags auth,l2p %.1f s, "
                   "0 failed of %d requests, longest gap %.2f s (auth), %.2f s (l2p), %.2f s (l2p /api)"
                   % (tag, run.elapsed, sum(r["requests"] for r in report.values()), report["auth"]["longest_gap"],
                      report["l2p"]["longest_gap"], report["l2p-api"]["longest_gap"]))
    finally:
        docker("rmi", "local/app-standin:switch-test")


def test_a_broken_image_fails_the_run_and_the_old_container_keeps_serving(installation):
    build = subprocess.run(["docker", "build", "-q", "-t", "local/app-standin:broken-test", "-"], input=(
        'FROM local/app-standin:1\nCMD ["sh", "-c", "echo broken on purpose; exit 1"]\n'),
        capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    try:
        ids = container_ids()
        run, report, events = update_under_load(installation, "-e", images_with(installation, "local/app-standin:broken-test"))
        assert run.returncode != 0
        assert "auth-service-next did not become healthy" in run.output, run.output[-5000:]
        assert "broken on purpose" in run.output
        assert_no_failed_request(report, events)
        after = container_ids()
        for name in SWITCHED:
            assert after[name] == ids[name], "%s kept serving, untouched" % name
            assert name + "-next" not in after, name
        figure("broken image for auth and l2p under load: the run failed in %.1f s, 0 failed of %d requests, "
               "the old containers untouched" % (run.elapsed, sum(r["requests"] for r in report.values())))
        again = installation.playbook("site.yml", "--tags", "auth,l2p")
        assert again.returncode == 0 and changed(again) == 0, again.output[-5000:]
    finally:
        docker("rmi", "local/app-standin:broken-test")


def test_rollback_switches_auth_back_under_load_and_site_keeps_it_until_rolled_forward(installation):
    # The last update (back to the base image) kept the release it replaced: the switch-test one,
    # whose tag is gone since, so the rollback runs the image kept under its own reference.
    base = docker("inspect", "--format", "{{.Config.Image}}", "auth-service").stdout.strip()
    ids = container_ids()
    with EngineEvents() as events, steady.SteadyLoad({"auth": LOAD_URLS["auth"]}, rate=25) as load:
        time.sleep(1)
        run = installation.playbook("playbooks/rollback.yml", "-e", "service=auth")
        time.sleep(1)
    report = load.report()
    assert run.returncode == 0, run.output[-5000:]
    assert_no_failed_request(report, events)
    image = docker("inspect", "--format", "{{.Config.Image}}", "auth-service").stdout.strip()
    assert image.startswith("korczewski-platform-previous:auth-production-auth-service-"), image
    after = container_ids()
    assert after["auth-service"][0] != ids["auth-service"][0] and "auth-service-next" not in after
    assert after["l2p-app"] == ids["l2p-app"] and after["l2p-api"] == ids["l2p-api"]
    figure("rollback.yml -e service=auth under 25 req/s: %.1f s, 0 failed of %d requests, longest gap %.2f s"
           % (run.elapsed, report["auth"]["requests"], report["auth"]["longest_gap"]))

    # The catalog still names the base image: site.yml keeps the rollback and says what differs.
    held = installation.playbook("site.yml", "--tags", "auth")
    assert held.returncode == 0 and changed(held) == 0, held.output[-5000:]
    # Ansible wraps a warning's lines.
    said = " ".join(held.output.split())
    assert "auth-production was rolled back" in said and "the catalog has %s" % base in said, held.output[-5000:]
    assert container_ids()["auth-service"] == after["auth-service"]

    forward = installation.playbook("site.yml", "--tags", "auth", "-e", "platform_roll_forward=true")
    assert forward.returncode == 0, forward.output[-5000:]
    assert docker("inspect", "--format", "{{.Config.Image}}", "auth-service").stdout.strip() == base
    again = installation.playbook("site.yml", "--tags", "auth")
    assert again.returncode == 0 and changed(again) == 0, again.output[-5000:]
    assert "was rolled back" not in again.output
