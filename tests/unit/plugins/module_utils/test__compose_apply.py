# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose.apply's answer to a changed file the containers read: restart, reload (a signal) or
nothing, with an engine that records what it was asked instead of running docker."""

from __future__ import annotations

import json

from ansible_collections.korczewski.platform.plugins.module_utils.compose.apply import ProjectApply
from ansible_collections.korczewski.platform.plugins.module_utils.compose.engine import ComposeEngine
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import render_definition, signal_problem
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.engine import SwarmEngine

DEFINITION = {"name": "shared-postgres-production",
              "services": {"postgres": {"container_name": "shared-postgres", "image": "postgres:15"}}}
HBA_OLD = "host all all all scram-sha-256\n"
HBA_NEW = "host all postgres all reject\nhost all all all scram-sha-256\n"


class RecordingEngine(object):
    """One container per service; up recreates it when the compose file changed since the last up."""

    switches = False
    keeps_releases = False

    def __init__(self, project_dir, running=True, fail_reload=None):
        self.dir = project_dir
        self.calls = []
        self.generation = 0
        self.running = running
        self.fail_reload = fail_reload
        self.compose_seen = self._compose() if running else None

    def _compose(self):
        path = self.dir / "compose.yaml"
        return path.read_text() if path.exists() else None

    def containers(self, name):
        if not self.running:
            return []
        return [{"id": "id%d" % self.generation, "name": "shared-postgres", "service": "postgres",
                 "state": "running", "health": "healthy"}]

    def validate(self, name, directory, compose_file):
        return None

    def up(self, name, directory, compose_file, wait_timeout, services=None, remove_orphans=True):
        self.calls.append(("up",))
        compose = self._compose()
        if not self.running or compose != self.compose_seen:
            self.generation += 1
        self.running = True
        self.compose_seen = compose
        return None

    def restart(self, name, directory, compose_file, wait_timeout):
        self.calls.append(("restart",))
        return None

    def reload(self, name, directory, compose_file, wait_timeout, signal="SIGHUP"):
        self.calls.append(("reload", signal))
        return self.fail_reload

    def diagnose(self, name):
        return []


def spec(project_dir, hba=HBA_NEW, definition=None, **options):
    entry = {"name": "shared-postgres-production", "project_dir": str(project_dir), "compose_file": "compose.yaml",
             "compose_mode": "0640", "directory_mode": "0750", "state": "present", "order": 0,
             "definition": definition or DEFINITION, "wait_timeout": 30, "depends_on": [],
             "files": [{"path": "conf/pg_hba.conf", "content": hba, "mode": "0644", "secret": False, "state": "present"},
                       {"path": "postgres-password", "content": "pw", "mode": "0600", "secret": True, "state": "present"}],
             "restart_on_change": [], "reload_on_change": ["conf/pg_hba.conf"], "reload_signal": "SIGHUP",
             "switch": [], "in_place": {}, "rollback": False, "takeover": False, "roll_forward": False}
    entry.update(options)
    return entry


def deployed(tmp_path, hba=HBA_OLD, definition=None):
    """A project directory as an earlier run left it, its container running."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "pg_hba.conf").write_text(hba)
    (tmp_path / "conf" / "pg_hba.conf").chmod(0o644)
    (tmp_path / "postgres-password").write_text("pw")
    (tmp_path / "postgres-password").chmod(0o600)
    (tmp_path / "compose.yaml").write_text(render_definition(definition or DEFINITION))
    (tmp_path / "compose.yaml").chmod(0o640)
    return RecordingEngine(tmp_path)


def apply(engine, entry, restart=False):
    return ProjectApply(engine, entry, restart=restart).run()


def test_a_changed_reload_file_signals_the_running_container_instead_of_restarting_it(tmp_path):
    engine = deployed(tmp_path)
    result = apply(engine, spec(tmp_path))
    assert not result["failed"], result.get("msg")
    assert result["files_changed"] == ["conf/pg_hba.conf"]
    assert (tmp_path / "conf" / "pg_hba.conf").read_text() == HBA_NEW
    assert result["reloaded"] and not result["restarted"]
    assert result["recreated"] == []
    assert engine.calls == [("up",), ("reload", "SIGHUP")]
    assert result["changed"]


def test_an_unchanged_reload_file_signals_nothing(tmp_path):
    engine = deployed(tmp_path, hba=HBA_NEW)
    result = apply(engine, spec(tmp_path))
    assert result["files_changed"] == []
    assert not result["reloaded"] and not result["restarted"] and not result["changed"]
    assert ("reload", "SIGHUP") not in engine.calls


def test_the_project_signal_is_the_one_sent(tmp_path):
    engine = deployed(tmp_path)
    result = apply(engine, spec(tmp_path, reload_signal="SIGUSR1"))
    assert result["reloaded"]
    assert engine.calls[-1] == ("reload", "SIGUSR1")


def test_a_restart_that_happens_anyway_makes_the_reload_needless(tmp_path):
    engine = deployed(tmp_path)
    # The same file named twice, or a restart asked for by a handler: the restart re-reads it too.
    result = apply(engine, spec(tmp_path, restart_on_change=["conf/pg_hba.conf"]))
    assert result["restarted"] and not result["reloaded"]
    assert [c[0] for c in engine.calls] == ["up", "restart"]

    (tmp_path / "conf" / "pg_hba.conf").write_text(HBA_OLD)
    engine.calls = []
    result = apply(engine, spec(tmp_path), restart=True)
    assert result["restarted"] and not result["reloaded"]
    assert "reload" not in [c[0] for c in engine.calls]


def test_a_recreated_container_already_read_the_file(tmp_path):
    engine = deployed(tmp_path)
    changed = {"name": DEFINITION["name"],
               "services": {"postgres": dict(DEFINITION["services"]["postgres"], command=["postgres", "-c", "x=1"])}}
    result = apply(engine, spec(tmp_path, definition=changed))
    assert sorted(result["files_changed"]) == ["compose.yaml", "conf/pg_hba.conf"]
    assert result["recreated"] == ["shared-postgres"]
    assert not result["reloaded"] and not result["restarted"]
    assert engine.calls == [("up",)]


def test_a_first_deploy_signals_nothing(tmp_path):
    engine = RecordingEngine(tmp_path, running=False)
    result = apply(engine, spec(tmp_path))
    assert not result["failed"], result.get("msg")
    assert result["recreated"] == ["shared-postgres"]
    assert not result["reloaded"] and not result["restarted"]
    assert engine.calls == [("up",)]


def test_a_failed_reload_fails_the_project_and_names_it(tmp_path):
    engine = deployed(tmp_path)
    engine.fail_reload = "cannot kill container: no such process"
    result = apply(engine, spec(tmp_path))
    assert result["failed"] and result["reloaded"]
    assert "cannot kill container" in result["msg"]


def test_compose_reload_is_kill_with_the_signal_then_up_wait(monkeypatch):
    engine = ComposeEngine(docker="docker")
    calls = []

    def run(argv, timeout=120, cwd="/"):
        calls.append(argv)
        return 0, "", ""

    monkeypatch.setattr(engine, "_run", run)
    assert engine.reload("p", "/srv/p", "compose.yaml", 30, signal="SIGHUP") is None
    kill, up = calls
    assert kill[-3:] == ["kill", "--signal", "SIGHUP"]
    assert kill[:5] == ["compose", "--project-name", "p", "--project-directory", "/srv/p"]
    # up --wait afterwards: a container whose process did not survive the signal comes back healthy.
    assert "up" in up and "--wait" in up

    calls[:] = []
    monkeypatch.setattr(engine, "_run", lambda argv, timeout=120, cwd="/": (calls.append(argv), (1, "", "no such service"))[1])
    assert engine.reload("p", "/srv/p", "compose.yaml", 30) == "no such service"
    assert len(calls) == 1, "no up after a failed signal"


def test_swarm_reload_is_a_restart(monkeypatch):
    engine = SwarmEngine(docker="docker")
    asked = []
    monkeypatch.setattr(engine, "restart", lambda *args: asked.append(args) or None)
    assert engine.reload("p", "/srv/p", "compose.yaml", 30, signal="SIGHUP") is None
    assert asked == [("p", "/srv/p", "compose.yaml", 30)]


def test_only_signal_names_and_numbers_reach_the_cli():
    for good in ("SIGHUP", "HUP", "SIGUSR2", "SIGRTMIN+3", "1", "15"):
        assert signal_problem(good) is None, good
    for bad in ("", "sighup", "--signal=9", "SIGHUP; rm", "HUP HUP", "123", None, 1):
        assert "SIGHUP" in signal_problem(bad), bad


class ImageEngine(RecordingEngine):
    """The recording engine on a host whose tag postgres:15 names an image: up makes the container
    run what the tag names then."""

    local_images = True

    def __init__(self, project_dir, tag_id="sha256:aaaa"):
        super(ImageEngine, self).__init__(project_dir)
        self.tags = {"postgres:15": tag_id}
        self.running_image = tag_id

    def up(self, name, directory, compose_file, wait_timeout, services=None, remove_orphans=True):
        if self.running_image != self.tags["postgres:15"]:
            self.running_image = self.tags["postgres:15"]
            self.generation += 1
        return super(ImageEngine, self).up(name, directory, compose_file, wait_timeout, services, remove_orphans)

    def image_id(self, reference):
        return self.tags.get(reference)

    def container_images(self, names):
        return dict((n, self.running_image) for n in names)


def image_deployed(tmp_path):
    deployed(tmp_path, hba=HBA_NEW)
    return ImageEngine(tmp_path)


def test_a_tag_that_names_another_image_now_brings_the_project_up(tmp_path):
    engine = image_deployed(tmp_path)
    engine.tags["postgres:15"] = "sha256:bbbb"
    result = apply(engine, spec(tmp_path))
    assert result["files_changed"] == []
    assert result["up"] and result["reason"] == "shared-postgres runs sha256:aaaa, but postgres:15 now names sha256:bbbb"
    assert result["recreated"] == ["shared-postgres"] and result["changed"]
    # Converged: the next run has nothing to do.
    again = apply(engine, spec(tmp_path))
    assert not again["up"] and not again["changed"] and "reason" not in again


class ListedImageEngine(ImageEngine):
    """The Engine API's list names each container's image id: nothing is inspected one by one."""

    def containers(self, name):
        return [dict(c, image_id=self.running_image) for c in super(ListedImageEngine, self).containers(name)]

    def container_images(self, names):
        raise AssertionError("inspected %s although the list named their images" % names)


def test_a_moved_tag_is_found_from_the_container_list_alone(tmp_path):
    deployed(tmp_path, hba=HBA_NEW)
    engine = ListedImageEngine(tmp_path)
    assert not apply(engine, spec(tmp_path))["up"]
    engine.tags["postgres:15"] = "sha256:bbbb"
    result = apply(engine, spec(tmp_path))
    assert result["up"] and result["reason"] == "shared-postgres runs sha256:aaaa, but postgres:15 now names sha256:bbbb"


def test_an_unmoved_tag_changes_nothing_and_a_swarm_is_not_asked(tmp_path):
    engine = image_deployed(tmp_path)
    result = apply(engine, spec(tmp_path))
    assert not result["up"] and not result["changed"]
    engine.tags["postgres:15"] = "sha256:bbbb"
    engine.local_images = False
    assert not apply(engine, spec(tmp_path))["up"]


def test_a_secret_file_the_project_no_longer_names_leaves_the_disk(tmp_path):
    # A variable that left the catalog, or stopped being a file: its old value must not stay.
    engine = deployed(tmp_path, hba=HBA_NEW)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "OLD_TOKEN").write_text("old-token-value")
    (tmp_path / "secrets" / "OLD_TOKEN").chmod(0o600)
    kept = {"path": "secrets/KEPT", "content": "kept-value", "mode": "0600", "secret": True, "state": "present"}
    entry = spec(tmp_path)
    entry["files"] = entry["files"] + [kept]
    checked = ProjectApply(engine, entry, check_mode=True, want_diff=True).run()
    assert checked["files_changed"] == ["secrets/KEPT", "secrets/OLD_TOKEN"]
    assert (tmp_path / "secrets" / "OLD_TOKEN").exists()
    assert "old-token-value" not in json.dumps(checked)
    result = apply(engine, entry)
    assert not result["failed"], result.get("msg")
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == ["KEPT"]
    assert not apply(engine, entry)["changed"]
