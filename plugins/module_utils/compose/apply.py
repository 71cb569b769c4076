# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one apply path: stage, validate, write and bring up compose projects.

The engine (compose.engine) runs every command; a changed routed container is replaced by a
health-gated switch (compose.switch), a hand-run container's name is taken over (compose.takeover)
and the release an update replaced is kept for a rollback (compose.release).
Private to korczewski.platform.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import SECRET_FILES_DIR
from ansible_collections.korczewski.platform.plugins.module_utils.compose.engine import EngineError
from ansible_collections.korczewski.platform.plugins.module_utils.compose.files import (
    owner_changes,
    read_file,
    replace_file,
    write_new,
)
from ansible_collections.korczewski.platform.plugins.module_utils.compose.release import Release, differences
from ansible_collections.korczewski.platform.plugins.module_utils.compose.switch import Switch
from ansible_collections.korczewski.platform.plugins.module_utils.compose.takeover import Takeover, container_names
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import (
    check_relative_path,
    container_name,
    failure_report,
    file_changes,
    mask,
    masked_secret_file,
    mounted_secret_files,
    moved_images,
    not_converged,
    recreated,
    render_definition,
    secret_values,
    snapshot,
    states_changed,
)


class ApplyError(Exception):
    pass


class ProjectApply(object):
    """Brings one project to its state. spec: the module's project entry, normalised."""

    def __init__(self, engine, spec, check_mode=False, want_diff=False, restart=False, settle=3.0, sleep=time.sleep):
        self.engine = engine
        self.settle = settle
        self.sleep = sleep
        self.existing = {}
        self.spec = spec
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.restart = restart
        self.name = spec["name"]
        self.dir = spec["project_dir"]
        self.compose_file = spec["compose_file"]
        self.secrets = set()
        self.wanted = {}
        # {path: uid} of the files that belong to another account (a container's user).
        self.owners = {}
        self.secret_paths = set()
        self.release = Release(engine, self.name, self.dir) if getattr(engine, "keeps_releases", False) else None
        self.rolled_to = None
        self.release_images = None
        # Stopping needs no definition: without one the files stay as they are.
        self.stop_only = spec["state"] == "stopped" and not spec.get("definition")
        # A rollback's files are the kept release's (_take_previous).
        if spec["state"] != "absent" and not self.stop_only and not spec.get("rollback"):
            self.wanted[self.compose_file] = (render_definition(spec["definition"]), int(spec["compose_mode"], 8))
        for entry in [] if self.stop_only or spec.get("rollback") else spec["files"]:
            path = check_relative_path(entry["path"])
            if entry.get("state", "present") == "absent":
                self.wanted[path] = None
                continue
            mode = entry["mode"] or ("0600" if entry["secret"] else "0640")
            self.wanted[path] = (entry["content"], int(mode, 8))
            if entry.get("owner") is not None:
                self.owners[path] = int(entry["owner"])
            if entry["secret"]:
                self.secret_paths.add(path)
                self.secrets |= secret_values(entry["content"])
        if spec["state"] != "absent" and not self.stop_only and not spec.get("rollback"):
            self._prune_secret_files()

    def _prune_secret_files(self):
        """A secret file the project no longer names (a variable that left the catalog or stopped
        being a file) leaves the disk in the same run: secrets/ holds what the entry lists only."""
        directory = os.path.join(self.dir, SECRET_FILES_DIR)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return
        for name in names:
            path = "%s/%s" % (SECRET_FILES_DIR, name)
            if path not in self.wanted and os.path.isfile(os.path.join(directory, name)):
                self.wanted[path] = None
                old = read_file(os.path.join(directory, name))
                self._secret_file(path, old[0] if old else "")

    def run(self):
        result = {"name": self.name, "state": self.spec["state"], "project_dir": self.dir, "changed": False,
                  "failed": False, "files_changed": [], "up": False, "restarted": False, "reloaded": False,
                  "taken_over": [], "bridged": [], "recreated": [], "switched": [], "in_place": {}, "actions": [],
                  "containers_before": {}, "containers_after": {}}
        try:
            self._run(result)
        except Exception as exc:  # pylint: disable=broad-except
            result["failed"] = True
            result["msg"] = mask("project %s failed: %s" % (self.name, exc), self.secrets)
        return result

    def _run(self, result):
        if self.spec.get("rollback"):
            self._take_previous(result)
        existing = dict((path, read_file(os.path.join(self.dir, path))) for path in self.wanted)
        self.existing = existing
        if self.spec["state"] == "absent":
            self._absent(result, existing)
            return
        changed_files = sorted(set(file_changes(existing, self.wanted)) | set(owner_changes(self.dir, self.owners)))
        if changed_files and self._held(result, existing, changed_files):
            changed_files = []
        result["files_changed"] = changed_files
        if self.want_diff:
            result["diff"] = self._diff(existing)
        before = self.engine.containers(self.name)
        result["containers_before"] = snapshot(before)
        staging = None
        try:
            # An unchanged project is predicted from its own directory: relative paths (a bind
            # mount of ./catalog.json) then resolve as in the running containers.
            if changed_files and not self.stop_only:
                staging = self._stage()
                error = self.engine.validate(self.name, staging, self.compose_file)
                if error:
                    result["failed"] = True
                    result["msg"] = mask("project %s: the new compose file is invalid, the old one stays: %s"
                                         % (self.name, error), self.secrets)
                    return
            if self.check_mode:
                self._predict(result, staging or self.dir, before, changed_files)
                return
            if changed_files:
                self._install(staging, changed_files)
                if self.release and self.existing.get(self.compose_file) is not None:
                    self.release_images = self.release.images_of(before)
        finally:
            if staging:
                shutil.rmtree(staging, ignore_errors=True)
        self._converge(result, before, changed_files)
        self._record(result, changed_files)

    def _secret_file(self, path, content):
        self.secret_paths.add(path)
        self.secrets |= secret_values(content)

    def _take_previous(self, result):
        """The kept release as what this call applies (playbooks/rollback.yml)."""
        release = self.release.previous() if self.release and self.spec["state"] == "present" else None
        if release is None:
            raise ApplyError("there is no kept release in %s to roll back to: a release is kept from the first "
                             "update of a project that was deployed and healthy" % self.dir)
        definition, pinned = self.release.rollback_definition(release)
        self.compose_file = release["compose_file"]
        self.wanted = dict(release["files"])
        if pinned:
            self.wanted[self.compose_file] = (render_definition(definition), self.wanted[self.compose_file][1])
        for path, wanted in self.wanted.items():
            if wanted and not wanted[1] & 0o077:
                self._secret_file(path, wanted[0])
        self.spec = dict(self.spec, definition=definition)
        self.rolled_to = release["kept_at"]
        result["rollback"] = {"to_release_kept_at": release["kept_at"],
                              "pinned": dict((s, "%s moved on: the kept image" % r) for s, r in pinned)}

    def _held(self, result, existing, changed_files):
        """True when the project was rolled back and this call keeps what runs: the catalog's
        change is reported, not applied, until it matches again or the call rolls forward."""
        mark = self.release.marked() if self.release and self.spec["state"] == "present" and not self.rolled_to else None
        current = existing.get(self.compose_file)
        if not mark or self.spec.get("roll_forward") or current is None:
            return False
        running = json.loads(current[0])
        lines = differences(running, self.spec["definition"]) + [
            "%s differs" % p for p in changed_files if p != self.compose_file]
        result["held"] = {"rolled_back_at": mark.get("rolled_back_at"), "differences": lines}
        result["warning"] = ("%s was rolled back (playbooks/rollback.yml, %s) and stays as it runs; the catalog "
                             "differs: %s. Change the catalog to match, or run with -e platform_roll_forward=true "
                             "to apply it again." % (self.name, mark.get("rolled_back_at"), "; ".join(lines)))
        for path in self.secret_paths.copy():
            if existing.get(path):
                self._secret_file(path, existing[path][0])
        self.wanted = existing
        self.spec = dict(self.spec, definition=running)
        return True

    def _record(self, result, changed_files):
        """After a healthy apply: the release it replaced kept; the rollback mark set by a rollback,
        gone once the catalog applies again."""
        if not self.release or self.check_mode or result["failed"] or self.spec["state"] != "present":
            return
        if changed_files and self.release_images is not None:
            self.release.keep(self.existing, self.compose_file, self.release_images)
        if self.rolled_to:
            if changed_files:
                self.release.mark(self.rolled_to)
        elif not result.get("held") and self.release.marked():
            self.release.unmark()
            result["rolled_forward"] = True

    def _stage(self):
        # Real runs stage next to the project so os.replace stays on one file system; check mode
        # writes nothing below the project directory.
        if self.check_mode:
            staging = tempfile.mkdtemp(prefix="compose-projects-")
        else:
            if not os.path.isdir(self.dir):
                os.makedirs(self.dir, int(self.spec["directory_mode"], 8))
            staging = tempfile.mkdtemp(prefix=".staging-", dir=self.dir)
        for path, wanted in self.wanted.items():
            if wanted is None:
                continue
            content, mode = wanted
            target = os.path.join(staging, path)
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target), 0o750)
            write_new(target, content, mode)
            if path in self.owners:
                # Staged files are renamed into place, so the owner set here is the installed one's.
                os.chown(target, self.owners[path], -1)
        return staging

    def _install(self, staging, changed_files):
        for path in changed_files:
            target = os.path.join(self.dir, path)
            if self.wanted[path] is None:
                if os.path.lexists(target):
                    os.remove(target)
                continue
            if not os.path.isdir(os.path.dirname(target)):
                # A file others may read (one a container's non-root user reads through a bind
                # mount) needs a directory they can enter.
                os.makedirs(os.path.dirname(target), 0o755 if self.wanted[path][1] & 0o004 else 0o750)
            os.replace(os.path.join(staging, path), target)

    def _takeover(self):
        """The Takeover of this project's names when the call takes over (holders found), else None."""
        if not self.spec.get("takeover") or self.spec["state"] != "present":
            return None
        takeover = Takeover(self.engine, self.name, container_names(self.spec["definition"]))
        return takeover if takeover.find() else None

    def _predict(self, result, staging, before, changed_files):
        state = self.spec["state"]
        if state == "present":
            takeover = self._takeover()
            try:
                actions = ["%s %s %s" % a for a in self.engine.dry_run(self.name, staging, self.compose_file)]
            except EngineError as exc:
                # On a fresh host what the project needs (its network, a bind-mount source) may
                # come from an earlier task that check mode did not run: say so, do not fail.
                actions = [mask("cannot predict before earlier changes are made: %s" % exc, self.secrets)]
            if takeover:
                result["taken_over"] = [h["name"] for h in takeover.holders]
                actions = ["Container %s Take over (%s)" % (h["name"], takeover.describe(h)) for h in takeover.holders] + actions
            definition = self.spec["definition"]
            names = [container_name(definition, s) for s in self.spec.get("switch") or [] if s in definition["services"]]
            switching = sorted(n for n in names if "Container %s Recreate" % n in actions)
            actions = ["Container %s Switch (started beside the old one, switched to once healthy)" % n
                       for n in switching] + actions
            result["actions"] = actions
            result["changed"] = bool(changed_files or actions or self.restart)
        else:
            running = [c["name"] for c in before if c["state"] in ("running", "restarting", "paused")]
            result["actions"] = ["Container %s Stop" % n for n in running]
            result["changed"] = bool(changed_files or running)

    def _converge(self, result, before, changed_files):
        state = self.spec["state"]
        timeout = self.spec["wait_timeout"]
        error = None
        stopped = False
        takeover = self._takeover()
        if state == "present":
            reason = "files changed: %s" % ", ".join(changed_files) if changed_files else (
                not_converged(self.spec["definition"], before) or self._moved_images(before))
            if takeover:
                result["taken_over"] = [h["name"] for h in takeover.holders]
                takeover.set_aside()
            if reason:
                result["up"] = True
                result["reason"] = reason
                switch = None if takeover else self._switch(before)
                if switch:
                    error = self._switch_up(result, switch, before)
                else:
                    error = self.engine.up(self.name, self.dir, self.compose_file, timeout)
        elif any(c["state"] != "exited" for c in before):
            stopped = True
            error = self.engine.stop(self.name, timeout)
        # Nothing ran: the containers are those just listed.
        after = self.engine.containers(self.name) if result["up"] or stopped else before
        result["recreated"] = recreated(result["containers_before"], snapshot(after))
        notes = self.spec.get("in_place") or {}
        result["in_place"] = dict((n, notes[s]) for n, s in self._services_of(after).items()
                                  if n in result["recreated"] and n in result["containers_before"]
                                  and n not in result["switched"] and s in notes)
        restart = self.restart or bool(set(changed_files) & (set(self.spec.get("restart_on_change") or [])
                                                             | set(mounted_secret_files(self.spec.get("definition")))))
        # A file the server re-reads on a signal (pg_hba.conf on SIGHUP): its clients stay connected.
        # A restart re-reads it too, so one that happens anyway makes the reload needless.
        reload_ = not restart and bool(set(changed_files) & set(self.spec.get("reload_on_change") or []))
        if not error and (restart or reload_) and before and state == "present" and not result["recreated"]:
            # A container (re)created in this run already read its configuration.
            if restart:
                result["restarted"] = True
                error = self.engine.restart(self.name, self.dir, self.compose_file, timeout)
            else:
                result["reloaded"] = True
                error = self.engine.reload(self.name, self.dir, self.compose_file, timeout,
                                           signal=self.spec.get("reload_signal") or "SIGHUP")
            after = self.engine.containers(self.name)
        result["containers_after"] = snapshot(after)
        # An undone switch put the previous files back: nothing changed.
        result["changed"] = bool((changed_files and not result.get("switch_failed")) or result["restarted"] or result["reloaded"]
                                 or states_changed(result["containers_before"], result["containers_after"]))
        if error:
            result["failed"] = True
            result["msg"] = failure_report(self.name, error, self.engine.diagnose(self.name), self.secrets)
            if takeover:
                result["restored"] = takeover.undo()
                result["containers_after"] = snapshot(self.engine.containers(self.name))
                result["msg"] += ("\nNothing was taken over: the project's new containers are removed and %s "
                                  "carry their names again (running: %s)."
                                  % (", ".join(h["name"] for h in takeover.holders), ", ".join(result["restored"]) or "none"))
        elif takeover:
            result["bridged"] = takeover.finish()
            result["changed"] = True

    def _moved_images(self, before):
        """Why an unchanged, running project needs an up all the same: a tag it runs now names
        another image (Compose recreates those containers, through the switch where they switch)."""
        running = [c for c in before if c["state"] == "running"]
        if not running or not getattr(self.engine, "local_images", False):
            return None
        services = self.spec["definition"].get("services") or {}
        references = sorted(set(services[c["service"]]["image"] for c in running
                                if (services.get(c["service"]) or {}).get("image")))
        current = dict((r, self.engine.image_id(r)) for r in references)
        images = dict((c["name"], c["image_id"]) for c in running if c.get("image_id"))
        unknown = [c["name"] for c in running if c["name"] not in images]
        if unknown:
            images.update(self.engine.container_images(unknown))
        return moved_images(self.spec["definition"], running, images, current)

    @staticmethod
    def _services_of(containers):
        return dict((c["name"], c["service"]) for c in containers)

    def _switch(self, before):
        """The health-gated switch this up needs, or None (nothing routed would be recreated)."""
        if not self.spec.get("switch") or not before or not getattr(self.engine, "switches", False):
            return None
        try:
            actions = self.engine.dry_run(self.name, self.dir, self.compose_file)
        except EngineError:
            return None
        return Switch.plan(self.engine, self.name, self.dir, self.compose_file, self.spec["definition"], self.spec["switch"],
                           before, actions, wait_timeout=self.spec["wait_timeout"], settle=self.settle, sleep=self.sleep)

    def _switch_up(self, result, switch, before):
        """Up through the switch, then what else the catalog dropped (an orphan besides the copies)."""
        error = switch.up(before, lambda e: failure_report(self.name, e, self.engine.diagnose(self.name), self.secrets),
                          self._restore_files)
        if switch.undone:
            result["switch_failed"] = sorted(switch.names.values())
        if error:
            return error
        result["switched"] = sorted(switch.names.values())
        result["switch_seconds"] = switch.seconds
        services = self.spec["definition"]["services"]
        if any(c["service"] not in services for c in self.engine.containers(self.name)):
            return self.engine.up(self.name, self.dir, self.compose_file, self.spec["wait_timeout"])
        return None

    def _restore_files(self):
        for path, old in self.existing.items():
            replace_file(os.path.join(self.dir, path), old)

    def _absent(self, result, existing):
        before = self.engine.containers(self.name)
        result["containers_before"] = snapshot(before)
        present_files = sorted(p for p, v in existing.items() if v is not None)
        compose_path = os.path.join(self.dir, self.compose_file)
        if os.path.exists(compose_path):
            present_files.append(self.compose_file)
        result["files_changed"] = present_files
        result["changed"] = bool(before or present_files)
        if self.check_mode:
            result["actions"] = ["Container %s Remove" % c["name"] for c in before]
            return
        if before:
            error = self.engine.down(self.name, self.spec["wait_timeout"])
            if error:
                result["failed"] = True
                result["msg"] = mask("project %s: docker compose down failed: %s" % (self.name, error), self.secrets)
                return
        for path in present_files:
            os.remove(os.path.join(self.dir, path))
        result["containers_after"] = snapshot(self.engine.containers(self.name))

    def _diff(self, existing):
        diffs = []
        for path in sorted(self.wanted):
            old = existing.get(path)
            old_text = old[0] if old else None
            new_text = self.wanted[path][0] if self.wanted[path] else ""
            if path in self.secret_paths:
                before, after = masked_secret_file(old_text), masked_secret_file(new_text, old_text)
            else:
                before, after = mask(old_text or "", self.secrets), mask(new_text, self.secrets)
            if old != self.wanted[path]:
                mode_old = "%04o" % old[1] if old else "absent"
                diffs.append({"before_header": "%s (%s)" % (os.path.join(self.dir, path), mode_old),
                              "after_header": "%s (%s)" % (os.path.join(self.dir, path),
                                                           "%04o" % self.wanted[path][1] if self.wanted[path] else "absent"),
                              "before": before, "after": after})
        return diffs
