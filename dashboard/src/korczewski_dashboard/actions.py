# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start / stop / restart of one (service, environment), and stopping a stray.

Each action first discovers afresh and judges with the collection's rule, so it acts on what
runs now: a start that would make a second instance is refused with the reason, a stray is
stopped only if the rule would stop it (never a rightful instance). Containers are started and
stopped through the socket proxy; compose up and down stay with Ansible, so a unit that is not
deployed is refused, not created. Every outcome goes to the audit log.
"""

from __future__ import annotations

import asyncio

from . import state
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.stop import stop_stray, terminate_session
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import unit_containers
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.rule.single_environment import evaluate

UNIT_ACTIONS = ("start", "stop", "restart")
OK = "ok"
REFUSED = "refused"
FAILED = "failed"


class Outcome:

    def __init__(self, result, message):
        self.result = result
        self.message = message


def _ansible_hint(service, environment):
    return "ansible-playbook site.yml --tags %s -e platform_environment=%s" % (service, environment)


class Actions:

    def __init__(self, monitor):
        self.monitor = monitor
        self.settings = monitor.settings
        self.lock = asyncio.Lock()

    async def _audited(self, user, client, action, target, coro):
        try:
            outcome = await coro
        except DockerError as exc:
            outcome = Outcome(FAILED, str(exc))
        self.monitor.audit.record(user, action, target, outcome.result, outcome.message, client)
        await self.monitor.refresh()
        return outcome

    async def unit_action(self, user, client, action, service, environment):
        key = "%s/%s" % (service, environment)
        async with self.lock:
            return await self._audited(user, client, action, key, self._unit_action(action, service, environment))

    async def notify_test(self, user, client):
        """The page's test message to every notification URL; each failure is named by its scheme."""
        notifier = self.monitor.notifier
        if not notifier.enabled:
            outcome = Outcome(REFUSED, "no notification URL is set (the dashboard role's dashboard_notify_urls)")
        else:
            report = await asyncio.to_thread(notifier.test, user)
            failed = ["%s: %s" % (target, error) for target, error in report if error]
            outcome = (Outcome(FAILED, "test notification failed for %s" % "; ".join(failed)) if failed
                       else Outcome(OK, "test notification sent to %d target%s" % (len(report), "s" if len(report) != 1 else "")))
        self.monitor.audit.record(user, "notify-test", "notifications", outcome.result, outcome.message, client)
        await self.monitor.publish()
        return outcome

    async def stop_stray(self, user, client, target):
        async with self.lock:
            return await self._audited(user, client, "stop-stray", target, self._stop_stray(target))

    # ------------------------------------------------------------ units

    async def _unit_action(self, action, service, environment):
        catalog = self.monitor.catalog
        if action not in UNIT_ACTIONS:
            return Outcome(REFUSED, "unknown action %r" % action)
        env = catalog.services.get(service).environments.get(environment) if service in catalog.services else None
        if env is None:
            return Outcome(REFUSED, "%s/%s is not in the catalog" % (service, environment))
        key = "%s/%s" % (service, environment)
        if key == self.settings.self_unit and action != "start":
            return Outcome(REFUSED, "the dashboard does not %s itself: %s" % (action, _ansible_hint(service, environment)))
        discovery = await self.monitor.refresh()
        if discovery is None:
            return Outcome(FAILED, "Docker is unreachable: %s" % self.monitor.discovery_error)
        unit = self.monitor.unit(key)
        own = unit_containers(unit)
        servers = [s for s in unit["dev_servers"] if s.get("managed") and s.get("running")]
        if action == "start":
            return await self._start(key, env, discovery, own, servers)
        if action == "stop":
            return await self._stop(key, own, servers)
        return await self._restart(key, own)

    async def _start(self, key, env, discovery, own, servers):
        service, environment = key.split("/", 1)
        strays = []
        for violation in state.arrange_violations(evaluate(self.monitor.catalog, discovery), discovery):
            if violation["unit"] == key and violation["active"]:
                strays.extend(s["name"] or "pid %s" % s["pid"] for s in violation["strays"] if s["running"])
        if strays:
            return Outcome(REFUSED, "%s already has an instance outside its rightful one (%s); starting would "
                           "run a second instance. Stop the stray first." % (key, ", ".join(sorted(set(strays)))))
        idle = [c for c in own if c["state"] != "running" and not state.is_oneshot(c)]
        running = [c for c in own if c["state"] == "running"]
        if env.servers and not servers and not own:
            return Outcome(REFUSED, "%s is a development server; dev servers are started by Ansible as their "
                           "source's owner (%s)" % (key, _ansible_hint(service, environment)))
        if not own and env.containers:
            return Outcome(REFUSED, "%s is not deployed; compose up stays with Ansible (%s)"
                           % (key, _ansible_hint(service, environment)))
        if not idle:
            names = ", ".join(c["name"] for c in running) or ", ".join("pid %s" % s["pid"] for s in servers)
            return Outcome(REFUSED, "%s already runs (%s); a second instance is never started" % (key, names))
        for cont in idle:
            await self.monitor.docker.start(cont["id"])
        return Outcome(OK, "started %s" % ", ".join(c["name"] for c in idle))

    async def _stop(self, key, own, servers):
        running = [c for c in own if c["state"] in ("running", "restarting", "paused")]
        if not running and not servers:
            return Outcome(REFUSED, "%s is not running" % key)
        done = []
        for cont in reversed(running):
            await self.monitor.docker.stop(cont["id"], self.settings.stop_timeout)
            done.append(cont["name"])
        for server in servers:
            outcome = await asyncio.to_thread(terminate_session, server["session"], self.settings.stop_timeout)
            if outcome["remaining"]:
                return Outcome(FAILED, "dev server %s: pids %s survived SIGKILL"
                               % (server["name"], ", ".join(str(p) for p in outcome["remaining"])))
            done.append("dev server %s (pid %s)" % (server["name"], server["pid"]))
        return Outcome(OK, "stopped %s" % ", ".join(done))

    async def _restart(self, key, own):
        running = [c for c in own if c["state"] == "running"]
        if not running:
            return Outcome(REFUSED, "%s is not running; start it instead" % key)
        for cont in running:
            await self.monitor.docker.restart(cont["id"], self.settings.stop_timeout)
        return Outcome(OK, "restarted %s" % ", ".join(c["name"] for c in running))

    # ------------------------------------------------------------ strays

    async def _stop_stray(self, target):
        discovery = await self.monitor.refresh()
        if discovery is None:
            return Outcome(FAILED, "Docker is unreachable: %s" % self.monitor.discovery_error)
        arranged = state.arrange_violations(evaluate(self.monitor.catalog, discovery), discovery)
        for violation in arranged:
            for stray in violation["strays"]:
                if stray["target"] != target:
                    continue
                if not stray["stoppable"]:
                    why = "it is the rightful instance of a unit: fix its configuration" if stray.get("rightful") \
                        else "it is not running"
                    return Outcome(REFUSED, "%s is not stopped: %s" % (stray["name"] or target, why))
                if stray["kind"] == "container":
                    await self.monitor.docker.stop(stray["id"], self.settings.stop_timeout)
                    return Outcome(OK, "stopped stray container %s (%s) of %s" % (stray["name"], stray["id"], violation["unit"]))
                return await asyncio.to_thread(self._stop_process, stray, violation["unit"])
        return Outcome(REFUSED, "%s is no stray of a running violation (any more)" % target)

    def _stop_process(self, stray, unit):
        outcome = stop_stray(stray["pid"], stray.get("start_time"), self.settings.stop_timeout)
        if outcome["outcome"] == "gone":
            return Outcome(OK, outcome["message"])
        if outcome["outcome"] == "survived":
            return Outcome(FAILED, outcome["message"])
        if outcome["outcome"] != "stopped":
            return Outcome(REFUSED, outcome["message"])
        return Outcome(OK, "stopped stray %s (pid %s, %s) of %s" % (
            "process group %s" % outcome["group"] if outcome["group"] is not None else "process",
            stray["pid"], stray.get("cmdline"), unit))
