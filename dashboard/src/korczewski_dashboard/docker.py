# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the dashboard asks Docker beyond discovery, asynchronously: the event stream and
start / stop / restart of one container. Through the socket proxy (``tcp://host:port``) in
production, the unix socket in development; discovery itself runs the collection's own client
(``docker.api.DockerAPI``) on the same address."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import httpx

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import API_VERSION, DockerError


# What changes a container's run state or health; healthcheck execs (every few seconds per
# container) would otherwise wake discovery all the time.
EVENTS = ("create", "start", "restart", "stop", "die", "kill", "oom", "destroy", "pause", "unpause", "rename",
          "health_status")


class AsyncDocker:

    def __init__(self, docker_host, timeout=30.0):
        parts = urlsplit(docker_host)
        if parts.scheme == "unix":
            transport = httpx.AsyncHTTPTransport(uds=parts.path)
            base = "http://docker"
        elif parts.scheme in ("tcp", "http"):
            transport = None
            base = "http://%s:%d" % (parts.hostname, parts.port or 2375)
        else:
            raise DockerError("docker_host %s: only unix:// and tcp:// are supported" % docker_host)
        self.docker_host = docker_host
        self.prefix = "/v" + API_VERSION
        self.client = httpx.AsyncClient(base_url=base, transport=transport, timeout=timeout)

    async def close(self):
        await self.client.aclose()

    async def _post(self, path, params=None, timeout=None):
        try:
            response = await self.client.post(self.prefix + path, params=params,
                                              timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise DockerError("cannot reach the Docker engine at %s: %s" % (self.docker_host, exc))
        # 304: already in the wanted state.
        if response.status_code not in (204, 304):
            raise DockerError("POST %s answered %d: %s" % (path, response.status_code, _message(response)))
        return response.status_code

    async def start(self, container_id):
        return await self._post("/containers/%s/start" % quote(container_id, safe=""))

    async def stop(self, container_id, timeout=10):
        return await self._post("/containers/%s/stop" % quote(container_id, safe=""), {"t": str(int(timeout))},
                                timeout=timeout + 15)

    async def restart(self, container_id, timeout=10):
        return await self._post("/containers/%s/restart" % quote(container_id, safe=""), {"t": str(int(timeout))},
                                timeout=timeout + 30)

    async def events(self):
        """Container events as dicts, until the stream ends or fails (callers reconnect)."""
        params = {"filters": json.dumps({"type": ["container"], "event": list(EVENTS)})}
        timeout = httpx.Timeout(None, connect=5.0)
        async with self.client.stream("GET", self.prefix + "/events", params=params, timeout=timeout) as response:
            if response.status_code != 200:
                raise DockerError("GET /events answered %d" % response.status_code)
            async for line in response.aiter_lines():
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue


def _message(response):
    try:
        return response.json().get("message") or response.text.strip()
    except ValueError:
        return response.text.strip()
