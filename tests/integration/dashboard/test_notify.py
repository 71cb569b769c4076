# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Notifications end to end, through Apprise to real receivers on loopback: a local HTTP server
that ``json://`` posts to and a local SMTP server (aiosmtpd) for ``mailto://``. A dashboard of the
test's own watches one development endpoint, a small HTTP server the test stops and starts: DOWN
arrives after the configured failures in a row, RECOVERED after the restart, the page's test
button sends one more, and a receiver that is gone is shown as failing without stopping the watcher.
The figure (seconds from the stop to the message at the receiver) goes to tests/output/notify-figures.txt.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

httpx = pytest.importorskip("httpx", reason="the dashboard's dependencies (dashboard/requirements-test.txt)")
pytest.importorskip("apprise", reason="the dashboard's dependencies (dashboard/requirements-test.txt)")
smtp = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (dashboard/requirements-test.txt)")

FIGURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "output", "notify-figures.txt")
APP_PORT = 47444
DOWN = "DOWN: probe (probe/development)"
RECOVERED = "RECOVERED: probe (probe/development)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Received:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def add(self, title, body):
        with self.lock:
            self.items.append({"at": time.time(), "title": title, "body": body})

    def wait(self, prefix, timeout=60, count=2):
        """The first message whose title starts with prefix, once count of them arrived (one per receiver)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [i for i in self.items if i["title"].startswith(prefix)]
            if len(found) >= count:
                return found[0]
            time.sleep(0.2)
        raise AssertionError("no message %r within %d s; got %s" % (prefix, timeout, [i["title"] for i in self.items]))


def json_receiver(received):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.add(body.get("title", ""), body.get("message", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class MailHandler:
    def __init__(self, received):
        self.received = received

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import email  # pylint: disable=import-outside-toplevel

        message = email.message_from_bytes(envelope.content)
        parts = [p.get_payload(decode=True).decode("utf-8", "replace") for p in message.walk()
                 if p.get_content_type() == "text/plain"]
        self.received.add(str(message["Subject"]), "\n".join(parts))
        return "250 OK"


class Endpoint:
    """The watched development server: /health answers 200 while it runs."""

    def __init__(self):
        self.port = free_port()
        self.server = None

    def start(self):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "ok"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_down_and_recovered_reach_a_json_receiver_and_an_smtp_server(dashboard, app_runner, tmp_path):
    if not dashboard.get("local"):
        pytest.skip("needs the test's own dashboard and catalog")
    work = dashboard["work"]
    received = Received()
    http = json_receiver(received)
    mail = smtp.Controller(MailHandler(received), hostname="127.0.0.1", port=free_port())
    mail.start()
    endpoint = Endpoint()
    endpoint.start()
    urls = work / "notify-urls"
    urls.write_text("json://127.0.0.1:%d/notify\nmailto://127.0.0.1:%d?from=dashboard@platform.localhost"
                    "&to=ops@platform.localhost&mode=insecure\n" % (http.server_address[1], mail.port))
    catalog = work / "notify-catalog.json"
    catalog.write_text(json.dumps({"domain": "platform.localhost", "network": "platform", "services": {
        "probe": {"layer": "applications", "description": "watched by the notification test", "environments": {
            # Never deployed: its own incident is no business of this test, which watches development.
            "production": {"method": "compose", "containers": [
                {"name": "ztest-notify-probe", "image": "local/app-standin:1", "route": False}]},
            "development": {"method": "npm", "source": str(tmp_path), "port": endpoint.port, "health": "/health"}}}}}))
    own = {"DASHBOARD_CATALOG": str(catalog), "DASHBOARD_NOTIFY_URLS_FILE": str(urls),
           "DASHBOARD_HEALTH_INTERVAL": "1", "DASHBOARD_DOWN_AFTER": "2", "DASHBOARD_NOTIFY_REMINDER": "3600",
           "DASHBOARD_AUDIT_LOG": str(work / "audit-notify.jsonl"), "DASHBOARD_HISTORY_DB": str(work / "history-notify.sqlite3")}
    try:
        with app_runner(work, APP_PORT, **own):
            time.sleep(3)  # healthy rounds first
            stopped = time.time()
            endpoint.stop()
            down = received.wait(DOWN)
            time.sleep(1)
            assert len([i for i in received.items if i["title"] == DOWN]) == 2, received.items  # one per receiver, once
            assert "http://127.0.0.1:%d/health" % endpoint.port in down["body"] and "Failed:" in down["body"]
            delay = down["at"] - stopped
            endpoint.start()
            started = time.time()
            recovered = received.wait(RECOVERED)
            os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
            with open(FIGURES, "a", encoding="utf-8") as handle:
                handle.write("stop to DOWN at the receiver: %.1f s (health interval 1 s, down after 2 failures); "
                             "start to RECOVERED: %.1f s\n" % (delay, recovered["at"] - started))
            assert delay < 30
            # The page's test button, then a receiver that is gone: shown as failing, the watcher goes on.
            with httpx.Client(base_url="http://127.0.0.1:%d" % APP_PORT, timeout=30, follow_redirects=False) as client:
                from test_api import csrf_of, login  # pylint: disable=import-outside-toplevel

                login(client, dashboard)
                token = csrf_of(client)
                answer = client.post("/actions/notify-test", headers={"X-CSRF-Token": token})
                assert answer.status_code == 200 and "sent to 2 targets" in answer.text, answer.text
                received.wait("korczewski.platform: test notification")
                http.shutdown()
                http.server_close()
                answer = client.post("/actions/notify-test", headers={"X-CSRF-Token": token})
                assert answer.status_code == 502 and "json://" in answer.text, answer.text
                status = client.get("/api/status").json()
                assert status["notifications"]["failed"] >= 1
                assert [r["ok"] for r in status["notifications"]["last"]] == [False, True]
                assert "127.0.0.1" not in json.dumps(status["notifications"])  # the URLs stay secret
                rounds = status["monitor"]["health_at"]
                time.sleep(2.5)
                assert client.get("/api/status").json()["monitor"]["health_at"] > rounds
    finally:
        mail.stop()
        try:
            endpoint.stop()
        except Exception:  # pylint: disable=broad-except
            pass
