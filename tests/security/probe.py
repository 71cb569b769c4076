# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The attacker's tool: run inside an ordinary app container (``docker exec -i <app> python3 -``
with this file on stdin and a JSON list of tries as the argument), it tries each door from there
and prints one JSON answer per try. Standard library only, plus psycopg2 for a database login,
which an application image has anyway.

A try is ``{"kind": "tcp", "host", "port"}``, ``{"kind": "http", "url", "method", "headers",
"body", "host_ip"}`` (host_ip connects there while the URL's name goes in Host and SNI, as a
client that knows Traefik's address does), ``{"kind": "pg", "host", "port", "user", "password",
"dbname"}`` or ``{"kind": "path", "path"}``. An answer is ``{"outcome": ...}`` with one of
``unresolvable``, ``refused``, ``timeout``, ``unreachable``, ``connected``, ``status`` (with
``status`` and the start of ``body``), ``login`` or ``denied`` (with the server's ``message``),
``exists`` or ``absent``.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import socket
import ssl
import sys
from urllib.parse import urlsplit

TIMEOUT = 4


def _connect_error(exc):
    if isinstance(exc, socket.gaierror):
        return {"outcome": "unresolvable", "error": str(exc)}
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return {"outcome": "timeout", "error": str(exc)}
    if isinstance(exc, ConnectionRefusedError):
        return {"outcome": "refused", "error": str(exc)}
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return {"outcome": "unreachable", "error": str(exc)}
    return None


def try_tcp(spec):
    try:
        with socket.create_connection((spec["host"], int(spec["port"])), timeout=TIMEOUT):
            return {"outcome": "connected"}
    except OSError as exc:
        return _connect_error(exc) or {"outcome": "error", "error": repr(exc)}


def try_http(spec):
    url = urlsplit(spec["url"])
    port = url.port or (443 if url.scheme == "https" else 80)
    address = spec.get("host_ip") or url.hostname
    try:
        raw = socket.create_connection((address, port), timeout=TIMEOUT)
    except OSError as exc:
        return _connect_error(exc) or {"outcome": "error", "error": repr(exc)}
    try:
        if url.scheme == "https":
            # The platform's local CA is not in the app's trust store; what is tried here is who
            # answers, not the certificate (the suite checks that elsewhere).
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            raw = context.wrap_socket(raw, server_hostname=url.hostname)
        conn = http.client.HTTPConnection(url.hostname, port, timeout=TIMEOUT)
        conn.sock = raw
        headers = dict(spec.get("headers") or {})
        headers.setdefault("Host", url.netloc)
        body = spec.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        conn.request(spec.get("method", "GET"), path, body=body, headers=headers)
        answer = conn.getresponse()
        text = answer.read(2000).decode("utf-8", "replace")
        return {"outcome": "status", "status": answer.status, "body": text[:600]}
    except OSError as exc:
        return {"outcome": "error", "error": repr(exc)}
    finally:
        raw.close()


def try_pg(spec):
    import psycopg2  # pylint: disable=import-outside-toplevel

    try:
        conn = psycopg2.connect(host=spec["host"], port=int(spec.get("port", 5432)), user=spec["user"],
                                password=spec["password"], dbname=spec["dbname"], connect_timeout=TIMEOUT)
    except psycopg2.OperationalError as exc:
        message = str(exc).strip()
        refused = _connect_error(exc.__cause__) if exc.__cause__ else None
        for word, outcome in (("could not translate host name", "unresolvable"), ("Connection refused", "refused"),
                              ("timeout expired", "timeout")):
            if word in message:
                return {"outcome": outcome, "message": message}
        return refused or {"outcome": "denied", "message": message}
    conn.close()
    return {"outcome": "login"}


def try_path(spec):
    return {"outcome": "exists" if os.path.lexists(spec["path"]) else "absent"}


KINDS = {"tcp": try_tcp, "http": try_http, "pg": try_pg, "path": try_path}


def main():
    tries = json.loads(sys.argv[1])
    for spec in tries:
        print(json.dumps(KINDS[spec["kind"]](spec)), flush=True)


if __name__ == "__main__":
    main()
