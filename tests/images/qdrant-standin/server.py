# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for Qdrant's HTTP API: the probes the platform uses plus an in-memory
collection registry, so an ingest job can create and list its collection.

With QDRANT__SERVICE__API_KEY set, like Qdrant every request needs the key in the ``api-key``
header (or as ``Authorization: Bearer``), except the root and the health probes; a wrong or
missing key gets 401."""

from __future__ import annotations

import hmac
import os
import threading
import time

from standin import App, HTTPError, json_response, text_response

VERSION = "1.15.5"
COLLECTIONS: dict[str, dict] = {}
LOCK = threading.Lock()
API_KEY = os.environ.get("QDRANT__SERVICE__API_KEY") or None
# Qdrant answers these without the key: load balancers and orchestrators probe them.
OPEN_PATHS = ("/", "/healthz", "/livez", "/readyz")


def error_body(_status: int, message: str) -> dict:
    return {"status": {"error": message}, "time": 0.0}


def presented_key(request) -> str:
    key = request.headers.get("api-key")
    if key is None:
        scheme, dummy, token = request.headers.get("Authorization", "").partition(" ")
        key = token if scheme.lower() == "bearer" else ""
    return key


def authorize(request) -> None:
    if API_KEY and request.path not in OPEN_PATHS and not hmac.compare_digest(presented_key(request).encode(), API_KEY.encode()):
        raise HTTPError(401, "Must provide an API key or an Authorization bearer token")


class Qdrant(App):
    def dispatch(self, request):
        try:
            authorize(request)
        except HTTPError as exc:
            return json_response(error_body(exc.status, exc.message), exc.status)
        return super().dispatch(request)


app = Qdrant("qdrant", error_body)


def result(payload, started: float):
    return json_response({"result": payload, "status": "ok", "time": time.perf_counter() - started})


@app.route("GET", "/")
def root(_request):
    return json_response({"title": "qdrant - vector search engine", "version": VERSION, "commit": "standin"})


@app.route("GET", "/healthz")
def healthz(_request):
    return text_response("healthz check passed")


@app.route("GET", "/livez")
def livez(_request):
    return text_response("healthz check passed")


@app.route("GET", "/readyz")
def readyz(_request):
    return text_response("all shards are ready")


@app.route("GET", "/collections")
def list_collections(_request):
    started = time.perf_counter()
    with LOCK:
        names = sorted(COLLECTIONS)
    return result({"collections": [{"name": name} for name in names]}, started)


@app.route("PUT", "/collections/(?P<name>[^/]+)")
def create_collection(request):
    started = time.perf_counter()
    body = request.json()
    with LOCK:
        if request.params["name"] in COLLECTIONS:
            raise HTTPError(409, f"Wrong input: Collection `{request.params['name']}` already exists!")
        COLLECTIONS[request.params["name"]] = {"vectors": body.get("vectors", {})}
    return result(True, started)


@app.route("GET", "/collections/(?P<name>[^/]+)")
def get_collection(request):
    started = time.perf_counter()
    with LOCK:
        collection = COLLECTIONS.get(request.params["name"])
    if collection is None:
        raise HTTPError(404, f"Not found: Collection `{request.params['name']}` doesn't exist!")
    return result({"status": "green", "optimizer_status": "ok", "points_count": 0,
                   "indexed_vectors_count": 0, "segments_count": 1,
                   "config": {"params": {"vectors": collection["vectors"]}}}, started)


@app.route("GET", "/collections/(?P<name>[^/]+)/exists")
def collection_exists(request):
    started = time.perf_counter()
    with LOCK:
        exists = request.params["name"] in COLLECTIONS
    return result({"exists": exists}, started)


@app.route("DELETE", "/collections/(?P<name>[^/]+)")
def delete_collection(request):
    started = time.perf_counter()
    with LOCK:
        existed = COLLECTIONS.pop(request.params["name"], None) is not None
    return result(existed, started)


if __name__ == "__main__":
    app.serve(int(os.environ.get("QDRANT__SERVICE__HTTP_PORT", "6333")),
              os.environ.get("QDRANT__SERVICE__HOST", "0.0.0.0"))
