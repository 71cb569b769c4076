# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A health-gated switch: an update that never takes away what Traefik routes.

The seed gives every container a fixed name, so two containers of one compose service cannot run
at once. A switch adds, in the same compose project, a ``<service>-next`` copy of each switching
service (container ``<name>-next``, the same Traefik labels, so Traefik balances both) from the
new definition and waits for its health. Only then is the old container drained (its derived
health check fails on the drain file, Docker calls it unhealthy, Traefik stops routing to it)
and recreated from the new definition under its own name while the copy serves; once that one
is healthy the copy is drained and removed. A copy that never gets healthy is removed and the
old container never noticed. A copy left by a killed run is found by the next run: healthy, the
switch goes on from it; not, it is removed and the switch starts again.

The engine runs every command (compose.engine.ComposeEngine). Private to korczewski.platform;
standard library only.
"""

from __future__ import annotations

import copy
import os
import time

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LABEL_DRAIN, LABEL_PREFIX
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import container_name, render_definition

NEXT_SUFFIX = "-next"
# The switch's own compose file, beside the project's, so relative paths (env_file) resolve alike.
SWITCH_FILE = ".compose-switch.json"
LABEL_NEXT = LABEL_PREFIX + ".switch"


def next_service(service):
    return service + NEXT_SUFFIX


def switch_definition(definition, services):
    """The project's definition plus a ``<service>-next`` copy of each of services."""
    result = copy.deepcopy(definition)
    for service in services:
        spec = copy.deepcopy(result["services"][service])
        spec["container_name"] = spec.get("container_name", service) + NEXT_SUFFIX
        spec["labels"] = dict(spec.get("labels") or {}, **{LABEL_NEXT: "next"})
        result["services"][next_service(service)] = spec
    return result


def recreated_names(actions):
    """Container names a compose dry run would recreate: [(kind, name, action)] as parsed."""
    return set(name for kind, name, action in actions if kind == "Container" and action == "Recreate")


class Switch(object):
    """The switch of some services of one project. names: {compose service: container name}."""

    def __init__(self, engine, project, directory, compose_file, definition, services, wait_timeout, settle=3.0,
                 drain_timeout=30.0, sleep=time.sleep):
        self.engine = engine
        self.project = project
        self.directory = directory
        self.compose_file = compose_file
        self.definition = definition
        self.services = list(services)
        self.names = dict((s, container_name(definition, s)) for s in self.services)
        self.wait_timeout = wait_timeout
        self.settle = settle
        self.drain_timeout = drain_timeout
        self.sleep = sleep
        self.recreate = set()
        self.seconds = None
        self.undone = False

    @classmethod
    def plan(cls, engine, project, directory, compose_file, definition, switchable, before, actions, **kwargs):
        """The switch an up needs, or None: the switchable services whose running, healthy container
        the up would recreate, or whose copy a killed run left behind."""
        running = dict((c["service"], c) for c in before if c["state"] == "running" and c["health"] in ("healthy", ""))
        left = set(c["service"][:-len(NEXT_SUFFIX)] for c in before if c["service"].endswith(NEXT_SUFFIX))
        recreate = recreated_names(actions)
        services = [s for s in switchable if s in (definition.get("services") or {})
                    and ((s in running and running[s]["name"] in recreate) or s in left)]
        if not services:
            return None
        switch = cls(engine, project, directory, compose_file, definition, services, **kwargs)
        # Only what the up recreates is drained: a container already from the new definition (a
        # killed run got that far) keeps serving.
        switch.recreate = set(switch.names[s] for s in services if switch.names[s] in recreate)
        return switch

    def up(self, before, report, restore):
        """The project up through the switch: None, or the error. The old containers serve until the
        copies are healthy; copies that are not are removed and restore() puts the project's
        previous files back. report(error): the project's failure report."""
        started = time.monotonic()
        error = self.start(before)
        if error:
            text = report(error)
            self.remove_copies()
            restore()
            self.undone = True
            return ("the new containers %s did not become healthy within %ss: they are removed, %s keep serving "
                    "and the project's previous files are back.\n%s"
                    % (", ".join(self.next_names), self.wait_timeout, ", ".join(sorted(self.names.values())), text))
        self.sleep(self.settle)
        self.drain(sorted(self.recreate))
        error = self.engine.up(self.project, self.directory, self.compose_file, self.wait_timeout, remove_orphans=False)
        if error:
            return ("%s\nThe switch stopped half way: %s keep serving the new version; the next run goes on from them."
                    % (error, ", ".join(self.next_names)))
        self.finish()
        self.seconds = round(time.monotonic() - started, 1)
        return None

    @property
    def next_names(self):
        return [name + NEXT_SUFFIX for name in (self.names[s] for s in self.services)]

    def _file(self):
        return os.path.join(self.directory, SWITCH_FILE)

    def start(self, before):
        """Up the copies and wait for their health; None, or the error (the copies are then removed).
        Copies a killed run left healthy are kept; unhealthy ones go first."""
        copies = dict((c["name"], c) for c in before if c["name"] in self.next_names)
        if copies and all(c["state"] == "running" and c["health"] == "healthy" for c in copies.values()) \
                and len(copies) == len(self.services):
            return None
        self.remove_copies()
        with open(self._file(), "w") as handle:
            handle.write(render_definition(switch_definition(self.definition, self.services)))
        os.chmod(self._file(), 0o640)
        return self.engine.up(self.project, self.directory, SWITCH_FILE, self.wait_timeout,
                              services=[next_service(s) for s in self.services], remove_orphans=False)

    def drain(self, names):
        """Take the containers out of Traefik's rotation before they stop: their health check fails
        on the drain file, Docker calls them unhealthy and Traefik, told by that event, stops routing
        to them; then Traefik's provider throttle passes. A container without the drain label (one a
        version before switches started) is only given the settle time."""
        draining = []
        for name in names:
            drain_file = self.engine.container_label(name, LABEL_DRAIN)
            if drain_file:
                self.engine.exec_shell(name, ": > '%s'" % drain_file.replace("'", ""))
                draining.append(name)
        deadline = time.monotonic() + self.drain_timeout
        while draining and time.monotonic() < deadline:
            draining = [n for n in draining if self.engine.container_health(n) == "healthy"]
            if draining:
                self.sleep(0.5)
        self.sleep(self.settle)

    def remove_copies(self):
        for name in self.next_names:
            self.engine.remove_container_if_exists(name)
        if os.path.exists(self._file()):
            os.remove(self._file())

    def finish(self):
        """The services run from the new definition under their own names: the copies go."""
        self.sleep(self.settle)
        self.drain(self.next_names)
        for name in self.next_names:
            self.engine.stop_container(name)
        self.remove_copies()
