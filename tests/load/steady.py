# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Steady requests at a fixed rate while something changes, and what they met.

Each URL gets ``rate`` requests a second on a fixed schedule (a slow answer does not lower the
rate: requests run on a pool of workers), each on a new connection (keep-alive off), over HTTPS
to 127.0.0.1 with the URL's host name as SNI and Host header, so Traefik routes it as a browser's
request. The certificate is not verified: the load measures availability, the TLS tests check
the certificates. Per URL the report gives the requests, the failed ones (no answer, or any status but 2xx and 3xx: a 404 is Traefik without the router),
the statuses seen, the longest gap between two successful answers and the seconds in which at
least one request failed.

    with SteadyLoad({"auth": "https://auth.platform.localhost:18443/health"}, rate=25) as load:
        ...
    load.report()["auth"]["failed"]

Also a command: ``python tests/load/steady.py SECONDS NAME=URL...`` prints the report as JSON.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import sys
import threading
import time

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit


def get(url, timeout=5.0):
    """(status, seconds, what) of GET url sent to 127.0.0.1 on a new connection; status 0 when
    nothing answered (refused, reset, timed out). what: the start of a failed answer's body, or
    the error, which tells Traefik's own 503 ("no available server") from the application's."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    sock = None
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout)
        if parts.scheme == "https":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=parts.hostname)
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
        conn.sock = sock
        conn.request("GET", (parts.path or "/") + ("?" + parts.query if parts.query else ""),
                     headers={"Host": parts.hostname, "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        what = "" if 200 <= response.status < 400 else body[:160].decode("utf-8", "replace").strip()
        return response.status, time.monotonic() - started, what
    except (OSError, http.client.HTTPException) as exc:
        return 0, time.monotonic() - started, "%s: %s" % (type(exc).__name__, exc)
    finally:
        if sock is not None:
            sock.close()


class _Stats(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = 0
        self.statuses = {}
        self.ok_times = []
        self.failed_times = []
        self.slowest = 0.0
        self.failures = []


class SteadyLoad(object):
    """rate requests a second at each URL until stopped."""

    def __init__(self, urls, rate=25, workers=None):
        self.urls = dict(urls)
        self.rate = float(rate)
        self.workers = workers or max(8, int(self.rate * len(self.urls)))
        self._stop = threading.Event()
        self._stats = dict((name, _Stats()) for name in self.urls)
        self._threads = []
        self._pool = None
        self.started = None
        self.stopped = None

    def _one(self, name, url, asked):
        status, seconds, what = get(url)
        stats = self._stats[name]
        with stats.lock:
            stats.requests += 1
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            stats.slowest = max(stats.slowest, seconds)
            if 200 <= status < 400:
                stats.ok_times.append(asked + seconds)
            else:
                stats.failed += 1
                stats.failed_times.append(asked)
                stats.failures.append((round(asked - self.started, 2), status, round(seconds, 2), what))

    def _schedule(self, name, url):
        period = 1.0 / self.rate
        due = time.monotonic()
        while not self._stop.is_set():
            self._pool.submit(self._one, name, url, time.monotonic())
            due += period
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def start(self):
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self.started = time.monotonic()
        for name, url in self.urls.items():
            thread = threading.Thread(target=self._schedule, args=(name, url), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._pool.shutdown(wait=True)
        self.stopped = time.monotonic()

    def report(self):
        """{name: {requests, failed, statuses, rate, longest_gap, failing_seconds, slowest, failures}}."""
        result = {}
        for name, stats in self._stats.items():
            times = [self.started] + sorted(stats.ok_times) + [self.stopped or time.monotonic()]
            gap = max(b - a for a, b in zip(times, times[1:]))
            seconds = (self.stopped or time.monotonic()) - self.started
            result[name] = {
                "requests": stats.requests,
                "failed": stats.failed,
                "statuses": dict((str(k), v) for k, v in sorted(stats.statuses.items())),
                "rate": round(stats.requests / seconds, 1) if seconds > 0 else 0.0,
                "longest_gap": round(gap, 3),
                "failing_seconds": len(set(int(t - self.started) for t in stats.failed_times)),
                "slowest": round(stats.slowest, 3),
                # The first failures: (seconds since the start, status, seconds to the answer, what).
                "failures": sorted(stats.failures)[:20],
            }
        return result

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def main(argv):
    seconds = float(argv[0])
    urls = dict(arg.split("=", 1) for arg in argv[1:])
    with SteadyLoad(urls) as load:
        time.sleep(seconds)
    print(json.dumps(load.report(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
