# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for Open WebUI: its health endpoints and a page that names the backends
it was configured with, so routing and wiring tests can see them."""

from __future__ import annotations

import html
import os

from standin import App, html_response, json_response

VERSION = "0.6.34"
OPENAI_BASE = os.environ.get("OPENAI_API_BASE_URL", os.environ.get("OPENAI_API_BASE_URLS", ""))

app = App("open-webui", lambda _status, message: {"detail": message})


@app.route("GET", "/health")
def health(_request):
    return json_response({"status": True})


@app.route("GET", "/health/db")
def health_db(_request):
    return json_response({"status": True})


@app.route("GET", "/api/version")
def version(_request):
    return json_response({"version": VERSION})


@app.route("GET", "/api/config")
def config(_request):
    return json_response({"status": True, "name": os.environ.get("WEBUI_NAME", "Open WebUI"),
                          "version": VERSION, "features": {"auth": False}})


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
