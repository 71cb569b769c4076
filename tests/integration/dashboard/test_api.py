# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's HTTP surface on a real server: what needs a login, the cookie's flags, CSRF on
actions, /api/status and /metrics from memory, and the SSE stream's resume by Last-Event-ID."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

httpx = pytest.importorskip("httpx", reason="the dashboard's dependencies (dashboard/requirements-test.txt)")


@pytest.fixture
def client(dashboard):
    with httpx.Client(base_url=dashboard["url"], timeout=10, verify=False, follow_redirects=False) as anonymous:
        yield anonymous


def login(client, dashboard):
    """Logs in; the session rides in a header from then on (a cookie jar keeps a Secure cookie off plain HTTP)."""
    response = client.post("/login", data={"username": dashboard["user"], "password": dashboard["password"]})
    assert response.status_code == 303, response.text
    value = response.headers["set-cookie"].split("kd_session=", 1)[1].split(";", 1)[0]
    client.headers["Cookie"] = "kd_session=" + value
    client.session_cookie = value
    return response


def csrf_of(client):
    page = client.get("/")
    marker = 'X-CSRF-Token": "'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]


def test_everything_but_healthz_needs_a_login(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/").headers["location"].endswith("/login")
    for path in ("/api/status", "/metrics", "/events"):
        assert client.get(path).status_code == 401, path
    assert client.post("/actions/unit", data={"service": "l2p", "environment": "development", "action": "stop"}).status_code == 401


def test_the_session_cookie_is_secure_httponly_and_strict(client, dashboard):
    cookie = login(client, dashboard).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    if dashboard.get("local") or urlsplit(dashboard["url"]).scheme == "https":
        assert "secure" in cookie


def test_status_and_metrics_answer_from_memory(client, dashboard):
    login(client, dashboard)
    status = client.get("/api/status").json()
    assert status["services"] and all("environments" in row for row in status["services"])
    assert {"violations", "audit", "counts", "monitor"} <= set(status)
    metrics = client.get("/metrics").text
    assert "platform_unit_up{" in metrics and "platform_single_environment_violations{" in metrics
    assert "process_resident_memory_bytes" in metrics
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_an_action_without_its_csrf_token_is_refused(client, dashboard):
    login(client, dashboard)
    data = {"service": "l2p", "environment": "development", "action": "stop"}
    assert client.post("/actions/unit", data=data).status_code == 403
    assert client.post("/actions/unit", data=data, headers={"X-CSRF-Token": "forged"}).status_code == 403
    # An unknown unit with the right token: judged and refused, nothing touched.
    response = client.post("/actions/unit", data=dict(data, service="no-such-service"), headers={"X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 409 and "not in the catalog" in response.text


def sse_events(dashboard, cookie, last_event_id=None, seconds=2.0):
    """Raw SSE read for a few seconds: [(id, event)] of the events that arrived."""
    parts = urlsplit(dashboard["url"])
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=seconds)
    headers = "GET /events HTTP/1.1\r\nHost: %s\r\nCookie: kd_session=%s\r\nAccept: text/event-stream\r\n" % (parts.netloc, cookie)
    if last_event_id is not None:
        headers += "Last-Event-ID: %s\r\n" % last_event_id
    sock.sendall((headers + "\r\n").encode())
    data = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    finally:
        sock.close()
    events, current = [], {}
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("id:"):
            current["id"] = line[3:].strip()
        elif line.startswith("event:"):
            current["event"] = line[6:].strip()
        elif not line and current:
            events.append((current.get("id"), current.get("event")))
            current = {}
    return events


def test_sse_sends_the_board_and_resumes_by_last_event_id(client, dashboard):
    if not dashboard.get("local"):
        pytest.skip("reads the stream over plain HTTP: only against the test's own dashboard")
    login(client, dashboard)
    cookie = client.session_cookie
    first = [e for e in sse_events(dashboard, cookie) if e[1] == "board"]
    assert first, "no board event"
    version = int(json.loads(client.get("/healthz").text)["version"])
    # A client that already has the current version gets nothing again (barring a change meanwhile).
    resumed = [e for e in sse_events(dashboard, cookie, last_event_id=version, seconds=1.5) if e[1] == "board"]
    assert all(int(e[0]) > version for e in resumed)
    # One that is behind gets the current board at once.
    behind = [e for e in sse_events(dashboard, cookie, last_event_id=0, seconds=1.5) if e[1] == "board"]
    assert behind and int(behind[0][0]) >= version
