# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for Open WebUI: its health endpoints and a page that names the backends it was
configured with, so routing and wiring tests can see them.

/health checks the wiring the real Open WebUI needs at its first request: it is 200 only when
every configured peer answers with the configured credentials, and 503 naming each one that
does not. The peers, from Open WebUI's own variables:

- vllm: GET <OPENAI_API_BASE_URL>/models with ``Authorization: Bearer <OPENAI_API_KEY>``;
- qdrant (VECTOR_DB=qdrant): GET <QDRANT_URI>/collections with header ``api-key: <QDRANT_API_KEY>``;
- database (DATABASE_URL): a PostgreSQL login with the URL's password and ``SELECT 1``;
- embeddings (RAG_EMBEDDING_ENGINE=openai): POST <RAG_OPENAI_API_BASE_URL>/embeddings with
  RAG_EMBEDDING_MODEL and ``Authorization: Bearer <RAG_OPENAI_API_KEY or OPENAI_API_KEY>``.

Sign-up and sign-in (POST /api/v1/auths/signup, /signin) follow Open WebUI's rules: the first
account is admin, ENABLE_SIGNUP=false refuses sign-ups once an account exists, and
WEBUI_ADMIN_EMAIL / WEBUI_ADMIN_PASSWORD (/ WEBUI_ADMIN_NAME) create the admin at start.

The session key is WEBUI_SECRET_KEY, or the content of the file WEBUI_SECRET_KEY_FILE names (the
real image's start.sh reads it so, as root, the user the real image runs as); a file it cannot
read stops the start. Sign-in tokens are signed with it.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from standin import App, html_response, json_response

VERSION = "0.6.34"
OPENAI_BASE = os.environ.get("OPENAI_API_BASE_URL", os.environ.get("OPENAI_API_BASE_URLS", ""))
# Each probe must finish within the healthcheck's own timeout (4s in the catalog's default).
PROBE_TIMEOUT = float(os.environ.get("STANDIN_PROBE_TIMEOUT", "2"))

app = App("open-webui", lambda _status, message: {"detail": message})


def secret_key() -> str:
    key_file = os.environ.get("WEBUI_SECRET_KEY_FILE")
    if os.environ.get("WEBUI_SECRET_KEY") or not key_file:
        return os.environ.get("WEBUI_SECRET_KEY", "")
    with open(key_file, encoding="utf-8") as handle:
        return handle.read().strip()


SECRET_KEY = secret_key()


def http_probe(method: str, url: str, headers: dict, body: dict | None = None) -> str | None:
    """None when url answers 2xx, else why not."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers, **(
        {"Content-Type": "application/json"} if data else {})))
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            response.read()
        return None
    except urllib.error.HTTPError as exc:
        return f"{method} {url}: HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{method} {url}: {exc}"


def check_vllm() -> str | None:
    key = os.environ.get("OPENAI_API_KEY", "")
    return http_probe("GET", OPENAI_BASE.split(";")[0].rstrip("/") + "/models", {"Authorization": f"Bearer {key}"})


def check_qdrant() -> str | None:
    uri = os.environ.get("QDRANT_URI", "")
    if not uri:
        return "VECTOR_DB is qdrant, but QDRANT_URI is not set"
    return http_probe("GET", uri.rstrip("/") + "/collections", {"api-key": os.environ.get("QDRANT_API_KEY", "")})


def check_database() -> str | None:
    import psycopg2  # pylint: disable=import-outside-toplevel  # only where a database is wired

    try:
        connection = psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=max(1, int(PROBE_TIMEOUT)))
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            connection.close()
        return None
    except psycopg2.Error as exc:
        return " ".join(str(exc).split())


def check_embeddings() -> str | None:
    base = os.environ.get("RAG_OPENAI_API_BASE_URL", "")
    if not base:
        return "RAG_EMBEDDING_ENGINE is openai, but RAG_OPENAI_API_BASE_URL is not set"
    key = os.environ.get("RAG_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY", "")
    body = {"input": ["health"], "model": os.environ.get("RAG_EMBEDDING_MODEL", "")}
    return http_probe("POST", base.rstrip("/") + "/embeddings", {"Authorization": f"Bearer {key}"}, body)


def wired_peers() -> dict:
    """The peers this configuration uses; an unconfigured one is Open WebUI's built-in default."""
    peers = {}
    if OPENAI_BASE:
        peers["vllm"] = check_vllm
    if os.environ.get("VECTOR_DB") == "qdrant":
        peers["qdrant"] = check_qdrant
    if os.environ.get("DATABASE_URL"):
        peers["database"] = check_database
    if os.environ.get("RAG_EMBEDDING_ENGINE") == "openai":
        peers["embeddings"] = check_embeddings
    return peers


@app.route("GET", "/health")
def health(_request):
    peers = wired_peers()
    with ThreadPoolExecutor(max_workers=max(1, len(peers))) as pool:
        results = dict(zip(peers, pool.map(lambda check: check(), peers.values())))
    failed = {name: reason for name, reason in results.items() if reason}
    if failed:
        return json_response({"status": False, "failed": failed, "checked": sorted(results)}, 503)
    return json_response({"status": True, "checked": sorted(results)})


@app.route("GET", "/health/db")
def health_db(_request):
    reason = check_database() if os.environ.get("DATABASE_URL") else None
    if reason:
        return json_response({"status": False, "failed": {"database": reason}}, 503)
    return json_response({"status": True})


@app.route("GET", "/api/version")
def version(_request):
    return json_response({"version": VERSION})


@app.route("GET", "/api/config")
def config(_request):
    return json_response({"status": True, "name": os.environ.get("WEBUI_NAME", "Open WebUI"),
                          "version": VERSION, "features": {"auth": bool(SECRET_KEY)}})


# Accounts as Open WebUI's /api/v1/auths keeps them (in memory here: the stand-in starts anew).
# With WEBUI_ADMIN_EMAIL and WEBUI_ADMIN_PASSWORD the admin exists from the start, so with
# ENABLE_SIGNUP false nobody can sign up, least of all as the first user, who would be admin.
ACCESS_PROHIBITED = "You do not have permission to access this resource. Please contact your administrator for assistance."
INVALID_CRED = "The email or password provided is incorrect. Please check for typos and try logging in again."
_users = {}
_users_lock = threading.Lock()


def _hash(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100000)


def _add_user(name, email, password, role):
    salt = secrets.token_bytes(16)
    _users[email.lower()] = {"name": name, "email": email, "role": role, "salt": salt, "hash": _hash(password, salt),
                             "id": secrets.token_hex(8)}
    return _users[email.lower()]


def _truthy(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _session(user):
    nonce = secrets.token_urlsafe(12)
    signature = hmac.new(SECRET_KEY.encode(), ("%s.%s" % (user["id"], nonce)).encode(), hashlib.sha256).hexdigest()
    return json_response({"token": "%s.%s.%s" % (user["id"], nonce, signature), "token_type": "Bearer", "id": user["id"],
                          "email": user["email"], "name": user["name"], "role": user["role"]})


if os.environ.get("WEBUI_ADMIN_EMAIL") and os.environ.get("WEBUI_ADMIN_PASSWORD"):
    _add_user(os.environ.get("WEBUI_ADMIN_NAME", "Admin"), os.environ["WEBUI_ADMIN_EMAIL"],
              os.environ["WEBUI_ADMIN_PASSWORD"], "admin")


@app.route("POST", "/api/v1/auths/signup")
def signup(request):
    form = request.json()
    with _users_lock:
        if not _truthy("ENABLE_SIGNUP", "true") and _users:
            return json_response({"detail": ACCESS_PROHIBITED}, 403)
        if str(form.get("email", "")).lower() in _users:
            return json_response({"detail": "Uh-oh! This email is already registered."}, 400)
        role = "admin" if not _users else os.environ.get("DEFAULT_USER_ROLE", "pending")
        user = _add_user(str(form.get("name", "")), str(form.get("email", "")), str(form.get("password", "")), role)
    return _session(user)


@app.route("POST", "/api/v1/auths/signin")
def signin(request):
    form = request.json()
    user = _users.get(str(form.get("email", "")).lower())
    if not user or not hmac.compare_digest(user["hash"], _hash(str(form.get("password", "")), user["salt"])):
        return json_response({"detail": INVALID_CRED}, 400)
    return _session(user)


@app.route("GET", "/")
def index(_request):
    name = html.escape(os.environ.get("WEBUI_NAME", "Open WebUI"))
    return html_response(
        f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{name}</title></head><body>"
        f"<h1 id=\"name\">{name}</h1>"
        f"<p id=\"openai-base\">{html.escape(OPENAI_BASE)}</p>"
        "</body></html>"
    )


if __name__ == "__main__":
    app.serve(int(os.environ.get("PORT", "8080")), os.environ.get("HOST", "0.0.0.0"))
