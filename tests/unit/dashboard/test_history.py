# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe history: incidents after N failures in a row, uptime per window, bounded storage that
survives a restart, on a real SQLite file and a clock the tests move."""

from __future__ import annotations

import os
import stat

from korczewski_dashboard import history
from korczewski_dashboard.history import HistoryStore

DAY = 24 * 3600


def result(ok, name="auth-service", latency=12.0, failed=None):
    return {"name": name, "service": "auth", "environment": "production", "ok": ok,
            "latency_ms": latency if ok else None,
            "failed_conditions": [] if ok else (failed or ["[STATUS] == 200 (got 503)"]), "error": None}


def test_an_incident_opens_after_the_third_failure_at_the_first_and_closes_at_the_next_success(tmp_path):
    store = HistoryStore(str(tmp_path / "h.sqlite3"), down_after=3)
    assert store.record([result(True)], at=100.0) == ([], [])
    assert store.record([result(False)], at=110.0) == ([], [])
    assert store.record([result(False, failed=["later"])], at=120.0) == ([], [])
    opened, closed = store.record([result(False)], at=130.0)
    assert opened == [{"endpoint": "auth-service", "started": 110.0, "cause": "[STATUS] == 200 (got 503)"}] and not closed
    # Still down: no second incident.
    assert store.record([result(False)], at=140.0) == ([], [])
    assert store.incidents(now=145.0) == [{"endpoint": "auth-service", "service": "auth", "environment": "production",
                                           "started": 110.0, "ended": None, "duration_s": 35.0,
                                           "cause": "[STATUS] == 200 (got 503)"}]
    opened, closed = store.record([result(True)], at=150.0)
    assert closed == [{"endpoint": "auth-service", "started": 110.0, "ended": 150.0}]
    assert store.incidents()[0]["duration_s"] == 40.0


def test_a_short_failure_is_no_incident(tmp_path):
    store = HistoryStore(str(tmp_path / "h.sqlite3"), down_after=3)
    for at, ok in ((1.0, False), (2.0, False), (3.0, True), (4.0, False), (5.0, True)):
        store.record([result(ok)], at=at)
    assert store.incidents() == []
    assert store.uptime(now=6.0)["auth-service"]["24h"] == 40.0


def test_uptime_windows_count_raw_results_and_buckets_alike(tmp_path):
    clock = [0.0]
    store = HistoryStore(str(tmp_path / "h.sqlite3"), clock=lambda: clock[0])
    start = 1_000_000.0
    # 10 days, one probe every 10 minutes; down for the whole of day 8 (the 7-day window holds 1 bad day of 7).
    at = start
    while at < start + 10 * DAY:
        store.record([result(not (start + 8 * DAY <= at < start + 9 * DAY))], at=at)
        at += 600
    now = start + 10 * DAY
    store.compact(now)
    uptime = store.uptime(now)["auth-service"]
    assert uptime["24h"] == 100.0
    assert abs(uptime["7d"] - 100.0 * 6 / 7) < 0.5
    assert abs(uptime["30d"] - 90.0) < 0.5
    # The day's raw results stay; older ones are buckets now.
    db = store._db  # pylint: disable=protected-access
    assert db.execute("SELECT MIN(at) FROM probes").fetchone()[0] >= now - history.RAW_SECONDS
    assert db.execute("SELECT COUNT(*) FROM buckets").fetchone()[0] > 0


def test_retention_drops_what_is_older_than_thirty_days_and_the_file_survives_a_restart(tmp_path):
    path = str(tmp_path / "h.sqlite3")
    store = HistoryStore(path)
    for day in range(40):
        store.record([result(day % 2 == 0)], at=day * DAY)
    store.compact(40 * DAY)
    store.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = HistoryStore(path)
    starts = [row[0] for row in again._db.execute("SELECT start FROM buckets")]  # pylint: disable=protected-access
    assert starts and min(starts) >= 10 * DAY
    assert again.uptime(now=40 * DAY)["auth-service"]["30d"] is not None


def test_the_document_names_every_endpoint_even_without_results(tmp_path):
    store = HistoryStore(str(tmp_path / "h.sqlite3"))
    store.record([result(True, latency=20.0), result(True, name="web", latency=40.0)], at=DAY)
    doc = store.document([{"name": "auth-service", "service": "auth", "environment": "production"},
                          {"name": "new-one", "service": "new", "environment": "production"}], now=DAY + 60)
    assert doc["windows"] == ["24h", "7d", "30d"]
    auth, new = doc["endpoints"]
    assert auth["uptime"] == {"24h": 100.0, "7d": 100.0, "30d": 100.0}
    assert auth["probes"] == {"24h": 1, "7d": 1, "30d": 1} and new["probes"] == {"24h": None, "7d": None, "30d": None}
    assert auth["latency_ms"][-1] == 20.0 and len(auth["latency_ms"]) == history.SPARK_POINTS
    assert new["uptime"] == {"24h": None, "7d": None, "30d": None} and set(new["latency_ms"]) == {None}


def test_thirty_days_of_history_per_endpoint_stay_small(tmp_path):
    # Two endpoints, one round every 15 s (the default interval): a day of raw results and 29 days
    # of buckets. The size grows with the endpoints; the figure is per endpoint.
    path = str(tmp_path / "h.sqlite3")
    store = HistoryStore(path)
    names = ["endpoint-%d" % i for i in range(2)]
    now = 30 * DAY
    at = 0.0
    batch = []
    while at < now - history.RAW_SECONDS:
        at += 300  # one bucket per five minutes is what compaction leaves of the older days
        batch.extend((n, at, 1, 5.0, None) for n in names)
    store._db.executemany("INSERT INTO probes VALUES (?, ?, ?, ?, ?)", batch)  # pylint: disable=protected-access
    store.compact(now)
    at = now - history.RAW_SECONDS
    rows = []
    while at < now:
        rows.extend((n, at, 1, 5.0, None) for n in names)
        at += 15
    store._db.executemany("INSERT INTO probes VALUES (?, ?, ?, ?, ?)", rows)  # pylint: disable=protected-access
    store._db.execute("VACUUM")  # pylint: disable=protected-access
    per_endpoint = store.size_bytes() / len(names)
    print("30 days of history: %.2f MB per endpoint" % (per_endpoint / 1e6))
    assert per_endpoint < 2e6
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            assert stat.S_IMODE(os.stat(path + suffix).st_mode) == 0o600, suffix
