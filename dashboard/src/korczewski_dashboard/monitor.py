# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The background loops: discovery (on an interval and on every Docker event), health (on an
interval) and the event stream. Each change publishes a new version of the state, which the
page, ``/api/status``, ``/metrics`` and the SSE stream read from memory; nothing probes per
request."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time

from . import health, history, metrics, notify, state
from .docker import AsyncDocker
from ansible_collections.korczewski.platform.plugins.module_utils.discovery.discovery import discover
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.rule.single_environment import evaluate

LOG = logging.getLogger("korczewski_dashboard")
# Docker events arrive in bursts (a compose up is dozens): one discovery after the burst.
DEBOUNCE = 0.25
# How often the page's uptime table and sparklines are computed again (an incident at once).
HISTORY_EVERY = 60.0


class Monitor:

    def __init__(self, settings, catalog, audit):
        self.settings = settings
        self.catalog = catalog
        self.audit = audit
        self.history = state.HealthHistory(settings.history_size)
        self.endpoints, self.endpoints_by_unit = health.endpoints(catalog, settings.https_port, settings.https_address,
                                                                  settings.probe_loopback)
        self.ssl_context = health.ssl_context(settings.ca_file, settings.validate_certs)
        self.history_error = None
        try:
            self.store = history.HistoryStore(settings.history_db, down_after=settings.down_after)
        except (OSError, sqlite3.Error) as exc:
            # A history it cannot keep is no reason to show nothing: this run's, in memory, and why.
            self.history_error = "%s: %s (kept in memory until a restart)" % (settings.history_db, exc)
            LOG.warning("history: %s", self.history_error)
            self.store = history.HistoryStore(None, down_after=settings.down_after)
        self.history_doc = None
        self._history_at = 0.0
        self.notifier = notify.Notifier(settings.notify_urls, settings.notify_reminder)
        self._endpoint_info = dict((ep.name, {"service": ep.service, "environment": ep.environment, "target": ep.target})
                                   for ep in self.endpoints)
        self._notifying = set()
        self._baseline = False
        self.docker = AsyncDocker(settings.docker_host)
        self._sync_docker = DockerAPI(settings.docker_host, timeout=15)
        self._discovery_lock = asyncio.Lock()
        self._refresh = asyncio.Event()
        self._changed = asyncio.Condition()
        self._tasks = []
        self.discovery = None
        self.discovery_error = None
        self.discovered_at = None
        self.health_at = None
        self.events_connected = False
        self.version = 0
        self.status = None
        self.status_json = b"{}"
        self.metrics_text = ""
        self.renderer = None   # set by the web app: status -> board HTML
        self.board_html = ""
        self._fingerprint = None

    # ------------------------------------------------------------ lifecycle

    async def start(self):
        # What the store kept from before a restart is on the first page already, and an incident
        # still open then is reminded of, not announced again.
        await self.refresh_history()
        for incident in self.history_doc["incidents"]:
            if incident["ended"] is None and incident["endpoint"] in self._endpoint_info:
                self.notifier.resume(incident, self._endpoint_info[incident["endpoint"]])
        await self.refresh()
        self._tasks = [asyncio.create_task(self._discovery_loop()), asyncio.create_task(self._health_loop())]
        if self.settings.events:
            self._tasks.append(asyncio.create_task(self._events_loop()))

    async def stop(self):
        for task in list(self._tasks) + list(self._notifying):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.docker.close()
        self._sync_docker.close()
        self.store.close()

    # ------------------------------------------------------------ discovery

    def request_refresh(self):
        self._refresh.set()

    async def refresh(self):
        """Discover now and publish; returns the discovery (None when Docker is unreachable)."""
        async with self._discovery_lock:
            try:
                self.discovery = await asyncio.to_thread(discover, self.catalog, self.settings.state_dir,
                                                         self._sync_docker, net_dir=self.settings.net_dir,
                                                         processes=self.settings.host_processes)
                self.discovery_error = None
                self.discovered_at = time.time()
            except (DockerError, OSError) as exc:
                self.discovery_error = str(exc)
                LOG.warning("discovery failed: %s", exc)
            await self.publish()
            return self.discovery

    async def _discovery_loop(self):
        while True:
            try:
                await asyncio.wait_for(self._refresh.wait(), self.settings.discovery_interval)
                await asyncio.sleep(DEBOUNCE)
            except asyncio.TimeoutError:
                pass
            self._refresh.clear()
            await self.refresh()

    # ------------------------------------------------------------ health

    async def _health_loop(self):
        while True:
            started = time.monotonic()
            try:
                results = await asyncio.to_thread(health.run_round, self.endpoints, self.discovery,
                                                  self.settings.health_timeout, self.ssl_context)
                at = time.time()
                for result in results:
                    self.history.add(result, at)
                self.health_at = at
                try:
                    opened, closed = await asyncio.to_thread(self.store.record, results, at)
                except sqlite3.Error as exc:  # a full disk: the page says so, the probes go on
                    self.history_error = "%s: %s" % (self.settings.history_db, exc)
                    opened, closed = [], []
                if opened or closed or at - self._history_at >= HISTORY_EVERY:
                    await self.refresh_history(at)
                await self.publish()
                self._notify(opened, closed, at)
            except Exception:  # a broken round must not end the loop
                LOG.exception("health round failed")
            await asyncio.sleep(max(0.5, self.settings.health_interval - (time.monotonic() - started)))

    def _notify(self, opened, closed, at):
        """This round's messages, sent in order by a task of their own: a slow or failing
        notifier never holds up the next round."""
        violations = (self.status or {}).get("violations") or []
        if not self._baseline:
            # The violations already there when the dashboard starts are its baseline, not news.
            self.notifier.messages([], [], self._endpoint_info, violations, at)
            self._baseline = True
        messages = self.notifier.messages(opened, closed, self._endpoint_info, violations, at)
        if not messages or not self.notifier.enabled:
            return

        async def send():
            for title, body in messages:
                await asyncio.to_thread(self.notifier.send, title, body)
            await self.publish()

        task = asyncio.create_task(send())
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    async def refresh_history(self, at=None):
        """The uptime, sparklines and incidents the page and /api/history show."""
        at = time.time() if at is None else at
        endpoints = [{"name": ep.name, "service": ep.service, "environment": ep.environment} for ep in self.endpoints]
        self.history_doc = await asyncio.to_thread(self.store.document, endpoints, at)
        self._history_at = at
        return self.history_doc

    # ------------------------------------------------------------ events

    async def _events_loop(self):
        delay = 1.0
        while True:
            try:
                async for dummy in self.docker.events():
                    if not self.events_connected:
                        self.events_connected = True
                    delay = 1.0
                    self.request_refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the proxy or engine went away: reconnect with backoff
                LOG.warning("docker events: %s", exc)
            self.events_connected = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            # Whatever happened while disconnected is picked up by a fresh discovery.
            self.request_refresh()

    # ------------------------------------------------------------ publishing

    def _build(self):
        discovery = self.discovery or {"units": [], "unmanaged": [], "orphans": []}
        violations = evaluate(self.catalog, discovery) if self.discovery else []
        status = state.build_status(self.catalog, discovery, violations, self.history, self.endpoints_by_unit)
        status["audit"] = self.audit.latest()
        status["history"] = self.history_doc
        status["notifications"] = self.notifier.status()
        status["monitor"] = {"discovered_at": self.discovered_at, "discovery_error": self.discovery_error,
                             "health_at": self.health_at, "events_connected": self.events_connected,
                             "history_error": self.history_error,
                             "domain": self.catalog.domain}
        return status

    async def publish(self):
        status = self._build()
        self.status = status
        self.status_json = json.dumps(status, default=str).encode("utf-8")
        self.metrics_text = metrics.render(status)
        fingerprint = _fingerprint(status)
        if fingerprint == self._fingerprint:
            return
        self._fingerprint = fingerprint
        if self.renderer is not None:
            self.board_html = self.renderer(status)
        async with self._changed:
            self.version += 1
            self._changed.notify_all()

    async def wait_change(self, seen, timeout):
        """Wait until the version differs from ``seen`` (or the timeout passes); returns the version."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.version != seen), timeout)
            except asyncio.TimeoutError:
                pass
            return self.version

    def unit(self, key):
        for unit in (self.discovery or {}).get("units") or []:
            if "%s/%s" % (unit["service"], unit["environment"]) == key:
                return unit
        return None


def _fingerprint(status):
    """What a page shows, less the clocks: a new version (and an SSE push) only when it changed."""
    trimmed = dict(status)
    for key in ("generated_at", "monitor", "discovery_elapsed"):
        trimmed.pop(key, None)
    trimmed["events_connected"] = status["monitor"]["events_connected"]
    if status.get("history"):
        trimmed["history"] = dict(status["history"], generated_at=None)
    trimmed["discovery_error"] = status["monitor"]["discovery_error"]
    services = []
    for row in status["services"]:
        cells = {}
        for env, cell in row["environments"].items():
            if cell is not None:
                cell = dict(cell, dev_servers=[dict(s, uptime=None) for s in cell["dev_servers"]])
            cells[env] = cell
        services.append(dict(row, environments=cells))
    trimmed["services"] = services
    return json.dumps(trimmed, sort_keys=True, default=str)
