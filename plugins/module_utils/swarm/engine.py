# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The second engine of the one apply path: a compose project as a Docker Swarm stack.

It runs on a swarm manager and speaks the docker CLI (`docker stack deploy`, `docker service`,
`docker secret`). ProjectApply drives it exactly like the compose engine; adapt() first turns a
project's entry into its stack (see swarm/stack.py). A project's "containers" are the tasks its
services should run: a task with a healthcheck stays "starting" until it is healthy, so a stack
has converged when every service runs its replicas and no update is under way.
Private to korczewski.platform.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

from ansible_collections.korczewski.platform.plugins.module_utils.compose.engine import ComposeEngine, EngineError, register_engine
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LABEL_CONTAINER
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.stack import PROJECT_LABEL, StackError, stack_errors, stack_spec
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.services import STACK_LABEL

# Update states after which a service will not converge by waiting.
_UPDATE_FAILED = ("paused", "rollback_started", "rollback_paused", "rollback_completed")
FAILED_STARTS = 3
_AGE_UNITS = {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600,
              "day": 86400, "days": 86400, "week": 604800, "weeks": 604800}


SETTLE_MAX = 40


def _settle_seconds(services):
    """How long a healthcheck of the services takes to give up on a container, at most SETTLE_MAX."""
    longest = 0
    for service in services:
        check = service["Spec"].get("TaskTemplate", {}).get("ContainerSpec", {}).get("Healthcheck") or {}
        longest = max(longest, check.get("Interval", 30 * 10 ** 9) / 1e9 * check.get("Retries", 3) if check.get("Test") else 0)
    return min(SETTLE_MAX, longest)


def _age(current_state):
    """Seconds since a task's state changed, from `docker service ps`'s "Failed 8 seconds ago"
    ("about a minute" is 60, "less than a second" 0); unknown wording is old."""
    words = (current_state or "").lower().replace("about an", "1").replace("about a", "1").replace("less than a", "0").split()
    for index, word in enumerate(words[:-1]):
        if words[index + 1] in _AGE_UNITS and word.isdigit():
            return int(word) * _AGE_UNITS[words[index + 1]]
    return float("inf")


@register_engine
class SwarmEngine(ComposeEngine):
    name = "swarm"
    # A stack service updates its own tasks (start-first is the stack's own business), and a
    # release would have to be kept on every node: neither the switch nor a kept release here.
    switches = False
    keeps_releases = False
    local_images = False

    def __init__(self, docker="docker", log_lines=30, poll=1.0):
        super(SwarmEngine, self).__init__(docker=docker, log_lines=log_lines)
        self.poll = poll
        self._node_id = None
        self._secrets = {}

    def _run_input(self, argv, data, timeout=60):
        try:
            proc = subprocess.run([self.docker] + argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout, check=False, universal_newlines=True)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError("cannot run %s %s: %s" % (self.docker, argv[0], exc))
        return proc.returncode, proc.stdout, proc.stderr

    def node_id(self):
        if self._node_id is None:
            rc, out, err = self._run(["info", "--format", "{{json .Swarm}}"])
            if rc != 0:
                raise EngineError("docker info failed: %s" % err.strip())
            swarm = json.loads(out or "{}")
            if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
                raise EngineError("platform_engine is swarm, but this host is not a manager of an active swarm "
                                  "(node state %s); form the swarm first (playbooks/swarm.yml)"
                                  % (swarm.get("LocalNodeState") or "unknown"))
            self._node_id = swarm["NodeID"]
        return self._node_id

    def adapt(self, spec):
        """The project's entry as a stack, pinned where needed to this manager; its secrets kept for up()."""
        if spec["state"] == "absent" or not spec.get("definition"):
            return spec
        try:
            new, secrets = stack_spec(spec, self.node_id())
        except StackError as exc:
            raise EngineError(str(exc))
        self._secrets[spec["name"]] = secrets
        return new

    def validate(self, name, directory, compose_file):
        try:
            with open(os.path.join(directory, compose_file)) as handle:
                stack = json.load(handle)
        except (IOError, OSError, ValueError) as exc:
            return "cannot read the stack file: %s" % exc
        errors = stack_errors(stack)
        return "; ".join(errors) or None

    # ------------------------------------------------------------------ reading the swarm

    def _services(self, name):
        rc, out, err = self._run(["service", "ls", "--filter", "label=%s=%s" % (STACK_LABEL, name), "--quiet"])
        if rc != 0:
            raise EngineError("docker service ls of %s failed: %s" % (name, err.strip()))
        ids = out.split()
        if not ids:
            return []
        rc, out, err = self._run(["service", "inspect"] + ids)
        if rc != 0:
            raise EngineError("docker service inspect of %s failed: %s" % (name, err.strip()))
        return json.loads(out or "[]")

    def _tasks(self, service_ids, all_tasks=False):
        if not service_ids:
            return []
        argv = ["service", "ps", "--no-trunc", "--format", "{{json .}}"]
        if not all_tasks:
            argv += ["--filter", "desired-state=running"]
        rc, out, err = self._run(argv + list(service_ids))
        if rc != 0:
            raise EngineError("docker service ps failed: %s" % err.strip())
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def containers(self, name):
        """One record per task that should run: its id changes when swarm replaces it. It is
        named like the container on one host (the catalog's name, with the slot if there are
        several replicas), so roles read a project's state the same way on both engines."""
        services = self._services(name)
        prefix = name + "_"
        found = []
        by_name = dict((s["Spec"]["Name"], s) for s in services)
        for task in self._tasks(list(by_name)):
            service, slot = task["Name"].rsplit(".", 1)
            spec = by_name.get(service, {}).get("Spec", {})
            alias = spec.get("TaskTemplate", {}).get("ContainerSpec", {}).get("Labels", {}).get(LABEL_CONTAINER)
            replicas = spec.get("Mode", {}).get("Replicated", {}).get("Replicas", 1)
            state = (task.get("CurrentState") or "").split(" ", 1)[0].lower()
            found.append({"id": task["ID"], "name": (alias if replicas == 1 else "%s.%s" % (alias, slot)) if alias else task["Name"],
                          "node": task.get("Node", ""), "service": service[len(prefix):] if service.startswith(prefix) else service,
                          "state": state, "health": "", "error": task.get("Error", "")})
        return sorted(found, key=lambda t: t["name"])

    def dry_run(self, name, directory, compose_file):
        with open(os.path.join(directory, compose_file)) as handle:
            stack = json.load(handle)
        deployed = dict((s["Spec"]["Name"], s) for s in self._services(name))
        actions = []
        for service, spec in sorted(stack["services"].items()):
            full = "%s_%s" % (name, service)
            if full not in deployed:
                actions.append(("Service", full, "Create"))
        for full in sorted(set(deployed) - set("%s_%s" % (name, s) for s in stack["services"])):
            actions.append(("Service", full, "Remove"))
        return actions

    # ------------------------------------------------------------------ changing the swarm

    def _secret_names(self, name):
        """The names of the project's Swarm secrets; None when they cannot be listed."""
        rc, out, _err = self._run(["secret", "ls", "--filter", "label=%s=%s" % (PROJECT_LABEL, name), "--format", "{{.Name}}"])
        return set(out.split()) if rc == 0 else None

    def _ensure_secrets(self, name):
        present = self._secret_names(name)
        if present is None:
            return "docker secret ls of %s failed" % name
        for secret in self._secrets.get(name, []):
            if secret["name"] in present:
                continue
            rc, out, err = self._run_input(["secret", "create", "--label", "%s=%s" % (PROJECT_LABEL, name),
                                            secret["name"], "-"], secret["value"])
            if rc != 0:
                return "docker secret create %s failed: %s" % (secret["name"], err.strip())
        return None

    def _prune_secrets(self, name):
        # A secret still mounted by a task of the old version cannot go yet; the next run removes it.
        wanted = set(s["name"] for s in self._secrets.get(name, []))
        old = sorted((self._secret_names(name) or set()) - wanted)
        if old:
            self._run(["secret", "rm"] + old)

    def up(self, name, directory, compose_file, wait_timeout):
        error = self._ensure_secrets(name)
        if error:
            return error
        # An update restarts some services while the others run on: one that depends on a
        # restarted one may fail its healthchecks afterwards, and swarm then replaces it.
        update = any(self.containers(name))
        rc, out, err = self._run(["stack", "deploy", "--compose-file", os.path.join(directory, compose_file),
                                  "--resolve-image", "never", "--prune", name], cwd=directory, timeout=wait_timeout + 60)
        if rc != 0:
            return (err or out).strip()
        error = self.wait(name, wait_timeout, settle=update)
        if not error:
            self._prune_secrets(name)
        return error

    def wait(self, name, wait_timeout, settle=False):
        """None once every service runs its replicas with no update under way, else why not.
        With settle, the same tasks must also keep running for as long as a healthcheck takes
        to give up on a container (interval x retries, at most SETTLE_MAX seconds)."""
        deadline = time.time() + wait_timeout
        since = time.time()
        stable, stable_since = None, None
        while True:
            services = self._services(name)
            tasks = self._tasks([s["ID"] for s in services], all_tasks=True)
            pending = self._pending(services, tasks, since)
            if not pending:
                running = sorted(t["ID"] for t in tasks if (t.get("DesiredState") or "").lower() == "running")
                if running != stable:
                    stable, stable_since = running, time.time()
                if not settle or time.time() - stable_since >= _settle_seconds(services):
                    return None
            else:
                stable = None
            failed = [p for p in pending if p[1]]
            if failed or time.time() > deadline:
                return "not converged after %ss: %s" % (wait_timeout, "; ".join(p[0] for p in (failed or pending)))
            time.sleep(self.poll)

    @staticmethod
    def _pending(services, tasks, since=None):
        """[(reason, hopeless)] of the services that have not converged. tasks are all tasks
        (history included); a service whose tasks failed FAILED_STARTS times since `since`
        without one running is hopeless: swarm would go on retrying until the timeout."""
        pending = []
        for service in services:
            spec = service["Spec"]
            name = spec["Name"]
            wanted = spec.get("Mode", {}).get("Replicated", {}).get("Replicas", 1)
            update = (service.get("UpdateStatus") or {}).get("State", "")
            every = [t for t in tasks if t["Name"].rsplit(".", 1)[0].lstrip(" \\_") == name]
            own = [t for t in every if (t.get("DesiredState") or "").lower() == "running"]
            running = [t for t in own if (t.get("CurrentState") or "").lower().startswith("running")]
            failed = [t for t in every if (t.get("CurrentState") or "").lower().startswith(("failed", "rejected"))
                      and (since is None or _age(t.get("CurrentState")) <= time.time() - since)]
            if update in _UPDATE_FAILED:
                pending.append(("%s: update %s: %s" % (name, update, (service.get("UpdateStatus") or {}).get("Message", "")), True))
            elif len(running) < wanted and since is not None and len(failed) >= FAILED_STARTS:
                errors = sorted(set(t.get("Error") or t.get("CurrentState") for t in failed))
                pending.append(("%s runs %d of %d, its tasks failed %d times: %s"
                                % (name, len(running), wanted, len(failed), "; ".join(errors)), True))
            elif update == "updating" or len(running) < wanted:
                states = ", ".join("%s on %s%s" % (t.get("CurrentState"), t.get("Node") or "no node",
                                                   " (%s)" % t["Error"] if t.get("Error") else "") for t in own)
                pending.append(("%s runs %d of %d%s" % (name, len(running), wanted, ": " + states if states else ""), False))
        return pending

    def restart(self, name, directory, compose_file, wait_timeout):
        for service in self._services(name):
            rc, out, err = self._run(["service", "update", "--force", "--detach", service["Spec"]["Name"]])
            if rc != 0:
                return (err or out).strip()
        return self.wait(name, wait_timeout)

    def reload(self, name, directory, compose_file, wait_timeout, signal="SIGHUP"):
        # A swarm service's tasks cannot be signalled through the manager (they may run on any
        # node): the files a reload would have them re-read are read again at a restart.
        return self.restart(name, directory, compose_file, wait_timeout)

    def stop(self, name, wait_timeout):
        # Scaled to zero, a stack keeps its definition, volumes and secrets; up() scales it back.
        scale = ["%s=0" % s["Spec"]["Name"] for s in self._services(name)]
        if not scale:
            return None
        rc, out, err = self._run(["service", "scale", "--detach"] + scale, timeout=wait_timeout + 60)
        return None if rc == 0 else (err or out).strip()

    def down(self, name, wait_timeout):
        # Volumes stay on their node: removing data is never part of converging.
        rc, out, err = self._run(["stack", "rm", name], timeout=wait_timeout + 60)
        if rc != 0:
            return (err or out).strip()
        self._prune_secrets(name)
        return None

    def diagnose(self, name):
        found = []
        services = self._services(name)
        tasks = self._tasks([s["ID"] for s in services], all_tasks=True)
        for reason, _hopeless in self._pending(services, tasks):
            service = reason.split(":", 1)[0].split(" ", 1)[0]
            recent = [t for t in tasks if t["Name"].rsplit(".", 1)[0].lstrip(" \\_") == service][:3]
            rc, out, err = self._run(["service", "logs", "--raw", "--tail", str(self.log_lines), service])
            found.append({"name": service, "status": reason,
                          "health": "; ".join("%s %s %s" % (t.get("CurrentState"), t.get("Node"), t.get("Error", "")) for t in recent),
                          "exit_code": None, "probe": "", "logs": (out + err) if rc == 0 else err})
        return found
