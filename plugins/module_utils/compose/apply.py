# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one apply path: stage, validate, write and bring up compose projects.

An engine is the only code that runs a container CLI. ComposeEngine speaks `docker compose`;
a second engine (Docker Swarm stacks) implements the same methods and registers with @register_engine.
Private to korczewski.platform.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.compose.switch import Switch
from ansible_collections.korczewski.platform.plugins.module_utils.compose.takeover import Takeover, container_names
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import (
    check_relative_path,
    failure_report,
    file_changes,
    mask,
    masked_secret_file,
    not_converged,
    parse_api_containers,
    parse_dry_run,
    parse_ps,
    recreated,
    render_definition,
    secret_values,
    snapshot,
    states_changed,
)


class EngineError(Exception):
    pass


ENGINES = {}


def register_engine(cls):
    """Class decorator: the engine is chosen by its ``name`` (compose_projects' engine option)."""
    ENGINES[cls.name] = cls
    return cls


@register_engine
class ComposeEngine(object):
    """docker compose v2 on this host. Every method takes the project name; file-based ones a directory."""

    name = "compose"

    def __init__(self, docker="docker", log_lines=30):
        self.docker = docker
        self.log_lines = log_lines
        # Reading state asks the engine's API on its unix socket (one request, no compose process);
        # DOCKER_HOST set to anything else (tcp with TLS, ssh) leaves it to the CLI.
        host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        self._api_host = host if host.startswith("unix://") and not os.environ.get("DOCKER_CONTEXT") else None
        self._local = threading.local()

    def adapt(self, spec):
        """The project's entry as this engine applies it: compose takes it as it is."""
        return spec

    def _run(self, argv, timeout=120, cwd="/"):
        try:
            proc = subprocess.run([self.docker] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout, check=False, universal_newlines=True)
        except subprocess.TimeoutExpired as exc:
            return 124, exc.stdout or "", "timed out after %ss: %s" % (timeout, exc.stderr or "")
        except OSError as exc:
            raise EngineError("cannot run %s: %s" % (self.docker, exc))
        return proc.returncode, proc.stdout, proc.stderr

    def _project(self, name, directory, compose_file):
        return ["compose", "--project-name", name, "--project-directory", directory,
                "--file", os.path.join(directory, compose_file)]

    def validate(self, name, directory, compose_file):
        rc, out, err = self._run(self._project(name, directory, compose_file) + ["config", "--quiet"])
        return None if rc == 0 else (err or out).strip()

    def missing_networks(self, names):
        """The names of those networks the engine does not have; one CLI call for all."""
        if not names:
            return []
        rc, out, err = self._run(["network", "ls", "--format", "{{.Name}}"])
        if rc != 0:
            raise EngineError("docker network ls failed: %s" % err.strip())
        present = set(out.split())
        return [name for name in names if name not in present]

    def _api(self):
        # One client per thread: projects are applied concurrently and a client holds one connection.
        if getattr(self._local, "api", None) is None:
            self._local.api = DockerAPI(self._api_host)
        return self._local.api

    def containers(self, name):
        if self._api_host:
            try:
                return parse_api_containers(self._api().containers(
                    {"label": ["com.docker.compose.project=%s" % name, "com.docker.compose.oneoff=False"]}))
            except DockerError as exc:
                raise EngineError("listing the containers of %s failed: %s" % (name, exc))
        # Without --file compose finds the project by its label, orphans included.
        rc, out, err = self._run(["compose", "--project-name", name, "ps", "--all", "--format", "json"])
        if rc != 0:
            raise EngineError("docker compose ps of %s failed: %s" % (name, err.strip()))
        return parse_ps(out)

    def dry_run(self, name, directory, compose_file):
        rc, out, err = self._run(["compose", "--dry-run"] + self._project(name, directory, compose_file)[1:]
                                 + ["up", "--detach", "--remove-orphans"])
        if rc != 0:
            raise EngineError("docker compose --dry-run up of %s failed: %s" % (name, (err or out).strip()))
        return parse_dry_run(out + "\n" + err)

    def up(self, name, directory, compose_file, wait_timeout, services=None, remove_orphans=True):
        """None, or the error. services: only these, without their dependencies (a switch's copies)."""
        argv = ["up", "--detach", "--wait", "--wait-timeout", str(wait_timeout)]
        argv += ["--remove-orphans"] if remove_orphans else []
        argv += ["--no-deps"] + list(services) if services else []
        rc, out, err = self._run(self._project(name, directory, compose_file) + argv, timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    def restart(self, name, directory, compose_file, wait_timeout):
        rc, out, err = self._run(self._project(name, directory, compose_file) + ["restart"], timeout=wait_timeout + 120)
        if rc != 0:
            return (err or out).strip()
        return self.up(name, directory, compose_file, wait_timeout)

    def stop(self, name, wait_timeout):
        rc, out, err = self._run(["compose", "--project-name", name, "stop"], timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    def down(self, name, wait_timeout):
        # Volumes stay: removing data is never part of converging.
        rc, out, err = self._run(["compose", "--project-name", name, "down", "--remove-orphans"], timeout=wait_timeout + 120)
        return None if rc == 0 else (err or out).strip()

    # Single containers, for a takeover (compose.takeover): found by exact name, any state.

    def named_containers(self, names):
        """[{name, id, project, running, image}] of the containers with exactly these names."""
        if not names:
            return []
        template = '{{.Names}}\t{{.ID}}\t{{.Image}}\t{{.State}}\t{{.Label "com.docker.compose.project"}}'
        rc, out, err = self._run(["ps", "--all", "--format", template] + ["--filter=name=^/%s$" % n for n in names])
        if rc != 0:
            raise EngineError("docker ps failed: %s" % err.strip())
        found = []
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) != 5 or fields[0] not in names:
                continue
            found.append({"name": fields[0], "id": fields[1][:12], "image": fields[2], "running": fields[3] == "running",
                          "project": fields[4] or None})
        return found

    def _container(self, argv, what):
        rc, out, err = self._run(argv)
        if rc != 0:
            raise EngineError("%s failed: %s" % (what, (err or out).strip()))

    def rename_container(self, container, name):
        self._container(["rename", container, name], "renaming container %s to %s" % (container, name))

    def stop_container(self, container):
        self._container(["stop", container], "stopping container %s" % container)

    def start_container(self, container):
        self._container(["start", container], "starting container %s" % container)

    def container_networks(self, container):
        rc, out, err = self._run(["inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}\n{{end}}", container])
        if rc != 0:
            raise EngineError("inspecting container %s failed: %s" % (container, err.strip()))
        return [line for line in out.splitlines() if line.strip()]

    def connect_network(self, network, container):
        self._container(["network", "connect", network, container], "connecting %s to network %s" % (container, network))

    def _inspect(self, container, template):
        rc, out, err = self._run(["inspect", "--format", template, container])
        if rc != 0:
            raise EngineError("inspecting container %s failed: %s" % (container, err.strip()))
        return out.strip()

    def container_label(self, container, label):
        return self._inspect(container, '{{index .Config.Labels "%s"}}' % label).replace("<no value>", "")

    def container_health(self, container):
        """healthy, unhealthy, starting, or "" without a health check."""
        return self._inspect(container, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")

    def exec_shell(self, container, script):
        self._container(["exec", container, "sh", "-c", script], "running a command in container %s" % container)

    def remove_container_if_exists(self, container):
        rc, out, err = self._run(["rm", "--force", container])
        if rc != 0 and "No such container" not in err:
            raise EngineError("removing container %s failed: %s" % (container, (err or out).strip()))

    def remove_container(self, container, force=False):
        # Never --volumes: what a container mounted stays.
        self._container(["rm"] + (["--force"] if force else []) + [container], "removing container %s" % container)

    def diagnose(self, name):
        """[{name, status, health, exit_code, probe, logs}] of the containers that are not healthy."""
        found = []
        for container in self.containers(name):
            rc, out, _err = self._run(["inspect", "--format", "{{json .State}}", container["id"] or container["name"]])
            state = json.loads(out) if rc == 0 and out.strip() else {}
            health = state.get("Health") or {}
            if state.get("Running") and health.get("Status", "healthy") == "healthy":
                continue
            probes = health.get("Log") or []
            rc, out, err = self._run(["logs", "--tail", str(self.log_lines), container["id"] or container["name"]])
            found.append({"name": container["name"], "status": state.get("Status", container["state"]),
                          "health": health.get("Status", ""), "exit_code": state.get("ExitCode"),
                          "probe": probes[-1].get("Output", "") if probes else "",
                          "logs": (out + err) if rc == 0 else err})
        return found


def _read(path):
    try:
        with open(path, "r") as handle:
            content = handle.read()
        return content, os.stat(path).st_mode & 0o7777
    except (IOError, OSError):
        return None


def _write(path, content, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, mode)


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
        self.secret_paths = set()
        # Stopping needs no definition: without one the files stay as they are.
        self.stop_only = spec["state"] == "stopped" and not spec.get("definition")
        if spec["state"] != "absent" and not self.stop_only:
            self.wanted[self.compose_file] = (render_definition(spec["definition"]), int(spec["compose_mode"], 8))
        for entry in [] if self.stop_only else spec["files"]:
            path = check_relative_path(entry["path"])
            if entry.get("state", "present") == "absent":
                self.wanted[path] = None
                continue
            mode = entry["mode"] or ("0600" if entry["secret"] else "0640")
            self.wanted[path] = (entry["content"], int(mode, 8))
            if entry["secret"]:
                self.secret_paths.add(path)
                self.secrets |= secret_values(entry["content"])

    def run(self):
        result = {"name": self.name, "state": self.spec["state"], "project_dir": self.dir, "changed": False,
                  "failed": False, "files_changed": [], "up": False, "restarted": False, "taken_over": [], "bridged": [],
                  "recreated": [], "switched": [], "in_place": {}, "actions": [], "containers_before": {},
                  "containers_after": {}}
        try:
            self._run(result)
        except Exception as exc:  # pylint: disable=broad-except
            result["failed"] = True
            result["msg"] = mask("project %s failed: %s" % (self.name, exc), self.secrets)
        return result

    def _run(self, result):
        existing = dict((path, _read(os.path.join(self.dir, path))) for path in self.wanted)
        self.existing = existing
        if self.spec["state"] == "absent":
            self._absent(result, existing)
            return
        changed_files = file_changes(existing, self.wanted)
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
        finally:
            if staging:
                shutil.rmtree(staging, ignore_errors=True)
        self._converge(result, before, changed_files)

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
            _write(target, content, mode)
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
            names = self._switch_names()
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
            reason = "files changed: %s" % ", ".join(changed_files) if changed_files else not_converged(self.spec["definition"], before)
            if takeover:
                result["taken_over"] = [h["name"] for h in takeover.holders]
                takeover.set_aside()
            if reason:
                result["up"] = True
                result["reason"] = reason
                switch = None if takeover else self._switch(before)
                if switch:
                    error = self._switch_up(result, switch, before, timeout)
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
        restart = self.restart or bool(set(changed_files) & set(self.spec.get("restart_on_change") or []))
        if not error and restart and before and state == "present" and not result["recreated"]:
            # A container (re)created in this run already read its configuration.
            result["restarted"] = True
            error = self.engine.restart(self.name, self.dir, self.compose_file, timeout)
            after = self.engine.containers(self.name)
        result["containers_after"] = snapshot(after)
        result["changed"] = bool(changed_files or result["restarted"]
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

    def _switch_names(self):
        services = (self.spec.get("definition") or {}).get("services") or {}
        return [(services.get(s) or {}).get("container_name", s) for s in self.spec.get("switch") or [] if s in services]

    @staticmethod
    def _services_of(containers):
        return dict((c["name"], c["service"]) for c in containers)

    def _switch(self, before):
        """The health-gated switch this up needs, or None (nothing routed would be recreated)."""
        if not self.spec.get("switch") or not before:
            return None
        try:
            actions = self.engine.dry_run(self.name, self.dir, self.compose_file)
        except EngineError:
            return None
        return Switch.plan(self.engine, self.name, self.dir, self.spec["definition"], self.spec["switch"], before,
                           actions, wait_timeout=self.spec["wait_timeout"], settle=self.settle, sleep=self.sleep)

    def _switch_up(self, result, switch, before, timeout):
        """Up through a switch: None, or the error. The old containers serve until the copies are
        healthy; a copy that is not is removed and the project's previous files come back."""
        started = time.monotonic()
        error = switch.start(before)
        if error:
            report = failure_report(self.name, error, self.engine.diagnose(self.name), self.secrets)
            switch.remove_copies()
            self._restore_files()
            result["switch_failed"] = sorted(switch.names.values())
            return ("the new containers %s did not become healthy within %ss: they are removed, %s keep serving "
                    "and the project's previous files are back.\n%s"
                    % (", ".join(switch.next_names), timeout, ", ".join(sorted(switch.names.values())), report))
        self.sleep(self.settle)
        switch.drain(sorted(switch.names[s] for s in switch.services if switch.names[s] in switch.recreate))
        error = self.engine.up(self.name, self.dir, self.compose_file, timeout, remove_orphans=False)
        if error:
            return ("%s\nThe switch stopped half way: %s keep serving the new version; the next run goes on from them."
                    % (error, ", ".join(switch.next_names)))
        switch.finish()
        result["switched"] = sorted(switch.names.values())
        result["switch_seconds"] = round(time.monotonic() - started, 1)
        # What else the catalog no longer has (an orphan besides the copies) goes as in any up.
        return self.engine.up(self.name, self.dir, self.compose_file, timeout)

    def _restore_files(self):
        for path, old in self.existing.items():
            target = os.path.join(self.dir, path)
            if old is None:
                if os.path.lexists(target):
                    os.remove(target)
                continue
            fd, temporary = tempfile.mkstemp(prefix=".restore-", dir=os.path.dirname(target))
            with os.fdopen(fd, "w") as handle:
                handle.write(old[0])
            os.chmod(temporary, old[1])
            os.replace(temporary, target)

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
