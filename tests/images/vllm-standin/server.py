# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for vLLM's OpenAI-compatible server (vllm/vllm-openai).

Accepts the real image's command-line arguments (--model, --served-model-name, --port,
--api-key, ...) so a compose file written for vLLM runs it unchanged. Answers are
deterministic: they quote the last user message, which lets tests assert on them.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import time
import uuid
import zlib

from standin import App, HTTPError, Response, json_response, sse_response, text_response

VERSION = "0.11.0-standin"


def error_body(status: int, message: str) -> dict:
    kinds = {400: "BadRequestError", 401: "Unauthorized", 404: "NotFoundError"}
    return {"object": "error", "message": message, "type": kinds.get(status, "InternalServerError"),
            "param": None, "code": status}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--model", default=os.environ.get("MODEL_PATH", "standin/model"))
    parser.add_argument("--served-model-name", nargs="*", default=None)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY"))
    parser.add_argument("--max-model-len", type=int, default=4096)
    args, _unknown = parser.parse_known_args()
    return args


ARGS = parse_args()
MODEL = (ARGS.served_model_name or [None])[0] or os.environ.get("MODEL_NAME") or ARGS.model
CREATED = int(time.time())

app = App("vllm", error_body)


def authorize(request) -> None:
    """Like vLLM with --api-key (or VLLM_API_KEY): /v1 needs ``Authorization: Bearer <key>``."""
    presented = request.headers.get("Authorization", "").encode()
    if ARGS.api_key and not hmac.compare_digest(presented, f"Bearer {ARGS.api_key}".encode()):
        raise HTTPError(401, "Unauthorized")


def check_model(body: dict) -> None:
    requested = body.get("model")
    if requested not in (None, MODEL):
        raise HTTPError(404, f"The model `{requested}` does not exist.")


def words(text: str) -> list[str]:
    return text.split()


def message_text(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # multimodal form: [{"type": "text", "text": ...}, ...]
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def completion_text(prompt: str, limit: int | None) -> tuple[list[str], str]:
    reply = words(f"Stand-in answer from {MODEL}: {prompt}".strip())
    if limit is not None and limit < len(reply):
        return reply[:limit], "length"
    return reply, "stop"


def max_tokens(body: dict) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return None
    if not isinstance(value, int) or value < 1:
        raise HTTPError(400, "max_tokens must be at least 1")
    return value


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens,
            "completion_tokens": completion_tokens, "prompt_tokens_details": None}


@app.route("GET", "/health")
def health(_request) -> Response:
    return Response(200)


@app.route("GET", "/ping")
def ping(_request) -> Response:
    return Response(200)


@app.route("GET", "/version")
def version(_request) -> Response:
    return json_response({"version": VERSION})


@app.route("GET", "/metrics")
def metrics(_request) -> Response:
    return text_response(f'vllm:num_requests_running{{model_name="{MODEL}"}} 0.0\n')


@app.route("GET", "/v1/models")
def models(request) -> Response:
    authorize(request)
    return json_response({"object": "list", "data": [{
        "id": MODEL, "object": "model", "created": CREATED, "owned_by": "vllm", "root": ARGS.model,
        "parent": None, "max_model_len": ARGS.max_model_len,
        "permission": [{
            "id": f"modelperm-{uuid.uuid4().hex}", "object": "model_permission", "created": CREATED,
            "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
            "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
            "organization": "*", "group": None, "is_blocking": False,
        }],
    }]})


@app.route("POST", "/v1/chat/completions")
def chat_completions(request) -> Response:
    authorize(request)
    body = request.json()
    check_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise HTTPError(400, "messages must be a non-empty list")
    prompt_tokens = sum(len(words(message_text(m))) for m in messages if isinstance(m, dict))
    last_user = next((message_text(m) for m in reversed(messages)
                      if isinstance(m, dict) and m.get("role") == "user"), "")
    reply, finish = completion_text(last_user, max_tokens(body))
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    if not body.get("stream"):
        return json_response({
            "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": " ".join(reply), "refusal": None,
                            "annotations": None, "audio": None, "function_call": None,
                            "tool_calls": [], "reasoning_content": None},
                "logprobs": None, "finish_reason": finish, "stop_reason": None,
            }],
            "service_tier": None, "system_fingerprint": None,
            "usage": usage(prompt_tokens, len(reply)), "prompt_logprobs": None,
        })

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict, finish_reason=None, **extra) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        if finish_reason is not None:
            choice["stop_reason"] = None
        return json.dumps({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                           "model": MODEL, "choices": [choice], **extra})

    def events():
        yield chunk({"role": "assistant", "content": ""})
        for position, word in enumerate(reply):
            yield chunk({"content": word if position == 0 else f" {word}"})
        yield chunk({"content": ""}, finish)
        if include_usage:
            yield json.dumps({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                              "model": MODEL, "choices": [], "usage": usage(prompt_tokens, len(reply))})
        yield "[DONE]"

    return sse_response(events())


@app.route("POST", "/v1/completions")
def completions(request) -> Response:
    authorize(request)
    body = request.json()
    check_model(body)
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(str(p) for p in prompt)
    if not isinstance(prompt, str):
        raise HTTPError(400, "prompt must be a string or a list of strings")
    reply, finish = completion_text(prompt, max_tokens(body))
    return json_response({
        "id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "text": " ".join(reply), "logprobs": None, "finish_reason": finish,
                     "stop_reason": None, "prompt_logprobs": None}],
        "usage": usage(len(words(prompt)), len(reply)),
    })


# vLLM's API key guards /v1 only: these answer anyone who reaches the server (the side doors that
# keep vLLM off every network but its stack's and the one it shares with Traefik).
@app.route("POST", "/tokenize")
def tokenize(request) -> Response:
    body = request.json()
    check_model(body)
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise HTTPError(400, "prompt must be a string")
    tokens = [zlib.crc32(w.encode()) % 32000 for w in words(prompt)]
    return json_response({"count": len(tokens), "max_model_len": ARGS.max_model_len, "tokens": tokens,
                          "token_strs": None})


@app.route("POST", "/detokenize")
def detokenize(request) -> Response:
    body = request.json()
    check_model(body)
    return json_response({"prompt": " ".join("t%d" % t for t in body.get("tokens") or [])})


if __name__ == "__main__":
    print(f"vllm: serving {MODEL}; /v1 {'needs the API key' if ARGS.api_key else 'is open (no API key)'}", flush=True)
    app.serve(ARGS.port, ARGS.host)
