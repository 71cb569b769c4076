# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long each service was not serving while something ran: every URL is asked every 0.2 s
(HTTPS to 127.0.0.1 with the URL's host name as SNI and Host, the certificate not verified: the
hand-run Traefik serves its default one), and the report gives per name the requests, the failed
ones, the longest gap between two successful answers and the seconds not serving.

    with Poller({"auth": "https://auth.platform.localhost:18443/health"}) as poller:
        ...
    poller.report()
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

INTERVAL = 0.2


def get(url, timeout=2):
    """The status of GET url sent to 127.0.0.1, or 0 when nothing answered."""
    parts = urlsplit(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", parts.port or 443, timeout=timeout, context=context)
    try:
        # server_hostname: the URL's name, so Traefik picks the router (and its certificate) for it.
        conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", parts.port or 443), timeout),
                                        server_hostname=parts.hostname)
        conn.request("GET", parts.path or "/", headers={"Host": parts.hostname, "Connection": "close"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


class Poller(object):
    def __init__(self, urls, interval=INTERVAL):
        self.urls = dict(urls)
        self.interval = interval
        self._stop = threading.Event()
        self._threads = []
        self._stats = dict((name, {"requests": 0, "failures": 0, "longest_gap": 0.0, "down_seconds": 0.0,
                                   "outages": []}) for name in self.urls)
        self.started = None

    def _poll(self, name, url):
        stats = self._stats[name]
        last_ok = time.monotonic()
        down_since = None
        while not self._stop.is_set():
            asked = time.monotonic()
            status = get(url)
            now = time.monotonic()
            stats["requests"] += 1
            if 200 <= status < 400:
                stats["longest_gap"] = max(stats["longest_gap"], now - last_ok)
                last_ok = now
                if down_since is not None:
                    stats["down_seconds"] += now - down_since
                    stats["outages"].append((round(down_since - self.started, 1), round(now - self.started, 1)))
                    down_since = None
            else:
                stats["failures"] += 1
                # Not serving since it was asked: a request to a stopping backend may hang until its timeout.
                down_since = down_since or asked
            self._stop.wait(self.interval)
        if down_since is not None:
            stats["down_seconds"] += time.monotonic() - down_since
            stats["longest_gap"] = max(stats["longest_gap"], time.monotonic() - last_ok)

    def start(self):
        self.started = time.monotonic()
        for name, url in self.urls.items():
            thread = threading.Thread(target=self._poll, args=(name, url), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def report(self):
        return dict((name, dict(stats, longest_gap=round(stats["longest_gap"], 2),
                                down_seconds=round(stats["down_seconds"], 2))) for name, stats in self._stats.items())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
