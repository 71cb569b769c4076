# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared plumbing for the test bed's stand-in servers.

Routing, JSON and server-sent-event responses, and a clean exit on SIGTERM: a Python
process running as PID 1 gets no default signal handling, so without the handler
``docker stop`` would wait out its timeout and then kill the server.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import parse_qs, urlsplit


class Request:
    def __init__(self, method: str, target: str, headers, body: bytes, params: dict):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = headers
        self.body = body
        self.params = params

    def json(self):
        """The body as JSON; raises HTTPError(400) on anything else."""
        if not self.body:
            raise HTTPError(400, "request body must be JSON")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from exc


class Response:
    def __init__(self, status: int = 200, body: bytes = b"", content_type: str = "text/plain; charset=utf-8",
                 headers: dict | None = None, stream: Iterable[bytes] | None = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.stream = stream


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(payload, status: int = 200) -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json")


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode())


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode(), "text/html; charset=utf-8")


def sse_response(events: Iterable[str]) -> Response:
    """Server-sent events: each item is one ``data:`` payload."""
    return Response(200, content_type="text/event-stream",
                    headers={"Cache-Control": "no-cache"},
                    stream=(f"data: {event}\n\n".encode() for event in events))


Handler = Callable[[Request], Response]


class App:
    def __init__(self, name: str, error_body: Callable[[int, str], object] | None = None):
        self.name = name
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.error_body = error_body or (lambda status, message: {"error": message})

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            self.routes.append((method, re.compile(f"^{pattern}$"), func))
            return func
        return register

    def dispatch(self, request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        path_matched = False
        for route_method, pattern, func in self.routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if route_method == method:
                request.params = match.groupdict()
                try:
                    return func(request)
                except HTTPError as exc:
                    return json_response(self.error_body(exc.status, exc.message), exc.status)
        if path_matched:
            return json_response(self.error_body(405, "Method Not Allowed"), 405)
        return json_response(self.error_body(404, "Not Found"), 404)

    def serve(self, port: int, host: str = "0.0.0.0") -> None:
        app = self
        draining = threading.Event()
        connections_lock = threading.Lock()
        idle: set = set()

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = f"{app.name}-standin"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                response = app.dispatch(Request(self.command, self.path, self.headers, body, {}))
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if response.stream is None:
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(response.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in response.stream:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            # Graceful drain: between two requests a kept-alive connection is idle; stopping
            # closes the idle ones and answers the busy ones with "Connection: close".
            def handle_one_request(self) -> None:
                with connections_lock:
                    idle.add(self.connection)
                try:
                    super().handle_one_request()
                finally:
                    with connections_lock:
                        idle.discard(self.connection)

            def parse_request(self) -> bool:
                with connections_lock:
                    idle.discard(self.connection)
                parsed = super().parse_request()
                if draining.is_set():
                    self.close_connection = True
                return parsed

            def end_headers(self) -> None:
                if draining.is_set() or self.close_connection:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                super().end_headers()

            def log_message(self, fmt: str, *args) -> None:
                sys.stdout.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {app.name} "
                                 f"{self.address_string()} {fmt % args}\n")

        server = ThreadingHTTPServer((host, port), RequestHandler)
        # A request in flight when the signal comes is answered before the process exits, as
        # real servers drain (Node's server.close(), uvicorn, gunicorn): server_close() joins
        # the handler threads. A stream (SSE) ends with the process.
        server.daemon_threads = False
        server.block_on_close = True

        def stop(signum, _frame) -> None:
            print(f"{app.name}: signal {signum}, shutting down", flush=True)
            draining.set()
            with connections_lock:
                for connection in list(idle):
                    try:
                        connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            # shutdown() blocks until serve_forever() returns, so it needs its own thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"{app.name}: listening on {host}:{port}", flush=True)
        server.serve_forever()
        server.server_close()


def env_port(*names: str, default: int) -> int:
    """First set variable among names, as a port number."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return int(value)
    return default


def load_file_settings(environ=None) -> None:
    """The <NAME>_FILE contract of the official images: a setting given as the path of a file
    (a Swarm secret under /run/secrets) is read from it, unless NAME itself is set."""
    environ = os.environ if environ is None else environ
    for key in [k for k in environ if k.endswith("_FILE") and len(k) > len("_FILE")]:
        name = key[: -len("_FILE")]
        if name in environ:
            continue
        try:
            with open(environ[key], encoding="utf-8") as handle:
                environ[name] = handle.read().rstrip("\r\n")
        except OSError as exc:
            print(f"standin: {key}: {exc}", file=sys.stderr, flush=True)


# Servers read their settings when imported, right after this module.
load_file_settings()
