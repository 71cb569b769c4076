# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Notifications through Apprise (one library for ntfy, e-mail, Matrix, Slack, Discord, Gotify,
webhooks): one message per state change of an endpoint (down after the history's N failures in a
row, recovered) and of a single-environment violation, a reminder while an endpoint stays down,
and the page's test message.

A notifier that fails is recorded and shown, never raised into the watcher: the next message
tries again. The URLs hold tokens: they are never shown, only their scheme and position.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

LOG = logging.getLogger("korczewski_dashboard")


def _clock(stamp):
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe(url):
    """What the page may show of a notification URL: its scheme only."""
    return "%s://…" % url.split("://", 1)[0] if "://" in url else "(not a URL)"


def apprise_sender(urls):
    """A send(title, body) -> [(index, error or None)] over Apprise, one result per URL."""
    import apprise  # pylint: disable=import-outside-toplevel

    targets = []
    for url in urls:
        one = apprise.Apprise()
        targets.append(one if one.add(url) else None)

    def send(title, body):
        results = []
        for index, target in enumerate(targets):
            if target is None:
                results.append((index, "Apprise does not understand this URL"))
                continue
            try:
                ok = target.notify(title=title, body=body)
            except Exception as exc:  # pylint: disable=broad-except
                results.append((index, "%s: %s" % (type(exc).__name__, exc)))
                continue
            results.append((index, None if ok else "the service refused or did not answer"))
        return results

    return send


class Notifier:
    """The messages of the watcher and the page, sent in a thread of their own."""

    def __init__(self, urls, reminder_after=3600.0, sender=None, clock=time.time):
        self.urls = [u for u in (urls or []) if u.strip()]
        self.reminder_after = reminder_after
        self.clock = clock
        self.error = None
        try:
            self._send = sender or (apprise_sender(self.urls) if self.urls else None)
        except ImportError as exc:
            self._send = None
            self.error = "Apprise is not installed: %s" % exc
        self._lock = threading.Lock()
        self.last = []          # [{target, at, ok, error}] of the last message, per URL
        self.sent = 0
        self.failed = 0
        self._down = {}         # endpoint -> {"since", "notified_at", "cause", "service", "environment", "target"}
        self._violations = set()

    @property
    def enabled(self):
        return bool(self.urls)

    def status(self):
        return {"targets": [describe(u) for u in self.urls], "enabled": self.enabled, "error": self.error,
                "sent": self.sent, "failed": self.failed, "last": list(self.last)}

    # ------------------------------------------------------------ sending

    def send(self, title, body):
        """Sends one message to every URL; returns [(target, error or None)]."""
        if not self.urls:
            return []
        if self._send is None:
            return [(describe(u), self.error) for u in self.urls]
        at = self.clock()
        try:
            results = self._send(title, body)
        except Exception as exc:  # pylint: disable=broad-except
            results = [(i, "%s: %s" % (type(exc).__name__, exc)) for i in range(len(self.urls))]
        report = [(describe(self.urls[i]), error) for i, error in results]
        with self._lock:
            self.last = [{"target": t, "at": at, "ok": e is None, "error": e} for t, e in report]
            self.sent += sum(1 for dummy, e in report if e is None)
            self.failed += sum(1 for dummy, e in report if e is not None)
        for target, error in report:
            if error:
                LOG.warning("notification to %s failed: %s", target, error)
        return report

    def test(self, user):
        return self.send("korczewski.platform: test notification",
                         "A test message from the deployment dashboard, sent by %s at %s." % (user, _clock(self.clock())))

    # ------------------------------------------------------------ what the watcher saw

    def resume(self, incident, endpoint):
        """An incident still open from before a restart: reminded of after the quiet time."""
        self._down[incident["endpoint"]] = dict(endpoint, since=incident["started"], notified_at=self.clock(),
                                                cause=incident["cause"])

    def messages(self, opened, closed, endpoints, violations, now=None):
        """The (title, body) messages for this round: incidents opened and closed (from the
        history), reminders of endpoints still down, violations that appeared or went away."""
        now = self.clock() if now is None else now
        out = []
        for incident in opened:
            ep = endpoints.get(incident["endpoint"], {})
            self._down[incident["endpoint"]] = dict(ep, since=incident["started"], notified_at=now, cause=incident["cause"])
            out.append(("DOWN: %s (%s/%s)" % (incident["endpoint"], ep.get("service"), ep.get("environment")),
                        "%s is down since %s.\nTarget: %s\nFailed: %s\nNoticed at %s."
                        % (incident["endpoint"], _clock(incident["started"]), ep.get("target"), incident["cause"], _clock(now))))
        for incident in closed:
            ep = endpoints.get(incident["endpoint"], {})
            self._down.pop(incident["endpoint"], None)
            out.append(("RECOVERED: %s (%s/%s)" % (incident["endpoint"], ep.get("service"), ep.get("environment")),
                        "%s answers again since %s, after %d s down.\nTarget: %s"
                        % (incident["endpoint"], _clock(incident["ended"]), round(incident["ended"] - incident["started"]),
                           ep.get("target"))))
        for name, down in sorted(self._down.items()):
            if self.reminder_after and now - down["notified_at"] >= self.reminder_after:
                down["notified_at"] = now
                out.append(("STILL DOWN: %s (%s/%s)" % (name, down.get("service"), down.get("environment")),
                            "%s is down since %s (%d min).\nTarget: %s\nFailed: %s"
                            % (name, _clock(down["since"]), (now - down["since"]) // 60, down.get("target"), down["cause"])))
        current = dict(((v["unit"], v["kind"]), v) for v in violations if v.get("active"))
        for key in sorted(set(current) - self._violations):
            v = current[key]
            out.append(("VIOLATION: %s %s" % (v["unit"], v["kind"].replace("_", " ")),
                        "%s\nSeen at %s." % (v.get("reason"), _clock(now))))
        for key in sorted(self._violations - set(current)):
            out.append(("RESOLVED: %s %s" % (key[0], key[1].replace("_", " ")),
                        "The single-environment violation is gone at %s." % _clock(now)))
        self._violations = set(current)
        return out
