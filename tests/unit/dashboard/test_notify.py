# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which messages the watcher sends, and that a failing notifier is recorded, never raised."""

from __future__ import annotations

from korczewski_dashboard.notify import Notifier, describe

ENDPOINTS = {"auth-service": {"service": "auth", "environment": "production",
                              "target": "https://auth.platform.localhost:18443/health"}}
VIOLATION = {"unit": "l2p/development", "kind": "second_instance", "active": True, "reason": "two instances run"}


def opened(at=100.0):
    return [{"endpoint": "auth-service", "started": at, "cause": "[STATUS] == 200 (got 503)"}]


def test_one_message_per_transition_with_unit_target_cause_and_time():
    notifier = Notifier(["json://127.0.0.1:9/"], reminder_after=600, sender=lambda t, b: [], clock=lambda: 0.0)
    (title, body), = notifier.messages(opened(), [], ENDPOINTS, [], now=130.0)
    assert title == "DOWN: auth-service (auth/production)"
    assert "https://auth.platform.localhost:18443/health" in body and "[STATUS] == 200 (got 503)" in body
    assert "1970-01-01 00:01:40 UTC" in body  # the incident's start: the first failure
    assert notifier.messages([], [], ENDPOINTS, [], now=200.0) == []
    (title, body), = notifier.messages([], [], ENDPOINTS, [], now=730.0)
    assert title == "STILL DOWN: auth-service (auth/production)"
    (title, body), = notifier.messages([], [{"endpoint": "auth-service", "started": 100.0, "ended": 800.0}],
                                       ENDPOINTS, [], now=800.0)
    assert title == "RECOVERED: auth-service (auth/production)" and "after 700 s down" in body
    # Recovered: no more reminders.
    assert notifier.messages([], [], ENDPOINTS, [], now=5000.0) == []


def test_a_violation_is_announced_once_and_its_end_too():
    notifier = Notifier(["json://127.0.0.1:9/"], sender=lambda t, b: [])
    (title, body), = notifier.messages([], [], ENDPOINTS, [VIOLATION], now=1.0)
    assert title == "VIOLATION: l2p/development second instance" and "two instances run" in body
    assert notifier.messages([], [], ENDPOINTS, [VIOLATION], now=2.0) == []
    assert notifier.messages([], [], ENDPOINTS, [dict(VIOLATION, active=False)], now=3.0) == [
        ("RESOLVED: l2p/development second instance", "The single-environment violation is gone at 1970-01-01 00:00:03 UTC.")]


def test_a_failing_notifier_is_recorded_and_the_urls_are_never_shown():
    def broken(title, body):
        raise ConnectionError("receiver down")

    notifier = Notifier(["json://user:token@127.0.0.1:9/", "mailto://u:secret@127.0.0.1:25"], sender=broken)
    report = notifier.send("t", "b")
    assert report == [("json://…", "ConnectionError: receiver down"), ("mailto://…", "ConnectionError: receiver down")]
    status = notifier.status()
    assert status["failed"] == 2 and status["sent"] == 0 and not any(r["ok"] for r in status["last"])
    assert "token" not in repr(status) and "secret" not in repr(status)
    assert describe("ntfy://topic") == "ntfy://…"


def test_without_urls_nothing_is_sent_and_apprise_is_not_needed():
    notifier = Notifier([])
    assert not notifier.enabled and notifier.send("t", "b") == [] and notifier.status()["targets"] == []


def test_a_resumed_incident_is_reminded_of_not_announced_again():
    clock = [1000.0]
    notifier = Notifier(["json://127.0.0.1:9/"], reminder_after=600, sender=lambda t, b: [], clock=lambda: clock[0])
    notifier.resume({"endpoint": "auth-service", "started": 100.0, "cause": "down"}, ENDPOINTS["auth-service"])
    assert notifier.messages([], [], ENDPOINTS, [], now=1100.0) == []
    (title, dummy), = notifier.messages([], [], ENDPOINTS, [], now=1700.0)
    assert title.startswith("STILL DOWN: auth-service")
