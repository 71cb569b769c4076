# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the Infinity embedding server (michaelf34/infinity).

Accepts the real image's arguments (v2 --model-id ... --port ... --url-prefix ...).
Vectors are derived from a hash of the input, so equal texts give equal, unit-length
vectors and tests can compare them.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import struct
import time
import uuid

from standin import App, HTTPError, json_response


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--model-id", action="append", default=None)
    parser.add_argument("--served-model-name", action="append", default=None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("INFINITY_PORT", "7997")))
    parser.add_argument("--host", default=os.environ.get("INFINITY_HOST", "0.0.0.0"))
    parser.add_argument("--url-prefix", default=os.environ.get("INFINITY_URL_PREFIX", ""))
    args, _unknown = parser.parse_known_args()
    return args


ARGS = parse_args()
MODELS = (ARGS.served_model_name or ARGS.model_id
          or os.environ.get("INFINITY_MODEL_ID", "BAAI/bge-small-en-v1.5").split(";"))
DIMENSIONS = int(os.environ.get("EMBEDDING_DIMENSIONS", "384"))
PREFIX = ARGS.url_prefix.rstrip("/")
CREATED = int(time.time())

app = App("infinity", lambda status, message: {"error": {"message": message, "type": "standin", "code": status}})


def embed(text: str) -> list[float]:
    raw = b""
    counter = 0
    while len(raw) < DIMENSIONS * 4:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [v / 2**31 - 1.0 for v in struct.unpack(f"<{DIMENSIONS}I", raw[: DIMENSIONS * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


@app.route("GET", f"{PREFIX}/health")
def health(_request):
    return json_response({"unix": time.time()})


@app.route("GET", f"{PREFIX}/models")
def models(_request):
    return json_response({"data": [{
        "id": model, "stats": {"queue_fraction": 0.0, "queue_absolute": 0, "results_pending": 0,
                               "batch_size": 32},
        "object": "model", "owned_by": "infinity", "created": CREATED, "backend": "torch",
        "capabilities": ["embed"],
    } for model in MODELS], "object": "list"})


@app.route("POST", f"{PREFIX}/embeddings")
def embeddings(request):
    body = request.json()
    model = body.get("model", MODELS[0])
    if model not in MODELS:
        raise HTTPError(400, f"Invalid model: {model}; available: {', '.join(MODELS)}")
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise HTTPError(422, "input must be a string or a non-empty list of strings")
    tokens = sum(len(t.split()) for t in texts)
    return json_response({
        "object": "list",
        "data": [{"object": "embedding", "embedding": embed(text), "index": i} for i, text in enumerate(texts)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "id": f"infinity-{uuid.uuid4()}",
        "created": int(time.time()),
    })


if __name__ == "__main__":
    app.serve(ARGS.port, ARGS.host)
