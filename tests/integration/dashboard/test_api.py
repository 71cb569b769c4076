# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's HTTP surface on a real server: what needs a login, the cookie's flags, CSRF on
actions, /api/status and /metrics from memory, the SSE stream's resume by Last-Event-ID, and the
login's defences: X-Forwarded-For only from the trusted proxy, attempts counted before their check,
sessions ended by logout and by a new password, /health without details for anonymous callers."""

from __future__ import annotations

import json
import os
import socket
import time
from urllib.parse import urlencode, urlsplit

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
    for path in ("/api/status", "/api/history", "/metrics", "/events"):
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


def local_only(dashboard):
    if not dashboard.get("local"):
        pytest.skip("needs the test's own dashboard (its settings, its audit log, clients on loopback addresses)")


def from_address(dashboard, source):
    """A client whose connections come from ``source`` (a loopback address: Linux answers all of 127/8)."""
    return httpx.Client(base_url=dashboard["url"], timeout=10, follow_redirects=False,
                        transport=httpx.HTTPTransport(local_address=source))


def audited_client(dashboard, action):
    with open(dashboard["audit"], encoding="utf-8") as stream:
        entries = [json.loads(line) for line in stream]
    return [entry["client"] for entry in entries if entry["action"] == action][-1]


def test_forwarded_for_counts_only_from_the_trusted_proxy(dashboard):
    """The conftest trusts 127.0.0.2 alone: a client on any other address cannot name another."""
    local_only(dashboard)
    for source, expected in (("127.0.0.1", "127.0.0.1"), ("127.0.0.3", "127.0.0.3"), ("127.0.0.2", "198.51.100.7")):
        with from_address(dashboard, source) as client:
            response = client.post("/login", data={"username": dashboard["user"], "password": dashboard["password"]},
                                   headers={"X-Forwarded-For": "198.51.100.7"})
            assert response.status_code == 303, response.text
        assert audited_client(dashboard, "login") == expected, source


def raw_login(source, dashboard, password):
    parts = urlsplit(dashboard["url"])
    sock = socket.create_connection((parts.hostname, parts.port), timeout=20, source_address=(source, 0))
    body = urlencode({"username": dashboard["user"], "password": password}).encode()
    request = ("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n" % (parts.netloc, len(body))).encode() + body
    return sock, request


def status_of(sock):
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    return int(data.split(b" ", 2)[1])


def test_parallel_guesses_get_no_more_checks_than_the_limit(dashboard):
    """Eight wrong passwords at once and then the right one, before the first argon2 check (tens of
    ms) is done: only the limit's 3 are checked, the rest - the right password too - get 429."""
    local_only(dashboard)
    source, limit = "127.0.0.4", 3
    wrong = [raw_login(source, dashboard, "wrong-%d" % n) for n in range(8)]
    right = raw_login(source, dashboard, dashboard["password"])
    for sock, request in wrong:
        sock.sendall(request)
    time.sleep(0.01)
    right[0].sendall(right[1])
    statuses = [status_of(sock) for sock, dummy in wrong]
    assert status_of(right[0]) == 429, statuses
    assert len([code for code in statuses if code != 429]) <= limit and statuses.count(401) <= limit - 1, statuses
    assert statuses.count(429) >= len(wrong) - limit, statuses


def sse_until_closed(dashboard, cookie, then, seconds):
    """Opens /events, waits for the first board, calls ``then()``; True when the server ends the
    stream (its last chunk, or the connection closed) within ``seconds`` after that."""
    parts = urlsplit(dashboard["url"])
    sock = socket.create_connection((parts.hostname, parts.port), timeout=1)
    sock.sendall(("GET /events HTTP/1.1\r\nHost: %s\r\nCookie: kd_session=%s\r\nAccept: text/event-stream\r\n\r\n"
                  % (parts.netloc, cookie)).encode())
    data, called, mark, deadline = b"", False, 0, time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return called
            data += chunk
            if not called and b"event: board" in data:
                then()
                called, deadline, mark = True, time.monotonic() + seconds, len(data)
            elif called and b"\r\n0\r\n\r\n" in data[mark - 2:]:
                return True
        return False
    finally:
        sock.close()


def test_logout_ends_the_session_and_its_open_stream(client, dashboard):
    local_only(dashboard)
    login(client, dashboard)
    csrf = csrf_of(client)
    assert client.get("/api/status").status_code == 200

    def logout():
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303

    # The stream checks its session every 2 s.
    assert sse_until_closed(dashboard, client.session_cookie, logout, seconds=6), "the stream outlived its session"
    # The very same cookie, replayed: ended on the server, not only deleted in the browser.
    assert client.get("/api/status").status_code == 401
    assert client.get("/events").status_code == 401
    assert audited_client(dashboard, "logout") == "127.0.0.1"


def test_a_new_password_ends_every_session(dashboard, app_runner):
    """The same session key, the same cookie, a restart with another password hash: logged out."""
    local_only(dashboard)
    from korczewski_dashboard.auth import hash_password

    work, port = dashboard["work"], 47441
    own = {"DASHBOARD_AUDIT_LOG": str(work / "audit-47441.jsonl")}
    with app_runner(work, port, **own):
        with httpx.Client(base_url="http://127.0.0.1:%d" % port, timeout=10, follow_redirects=False) as client:
            login(client, dashboard)
            assert client.get("/api/status").status_code == 200
    (work / "hash").write_text(hash_password("another " + dashboard["password"]))
    try:
        with app_runner(work, port, **own):
            with httpx.Client(base_url="http://127.0.0.1:%d" % port, timeout=10, follow_redirects=False) as replay:
                replay.headers["Cookie"] = client.headers["Cookie"]
                assert replay.get("/api/status").status_code == 401
    finally:
        (work / "hash").write_text(hash_password(dashboard["password"]))


def test_the_history_answers_basic_auth_and_is_kept_across_a_restart(dashboard, app_runner):
    """Every probe result goes to SQLite on the app's volume: a restarted dashboard still counts
    the rounds before it, and its page shows the uptime table."""
    local_only(dashboard)
    work, port = dashboard["work"], 47443
    own = {"DASHBOARD_AUDIT_LOG": str(work / "audit-47443.jsonl"), "DASHBOARD_HISTORY_DB": str(work / "history-47443.sqlite3"),
           "DASHBOARD_HEALTH_INTERVAL": "1"}
    credentials = (dashboard["user"], dashboard["password"])

    def probes():
        with httpx.Client(base_url="http://127.0.0.1:%d" % port, timeout=10, auth=credentials) as client:
            answer = client.get("/api/history")
            assert answer.status_code == 200, answer.text
            document = answer.json()
        assert document["windows"] == ["24h", "7d", "30d"]
        return dict((e["name"], e["probes"]["24h"] or 0) for e in document["endpoints"]), document

    with app_runner(work, port, **own):
        deadline = time.monotonic() + 30
        while True:
            before, document = probes()
            if min(before.values()) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert before and min(before.values()) >= 2, before
        assert all(set(e["uptime"]) == {"24h", "7d", "30d"} for e in document["endpoints"])
    assert oct(os.stat(own["DASHBOARD_HISTORY_DB"]).st_mode & 0o777) == "0o600"
    with app_runner(work, port, **own):
        after, dummy = probes()
        assert all(after[name] >= count for name, count in before.items()), (before, after)
        with httpx.Client(base_url="http://127.0.0.1:%d" % port, timeout=10, follow_redirects=False) as client:
            login(client, dashboard)
            page = client.get("/").text
        assert 'id="history"' in page and 'class="uptime"' in page


def test_health_shows_details_only_to_a_session(client, dashboard):
    for path in ("/health", "/healthz"):
        anonymous = client.get(path)
        assert set(anonymous.json()) == {"status"}, path
    login(client, dashboard)
    assert {"status", "discovery_error", "version"} <= set(client.get("/health").json())
