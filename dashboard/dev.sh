#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `npm run dev`: the dashboard as the development environment's local server (the catalog's
# dashboard.development: method npm, port 4242), on 127.0.0.1:$PORT, restarting on source changes.
# Its settings come from its environment (the dashboard role gives them to the dev server, the
# catalog as DASHBOARD_CATALOG_JSON) or, for a hand-started server, from the env file named by
# DASHBOARD_DEV_CONFIG; its venv from requirements.lock. No default file: the role wrote
# ~/.config/korczewski-dashboard/dev.env in earlier versions, and a stale one must not win.
set -eu
cd "$(dirname "$0")"
venv=${DASHBOARD_VENV:-.venv-dev}
if [ ! -x "$venv/bin/uvicorn" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.lock
fi
config=${DASHBOARD_DEV_CONFIG:-}
if [ -n "$config" ]; then
    set -a
    . "$config"
    set +a
fi
: "${DASHBOARD_AUDIT_LOG:=$HOME/.local/state/korczewski-dashboard/audit.jsonl}"
mkdir -p "$(dirname "$DASHBOARD_AUDIT_LOG")"
PYTHONPATH=$PWD/src
export PYTHONPATH DASHBOARD_AUDIT_LOG
exec "$venv/bin/python" -m korczewski_dashboard --host 127.0.0.1 --port "${PORT:-4242}" --reload
