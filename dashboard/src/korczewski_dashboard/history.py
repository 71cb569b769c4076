# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every probe result, kept in SQLite on the dashboard's volume, so uptime and incidents survive a
restart and an image update.

Bounded: the raw results of the last ``RAW_SECONDS`` (24 h), then five-minute buckets (count,
successes, latency sum and maximum) up to ``RETENTION_SECONDS`` (30 days); ``compact`` moves and
drops, at most every ``COMPACT_EVERY`` seconds. An incident opens when an endpoint fails
``down_after`` probes in a row (it starts at the first of them, with that probe's cause) and
closes at its next success: a single slow answer is no incident, as Gatus and Uptime Kuma count it.

Private to the dashboard; standard library only. One connection, used from the health loop's
worker thread and the request handlers' threads under one lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

RAW_SECONDS = 24 * 3600
BUCKET_SECONDS = 300
RETENTION_SECONDS = 30 * 24 * 3600
COMPACT_EVERY = 600
WINDOWS = (("24h", 24 * 3600), ("7d", 7 * 24 * 3600), ("30d", RETENTION_SECONDS))
SPARK_POINTS = 48

SCHEMA = """
CREATE TABLE IF NOT EXISTS probes (endpoint TEXT NOT NULL, at REAL NOT NULL, ok INTEGER NOT NULL,
                                   latency_ms REAL, cause TEXT);
CREATE INDEX IF NOT EXISTS probes_by_time ON probes (at);
CREATE TABLE IF NOT EXISTS buckets (endpoint TEXT NOT NULL, start REAL NOT NULL, total INTEGER NOT NULL,
                                    ok INTEGER NOT NULL, latency_sum REAL NOT NULL, latency_n INTEGER NOT NULL,
                                    latency_max REAL, PRIMARY KEY (endpoint, start));
CREATE TABLE IF NOT EXISTS incidents (id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, service TEXT,
                                      environment TEXT, started REAL NOT NULL, ended REAL, cause TEXT);
CREATE TABLE IF NOT EXISTS streaks (endpoint TEXT PRIMARY KEY, failures INTEGER NOT NULL, first_at REAL NOT NULL,
                                    cause TEXT);
"""


def cause_of(result):
    """What failed, in one line: the failed conditions, else the probe's error."""
    failed = result.get("failed_conditions") or []
    return "; ".join(failed) if failed else (result.get("error") or "failed")


class HistoryStore:
    """The probe history of every endpoint; ``path`` None keeps it in memory (a dev server)."""

    def __init__(self, path=None, down_after=3, clock=time.time):
        self.path = path or ":memory:"
        self.down_after = down_after
        self.clock = clock
        self._lock = threading.Lock()
        if path:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            # SQLite gives its -wal and -shm files the database file's mode: 0600 from the start.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # A round every few seconds: the write-ahead log syncs at checkpoints, not at every round
        # (a power cut may lose the last rounds, never the file).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._compacted = 0.0

    def close(self):
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ writing

    def record(self, results, at=None):
        """One health round's results; returns the incidents it opened and closed."""
        at = self.clock() if at is None else at
        opened, closed = [], []
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for result in results:
                name, ok = result["name"], bool(result.get("ok"))
                cause = None if ok else cause_of(result)
                self._db.execute("INSERT INTO probes VALUES (?, ?, ?, ?, ?)",
                                 (name, at, int(ok), result.get("latency_ms"), cause))
                if ok:
                    self._db.execute("DELETE FROM streaks WHERE endpoint = ?", (name,))
                    row = self._db.execute("SELECT id, started FROM incidents WHERE endpoint = ? AND ended IS NULL",
                                           (name,)).fetchone()
                    if row:
                        self._db.execute("UPDATE incidents SET ended = ? WHERE id = ?", (at, row[0]))
                        closed.append({"endpoint": name, "started": row[1], "ended": at})
                    continue
                streak = self._db.execute("SELECT failures, first_at, cause FROM streaks WHERE endpoint = ?",
                                          (name,)).fetchone()
                failures, first_at, first_cause = (streak[0] + 1, streak[1], streak[2]) if streak else (1, at, cause)
                self._db.execute("INSERT OR REPLACE INTO streaks VALUES (?, ?, ?, ?)", (name, failures, first_at, first_cause))
                if failures == self.down_after:
                    self._db.execute("INSERT INTO incidents (endpoint, service, environment, started, cause) "
                                     "VALUES (?, ?, ?, ?, ?)",
                                     (name, result.get("service"), result.get("environment"), first_at, first_cause))
                    opened.append({"endpoint": name, "started": first_at, "cause": first_cause})
        if at - self._compacted >= COMPACT_EVERY:
            self.compact(at)
        return opened, closed

    def compact(self, now=None):
        """Raw results older than a day become five-minute buckets; buckets and closed incidents
        older than the retention go."""
        now = self.clock() if now is None else now
        raw_before, keep_after = now - RAW_SECONDS, now - RETENTION_SECONDS
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO buckets (endpoint, start, total, ok, latency_sum, latency_n, latency_max) "
                "SELECT endpoint, CAST(at / ? AS INTEGER) * ?, COUNT(*), SUM(ok), COALESCE(SUM(latency_ms), 0), "
                "COUNT(latency_ms), MAX(latency_ms) FROM probes WHERE at < ? GROUP BY endpoint, CAST(at / ? AS INTEGER) "
                "ON CONFLICT (endpoint, start) DO UPDATE SET total = total + excluded.total, ok = ok + excluded.ok, "
                "latency_sum = latency_sum + excluded.latency_sum, latency_n = latency_n + excluded.latency_n, "
                "latency_max = MAX(COALESCE(latency_max, 0), COALESCE(excluded.latency_max, 0))",
                (BUCKET_SECONDS, BUCKET_SECONDS, raw_before, BUCKET_SECONDS))
            self._db.execute("DELETE FROM probes WHERE at < ?", (raw_before,))
            self._db.execute("DELETE FROM buckets WHERE start < ?", (keep_after,))
            self._db.execute("DELETE FROM incidents WHERE ended IS NOT NULL AND ended < ?", (keep_after,))
        self._compacted = now

    def forget_except(self, names):
        """Endpoints that left the catalog keep their incidents, not an open streak."""
        with self._lock:
            marks = ",".join("?" * len(names)) or "''"
            self._db.execute("DELETE FROM streaks WHERE endpoint NOT IN (%s)" % marks, list(names))

    # ------------------------------------------------------------ reading

    def uptime(self, now=None, counts=None):
        """{endpoint: {window: percentage or None}} over the windows of WINDOWS; ``counts``, a
        dict, receives {endpoint: {window: number of probes}}."""
        now = self.clock() if now is None else now
        result = {}
        counts = {} if counts is None else counts
        with self._lock:
            for label, seconds in WINDOWS:
                since = now - seconds
                rows = self._db.execute(
                    "SELECT endpoint, SUM(total), SUM(ok) FROM ("
                    " SELECT endpoint, COUNT(*) AS total, SUM(ok) AS ok FROM probes WHERE at >= ? GROUP BY endpoint"
                    " UNION ALL SELECT endpoint, SUM(total), SUM(ok) FROM buckets WHERE start >= ? GROUP BY endpoint"
                    ") GROUP BY endpoint", (since, since)).fetchall()
                for endpoint, total, ok in rows:
                    result.setdefault(endpoint, {})[label] = round(100.0 * ok / total, 3) if total else None
                    counts.setdefault(endpoint, {})[label] = total
        for windows in result.values():
            for label, dummy in WINDOWS:
                windows.setdefault(label, None)
        return result

    def latency(self, now=None, points=SPARK_POINTS):
        """{endpoint: [average latency in ms or None per slot]} over the last day, oldest first."""
        now = self.clock() if now is None else now
        width = RAW_SECONDS / points
        since = now - RAW_SECONDS
        series = {}
        with self._lock:
            rows = self._db.execute(
                "SELECT endpoint, CAST((at - ?) / ? AS INTEGER) AS slot, AVG(latency_ms) FROM probes "
                "WHERE at >= ? AND latency_ms IS NOT NULL GROUP BY endpoint, slot", (since, width, since)).fetchall()
        for endpoint, slot, average in rows:
            values = series.setdefault(endpoint, [None] * points)
            if 0 <= slot < points:
                values[slot] = round(average, 1)
        return series

    def incidents(self, limit=50, now=None):
        """The newest incidents first: endpoint, service, environment, start, end (None: ongoing),
        duration in seconds, cause."""
        now = self.clock() if now is None else now
        with self._lock:
            rows = self._db.execute("SELECT endpoint, service, environment, started, ended, cause FROM incidents "
                                    "ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [{"endpoint": e, "service": s, "environment": env, "started": st, "ended": en,
                 "duration_s": round((en if en is not None else now) - st, 1), "cause": c}
                for e, s, env, st, en, c in rows]

    def document(self, endpoints, now=None):
        """What /api/history answers and the page shows: each endpoint of ``endpoints`` (name,
        service, environment) with its uptime per window and latency sparkline, and the incidents."""
        now = self.clock() if now is None else now
        counts = {}
        uptime, latency = self.uptime(now, counts), self.latency(now)
        empty = dict((label, None) for label, dummy in WINDOWS)
        return {
            "generated_at": now,
            "windows": [label for label, dummy in WINDOWS],
            "endpoints": [{"name": ep["name"], "service": ep["service"], "environment": ep["environment"],
                           "uptime": uptime.get(ep["name"], empty),
                           "probes": dict(empty, **counts.get(ep["name"], {})),
                           "latency_ms": latency.get(ep["name"], [None] * SPARK_POINTS)} for ep in endpoints],
            "incidents": self.incidents(now=now),
        }

    def size_bytes(self):
        if self.path == ":memory:":
            with self._lock:
                pages = self._db.execute("PRAGMA page_count").fetchone()[0]
                size = self._db.execute("PRAGMA page_size").fetchone()[0]
            return pages * size
        return os.path.getsize(self.path)
