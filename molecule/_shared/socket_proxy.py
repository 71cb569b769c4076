# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests to a Docker socket proxy from the container that uses it (the proxies sit on internal
networks and publish nothing, so the client's own container is the only place to ask from), and
what the scenarios expect every proxy to refuse.

Bash's /dev/tcp sends one HTTP/1.0 request: every image here is Debian with bash, and nothing has
to be installed into a read-only container.
"""

from __future__ import annotations

import shlex

from helpers import docker, inspect

# Reads and writes no proxy of this collection lets through: a container's logs, files and image,
# images, engine info, volumes, secrets, exec, creating, killing and removing containers. {id}
# is a running container's id (a refusal never reaches the engine).
FORBIDDEN = [
    ("GET", "/v1.41/containers/{id}/logs?stdout=1"),
    ("GET", "/v1.41/containers/{id}/archive?path=/etc"),
    ("GET", "/v1.41/containers/{id}/export"),
    ("GET", "/v1.41/containers/{id}/top"),
    ("GET", "/v1.41/images/json"),
    ("GET", "/v1.41/info"),
    ("GET", "/v1.41/volumes"),
    ("GET", "/v1.41/secrets"),
    ("GET", "/v1.41/system/df"),
    ("POST", "/v1.41/containers/{id}/kill"),
    ("POST", "/v1.41/containers/{id}/exec"),
    ("POST", "/v1.41/containers/{id}/pause"),
    ("POST", "/v1.41/containers/create?name=molecule-proxy-created"),
    ("POST", "/v1.41/images/create?fromImage=local/debian&tag=bookworm"),
    ("POST", "/v1.41/build"),
    ("DELETE", "/v1.41/containers/{id}?force=1"),
    # Paths that only look allowed: a dot-segment and a version prefix do not open another section.
    ("GET", "/v1.41/containers/{id}/json/../../../info"),
    ("GET", "/v1.41/../info"),
    ("GET", "/v1.41/containers/json/../../images/json"),
]


def request(client, address, method, path):
    """The HTTP status the proxy at address (host:port) answers client's request with (0: none)."""
    host, port = address.rsplit(":", 1)
    script = (
        "exec 3<>/dev/tcp/%s/%s && printf '%%s\\r\\nHost: docker\\r\\nContent-Length: 0\\r\\n\\r\\n' %s >&3 "
        "&& head -n 1 <&3" % (host, port, shlex.quote("%s %s HTTP/1.0" % (method, path))))
    result = docker("exec", client, "bash", "-c", script, check=False, timeout=30)
    parts = result.stdout.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def forbidden(client, address, container):
    """(method, path, status) of every FORBIDDEN request the proxy did not answer 403."""
    cid = inspect(container)["Id"]
    wrong = []
    for method, path in FORBIDDEN:
        path = path.replace("{id}", cid)
        status = request(client, address, method, path)
        if status != 403:
            wrong.append((method, path, status))
    return wrong


def state_of(name):
    return docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
