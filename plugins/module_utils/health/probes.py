# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One health probe each: HTTP(S) with a fixed connect address, TCP connect, Docker container state.

Private to the collection; standard library only. Each probe returns a dict of what it saw and
never raises for a network or Docker failure: the failure goes into ``error`` so that conditions
decide what it means (``[CONNECTED] == false`` may be exactly what a caller wants).
"""

from __future__ import annotations

import calendar
import http.client
import os
import socket
import ssl
import time
from urllib.parse import urlsplit

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError

MAX_BODY = 1 << 20
DOCKER_SOCKET = "/var/run/docker.sock"
USER_AGENT = "korczewski.platform.service_health"
_CHUNK = 65536


def ssl_context(ca_path=None, validate_certs=True):
    """A client context; ``ca_path`` is a CA bundle file or a hashed directory."""
    if not validate_certs:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca_path and os.path.isdir(ca_path):
        return ssl.create_default_context(capath=ca_path)
    return ssl.create_default_context(cafile=ca_path or None)


def connect_address(name, address=None):
    """Where to connect for ``name``: ``address`` when given, else the name itself when it
    resolves, else 127.0.0.1, like ``curl --resolve``: names such as ``auth.platform.localhost``
    reach the local proxy although nothing here resolves them."""
    if address:
        return address
    if not name:
        return "127.0.0.1"
    try:
        socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return "127.0.0.1"
    return name


def _ms(start):
    return round((time.monotonic() - start) * 1000.0, 1)


def _describe(exc):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "TLS certificate verify failed: %s" % (exc.verify_message or exc.reason)
    if isinstance(exc, ssl.SSLError):
        return "TLS error: %s" % (exc.reason or exc)
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.HTTPException):
        return "bad HTTP response: %s" % (exc.__class__.__name__ if not str(exc) else exc)
    return str(exc) or exc.__class__.__name__


def probe_tcp(address, port, timeout):
    """TCP connect to ``address:port``; ``latency_ms`` is the connect time."""
    start = time.monotonic()
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except OSError as exc:
        return {"connected": False, "latency_ms": None, "error": _describe(exc)}
    latency = _ms(start)
    sock.close()
    return {"connected": True, "latency_ms": latency, "error": None}


def probe_http(url, host=None, address=None, timeout=5.0, context=None, max_body=MAX_BODY):
    """GET ``url`` over a connection to ``address`` (see connect_address) with ``Host`` and TLS SNI
    set to ``host`` (default: the URL's host), the certificate checked against ``host``.

    ``latency_ms`` runs from the start of the TCP connect to the end of the body (at most
    ``max_body`` bytes are read). ``timeout`` bounds connect, handshake and each read, and reading
    the body stops at that deadline.
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = host or parts.hostname
    target = connect_address(parts.hostname, address)
    result = {"connected": False, "address": target, "status": None, "body": None, "latency_ms": None,
              "certificate_expires_in": None, "error": None}
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    start = time.monotonic()
    deadline = start + timeout
    sock = response = None
    try:
        sock = socket.create_connection((target, port), timeout=timeout)
        result["connected"] = True
        result["address"] = sock.getpeername()[0]
        if https:
            sock = (context or ssl.create_default_context()).wrap_socket(sock, server_hostname=host)
            der = sock.getpeercert(binary_form=True)
            if der:
                result["certificate_expires_in"] = certificate_not_after(der) - time.time()
        default_port = 443 if https else 80
        if any(ch.isspace() for ch in path + host):
            raise ValueError("white space in the path or host name")
        request = "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n" % (
            path, host if port == default_port else "%s:%d" % (_bracket(host), port), USER_AGENT)
        sock.sendall(request.encode("ascii"))
        # HTTPResponse over our own socket: HTTPConnection would close it under us on
        # "Connection: close", and the deadline needs the socket to shorten its timeout.
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        result["status"] = response.status
        body = b""
        while len(body) < max_body:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = response.read(min(_CHUNK, max_body - len(body)))
            if not chunk:
                break
            body += chunk
            if time.monotonic() > deadline:
                raise socket.timeout()
        result["body"] = body.decode("utf-8", "replace")
        result["latency_ms"] = _ms(start)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        result["error"] = _describe(exc)
    finally:
        if response is not None:
            response.close()
        if sock is not None:
            sock.close()
    return result


def _bracket(host):
    return "[%s]" % host if ":" in host else host


def _der_item(data, pos):
    """(tag, content start, content end) of the DER item at pos."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def certificate_not_after(der):
    """notAfter of a DER X.509 certificate, in seconds since the epoch.

    Parsed by hand because the ssl module only decodes certificates it verified, and an
    expiry is worth reporting with validate_certs off too.
    """
    _tag, start, _end = _der_item(der, 0)            # Certificate
    _tag, pos, _end = _der_item(der, start)          # tbsCertificate
    tag, _start, end = _der_item(der, pos)
    if tag == 0xA0:                                  # explicit version
        tag, _start, end = _der_item(der, end)
    for _skip in range(3):                           # serial, signature, issuer -> validity
        tag, start, end = _der_item(der, end)
    _tag, _start, end = _der_item(der, start)        # notBefore
    tag, start, end = _der_item(der, end)            # notAfter
    text = der[start:end].decode("ascii")
    if tag == 0x17:                                  # UTCTime: YYMMDDHHMMSSZ, RFC 5280 pivot at 50
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:
        raise ValueError("certificate validity is not a time (tag 0x%02x)" % tag)
    stamp = time.strptime(text[:14], "%Y%m%d%H%M%S")
    return float(calendar.timegm(stamp))


def inspect_container(name, docker_socket=DOCKER_SOCKET, timeout=5.0):
    """Docker's view of one container, read from the Engine API on its unix socket (the same
    client discovery uses)."""
    result = {"state": None, "health": None, "ip": None, "network_mode": None, "error": None}
    docker = DockerAPI("unix://" + docker_socket, timeout=timeout)
    try:
        data = docker.inspect(name)
    except DockerError as exc:
        result["error"] = str(exc)
        return result
    finally:
        docker.close()
    if data is None:
        result["error"] = "no container named %r" % name
        return result
    state = data.get("State") or {}
    result["state"] = state.get("Status")
    result["health"] = (state.get("Health") or {}).get("Status")
    result["network_mode"] = (data.get("HostConfig") or {}).get("NetworkMode")
    for network in ((data.get("NetworkSettings") or {}).get("Networks") or {}).values():
        if (network or {}).get("IPAddress"):
            result["ip"] = network["IPAddress"]
            break
    return result


def container_health(state, health):
    """``[CONTAINER_HEALTH]``: Docker's health status while running with a healthcheck, ``healthy``
    while running without one, else the state (``exited``, ``created``, ``paused``...), because a
    stopped container's last health status is stale."""
    if state != "running":
        return state
    return health or "healthy"
