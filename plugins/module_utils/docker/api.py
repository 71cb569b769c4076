# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal Docker Engine API client over the unix socket (or plain tcp://), standard library only.

Discovery asks a handful of read-only questions (containers on one engine; services, tasks and
nodes of a swarm from a manager), enforcement stops and removes single containers or
services, and the preflight asks for images and pulls the missing ones; http.client on one
keep-alive connection answers them in milliseconds, without the docker SDK's import cost or
dependency on the managed host.
"""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
# dockerd 20.10 speaks 1.41; newer engines still accept it unless their minimum is higher.
API_VERSION = "1.41"


class DockerError(Exception):
    """The engine is unreachable or answered with an error."""


class _UnixHTTPConnection(http.client.HTTPConnection):

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _version_tuple(text):
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return (0,)


class DockerAPI:
    """``DockerAPI("unix:///var/run/docker.sock")``; every method raises :class:`DockerError`."""

    def __init__(self, docker_host=DEFAULT_DOCKER_HOST, timeout=30):
        self.docker_host = docker_host
        self.timeout = timeout
        parts = urlsplit(docker_host)
        if parts.scheme == "unix":
            self._factory = lambda: _UnixHTTPConnection(parts.path, timeout)
        elif parts.scheme in ("tcp", "http"):
            if not parts.hostname:
                raise DockerError("docker_host %s has no host name" % docker_host)
            self._factory = lambda: http.client.HTTPConnection(parts.hostname, parts.port or 2375, timeout=timeout)
        else:
            raise DockerError("docker_host %s: only unix:// and tcp:// (without TLS) are supported" % docker_host)
        self._conn = None
        self._prefix = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _raw(self, method, path):
        last = None
        # A keep-alive connection that dockerd closed fails once; one retry on a new one is enough.
        for dummy in range(2):
            if self._conn is None:
                self._conn = self._factory()
            try:
                self._conn.request(method, path, headers={"Host": "docker"})
                response = self._conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                last = exc
                self.close()
        raise DockerError("cannot reach the Docker engine at %s: %s" % (self.docker_host, last))

    def _prefix_path(self):
        if self._prefix is None:
            status, body = self._raw("GET", "/version")
            if status != 200:
                raise DockerError("GET /version at %s answered %d: %s" % (self.docker_host, status, _message(body)))
            info = _json(body)
            minimum = info.get("MinAPIVersion") or "1.12"
            # An engine whose minimum API is newer than ours gets unversioned paths (its own version).
            self._prefix = "/v" + API_VERSION if _version_tuple(minimum) <= _version_tuple(API_VERSION) else ""
        return self._prefix

    def call(self, method, path, query=None, ok=(200,)):
        """One request; returns the decoded JSON body (None when empty). Status 404 raises too."""
        full = self._prefix_path() + path
        if query:
            full += "?" + urlencode(query)
        status, body = self._raw(method, full)
        if status not in ok:
            raise DockerError("%s %s answered %d: %s" % (method, path, status, _message(body)))
        return _json(body) if body and 200 <= status < 300 else None

    def version(self):
        self._prefix_path()
        return self.call("GET", "/version")

    def containers(self, filters=None):
        """Every container, running or not (``GET /containers/json?all=1``), e.g.
        ``filters={"label": ["com.docker.compose.project=x"]}``."""
        query = {"all": "1"}
        query.update(_filters(filters) or {})
        return self.call("GET", "/containers/json", query) or []

    def inspect(self, container_id):
        """The container's details, or None when it was removed since it was listed."""
        return self.call("GET", "/containers/%s/json" % quote(container_id, safe=""), ok=(200, 404)) or None

    def stop(self, container_id, timeout=10):
        # 304: already stopped.
        self.call("POST", "/containers/%s/stop" % quote(container_id, safe=""), {"t": str(int(timeout))},
                  ok=(204, 304))

    def remove(self, container_id):
        """Remove a stopped container. Never with v=1: its volumes stay."""
        self.call("DELETE", "/containers/%s" % quote(container_id, safe=""), ok=(204,))

    def image(self, name):
        """The image's details (``GET /images/<name>/json``), or None when this engine has no such image."""
        return self.call("GET", "/images/%s/json" % quote(name, safe=""), ok=(200, 404)) or None

    def distribution(self, name):
        """What the image's registry knows of it (``GET /distribution/<name>/json``), without pulling.
        A failure raises with the engine's own message (the registry's answer)."""
        status, body = self._raw("GET", "%s/distribution/%s/json" % (self._prefix_path(), quote(name, safe="")))
        if status != 200:
            raise DockerError(_message(body))
        return _json(body)

    def pull(self, name, tag):
        """Pull one image (``POST /images/create``); returns the answer's progress messages.

        The engine answers 200 as soon as the pull starts and reports a failure later in the
        stream, so the stream's errors raise as well. The message is the engine's own."""
        status, body = self._raw("POST", "%s/images/create?%s" % (
            self._prefix_path(), urlencode({"fromImage": name, "tag": tag})))
        if status != 200:
            raise DockerError(_message(body))
        messages = _json_lines(body)
        for message in messages:
            if message.get("error"):
                raise DockerError(message["error"])
        return messages

    # Swarm: only a manager answers these (a worker or a lone engine answers 503).

    def services(self, filters=None):
        """The swarm's services (``GET /services``), e.g. ``filters={"label": ["a=b"]}``."""
        return self.call("GET", "/services", _filters(filters)) or []

    def tasks(self, filters=None):
        """The swarm's tasks (``GET /tasks``), e.g. ``filters={"service": [id], "desired-state": ["running"]}``."""
        return self.call("GET", "/tasks", _filters(filters)) or []

    def nodes(self, filters=None):
        """The swarm's nodes (``GET /nodes``)."""
        return self.call("GET", "/nodes", _filters(filters)) or []

    def remove_service(self, service_id):
        """Remove a swarm service; its tasks' containers go with it, named volumes stay."""
        self.call("DELETE", "/services/%s" % quote(service_id, safe=""), ok=(200, 204))

    def networks(self, filters=None):
        """Networks (``GET /networks``), e.g. ``filters={"label": ["com.docker.stack.namespace=x"]}``."""
        return self.call("GET", "/networks", _filters(filters)) or []

    def remove_network(self, network_id):
        self.call("DELETE", "/networks/%s" % quote(network_id, safe=""), ok=(200, 204))


def _filters(filters):
    # The engine reads filters as one JSON object of lists; an empty one means no filter.
    return {"filters": json.dumps(dict((k, list(v)) for k, v in sorted(filters.items())))} if filters else None


def _json(body):
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        raise DockerError("the Docker engine answered with something that is not JSON: %r" % body[:200])


def _json_lines(body):
    """A streamed answer: one JSON object per line; a line that is no JSON object is kept as text."""
    messages = []
    for line in body.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        messages.append(value if isinstance(value, dict) else {"status": line})
    return messages


def _message(body):
    try:
        return json.loads(body.decode("utf-8")).get("message") or body.decode("utf-8", "replace").strip()
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()
