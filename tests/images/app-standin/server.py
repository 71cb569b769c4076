# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the platform's web applications (auth, l2p, payment, videovault).

Its /health really connects to $DATABASE_URL, so a green health check proves the
catalog's database wiring, not just that a process listens.
"""

from __future__ import annotations

import html
import os
import queue
import re
import socket

import psycopg2

from standin import App, html_response, json_response

SERVICE = os.environ.get("SERVICE_NAME", "app")
ENVIRONMENT = os.environ.get("PLATFORM_ENVIRONMENT", "unknown")
HEALTH_PATHS = [p.strip() for p in os.environ.get("HEALTH_PATHS", "/health,/api/health").split(",") if p.strip()]
CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))

app = App(SERVICE)


def identity() -> dict:
    return {"service": SERVICE, "environment": ENVIRONMENT, "instance": socket.gethostname()}


# Idle connections kept for the next probe, as an application's pool keeps them: /health then
# costs a SELECT 1, not a new backend and a SCRAM handshake per request, which on a busy host
# took longer than the connect timeout and answered 503 while the database was fine.
_idle = queue.LifoQueue()
MAX_IDLE = 4


def _connect() -> "psycopg2.extensions.connection":
    # ORMs spell the scheme postgresql+driver://; libpq only knows the bare scheme.
    url = re.sub(r"^(postgres(?:ql)?)\+[^:]+://", r"\1://", os.environ["DATABASE_URL"])
    extra = {}
    password_file = os.environ.get("DATABASE_PASSWORD_FILE")
    if password_file:
        with open(password_file, encoding="utf-8") as handle:
            extra["password"] = handle.read().rstrip("\r\n")
    conn = psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT, **extra)
    conn.autocommit = True
    return conn


def _select_one(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()


def _give_back(conn) -> None:
    if _idle.qsize() < MAX_IDLE:
        _idle.put(conn)
    else:
        conn.close()


def database_status() -> tuple[str, str | None]:
    if not os.environ.get("DATABASE_URL", ""):
        return "none", None
    try:
        conn = _idle.get_nowait()
    except queue.Empty:
        conn = None
    if conn is not None:
        try:
            _select_one(conn)
            _give_back(conn)
            return "reachable", None
        except psycopg2.Error:
            # A restarted server or a dropped connection: the answer comes from a new one.
            conn.close()
    try:
        conn = _connect()
        _select_one(conn)
    except (OSError, psycopg2.Error) as exc:
        return "unreachable", str(exc).strip()
    _give_back(conn)
    return "reachable", None


def health(_request):
    state, error = database_status()
    body = {"status": "ok" if state != "unreachable" else "error", "database": state, **identity()}
    if error:
        body["error"] = error
    return json_response(body, 503 if state == "unreachable" else 200)


for path in HEALTH_PATHS:
    app.route("GET", re.escape(path))(health)


@app.route("GET", "/")
def index(_request):
    service, environment = html.escape(SERVICE), html.escape(ENVIRONMENT)
    return html_response(
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        f"<title>{service} ({environment})</title></head><body>"
        f"<h1 id=\"service\">{service}</h1>"
        f"<p id=\"environment\">environment: {environment}</p>"
        f"<p id=\"instance\">instance: {html.escape(socket.gethostname())}</p>"
        "</body></html>"
    )


def api(request):
    return json_response({**identity(), "method": request.method, "path": request.path})


for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    app.route(method, r"/api(?:/.*)?")(api)


if __name__ == "__main__":
    app.serve(int(os.environ.get("PORT", "8080")))
