# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A registry on 127.0.0.1 that the Docker engine pulls from for real, since no registry on the
network answers here: the read side of the Distribution API (``/v2/``, manifests and blobs) over
plain HTTP (the engine treats 127.0.0.0/8 as insecure), serving one-layer images made in memory.

``Registry(["ztest-images/a:1"])`` serves those names; ``registry.reference("ztest-images/a:1")``
is what to pull (``127.0.0.1:<port>/ztest-images/a:1``). ``delay`` slows every blob answer and
``most_in_flight`` counts how many images had one under way at once, to see pulls overlap. Runs in daemon threads; ``stop()`` ends it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import platform
import re
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from health_servers import free_port  # pylint: disable=import-error

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_image(name):
    """(manifest bytes, {digest: blob}) of an image whose one layer holds /ztest-image (its name)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        content = name.encode()
        info = tarfile.TarInfo("ztest-image")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps({
        "architecture": ARCHITECTURES.get(platform.machine(), platform.machine()), "os": "linux",
        "config": {"Cmd": ["/ztest-image"], "Labels": {"ztest.image": name}},
        "rootfs": {"type": "layers", "diff_ids": [_digest(layer_tar)]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                   "digest": _digest(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                    "digest": _digest(layer)}],
    }).encode()
    return manifest, {_digest(config): config, _digest(layer): layer}


class Registry(object):

    def __init__(self, names, delay=0.0):
        self.delay = delay
        self.manifests = {}
        self.blobs = {}
        self.requests = []
        # The most repositories with a blob answer under way at once: pulls of different images
        # that overlap (one image's own blobs may come at once anyway).
        self.most_in_flight = 0
        self._in_flight = []
        self._lock = threading.Lock()
        for name in names:
            repository, tag = name.rsplit(":", 1)
            manifest, blobs = make_image(name)
            self.manifests[(repository, tag)] = manifest
            self.blobs.update(blobs)
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reference(self, name):
        return "127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        registry = self
        route = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", content_type="application/json", digest=None):
                self.send_response(status)
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if digest:
                    self.send_header("Docker-Content-Digest", digest)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _unknown(self, code):
                self._send(404, json.dumps({"errors": [{"code": code, "message": code.lower().replace("_", " ")}]}).encode())

            def do_GET(self):  # noqa: N802 pylint: disable=invalid-name
                registry.requests.append((self.command, self.path))
                if self.path.rstrip("/") == "/v2":
                    return self._send(200, b"{}")
                match = route.match(self.path)
                if not match:
                    return self._unknown("NAME_UNKNOWN")
                if match.group("kind") == "manifests":
                    manifest = registry.manifests.get((match.group("name"), match.group("ref")))
                    if manifest is None and match.group("ref").startswith("sha256:"):
                        manifest = next((m for m in registry.manifests.values() if _digest(m) == match.group("ref")), None)
                    if manifest is None:
                        return self._unknown("MANIFEST_UNKNOWN")
                    return self._send(200, manifest, MANIFEST_TYPE, _digest(manifest))
                blob = registry.blobs.get(match.group("ref"))
                if blob is None:
                    return self._unknown("BLOB_UNKNOWN")
                with registry._lock:
                    registry._in_flight.append(match.group("name"))
                    registry.most_in_flight = max(registry.most_in_flight, len(set(registry._in_flight)))
                try:
                    time.sleep(registry.delay)
                    return self._send(200, blob, "application/octet-stream", match.group("ref"))
                finally:
                    with registry._lock:
                        registry._in_flight.remove(match.group("name"))

            do_HEAD = do_GET  # noqa: N815

        return Handler
