#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The dashboard under load: /api/status for the local inventory's catalog plus 30 generated
# services, at 50 requests/s from hey for DURATION seconds while the poller runs (discovery
# every 2 s, health every 5 s, Docker events on, every probe result into the SQLite history), against the real engine. Prints p50/p95/p99,
# errors and the app's resident memory (peak of samples taken during the load) as Markdown.
# Targets: p95 < 50 ms, RSS < 80 MB.
#   bash benchmarks/dashboard.sh [DURATION]        (make bench-dashboard)
# Needs hey (the Debian package, installed when missing) and a venv with dashboard/requirements.lock (DASHBOARD_VENV,
# created when missing). The app listens on 127.0.0.1:47430 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
VENV="${VENV:-.venv}"
DASHBOARD_VENV="${DASHBOARD_VENV:-.venv-dashboard}"
INV="${INVENTORY:-inventory/local}"
PORT=47430
RATE=50
WORKERS=5
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# The load generator is Debian's hey: installed here when missing, as the test bed installs its tools.
if ! command -v hey >/dev/null; then
    bash scripts/apt_install.sh hey || { echo "cannot install hey (Debian package hey): install it and run again" >&2; exit 1; }
fi
if [ ! -x "$DASHBOARD_VENV/bin/uvicorn" ]; then
    python3 -m venv "$DASHBOARD_VENV"
    "$DASHBOARD_VENV/bin/pip" install --quiet -r dashboard/requirements.lock
fi
work=$(mktemp -d /tmp/bench-dashboard.XXXXXX)
app_pid=
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The platform's catalog as Ansible renders it, plus 30 services of the same shape as auth.
"$VENV/bin/ansible" all -i "$INV" -c local -m ansible.builtin.copy \
    -a "content={{ {'services': platform_services, 'domain': platform_domain, 'network': platform_network} | to_json }} dest=$work/platform.json" >/dev/null
python3 - "$work/platform.json" "$work/catalog.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for i in range(30):
    name = "bench-%02d" % i
    data["services"][name] = {"layer": "applications", "description": "generated for the benchmark", "environments": {
        "production": {"method": "compose", "hostname": name, "containers": [
            {"name": name, "image": "local/app-standin:1", "port": 8080, "health": "/health"}]},
        "development": {"method": "compose", "containers": [
            {"name": name + "-dev", "image": "local/app-standin:1", "port": 8080, "publish": [{"host": 47500 + i, "container": 8080}],
             "health": "/health"}]}}}
json.dump(data, open(sys.argv[2], "w"))
print("%d services" % len(data["services"]), file=sys.stderr)
PY
PASSWORD=bench-$RANDOM$RANDOM
echo "$PASSWORD" | PYTHONPATH=dashboard/src "$DASHBOARD_VENV/bin/python" -m korczewski_dashboard hash-password > "$work/hash"
python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > "$work/secret"

DASHBOARD_CATALOG="$work/catalog.json" DASHBOARD_PASSWORD_HASH_FILE="$work/hash" \
DASHBOARD_SESSION_SECRET_FILE="$work/secret" DASHBOARD_COOKIE_SECURE=0 DASHBOARD_DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}" \
DASHBOARD_HISTORY_DB="$work/history.sqlite3" DASHBOARD_DISCOVERY_INTERVAL=2 DASHBOARD_HEALTH_INTERVAL=5 DASHBOARD_HTTPS_PORT="${HTTPS_PORT:-18443}" DASHBOARD_VALIDATE_CERTS=0 \
DASHBOARD_STATE_DIR="${PLATFORM_STATE_DIR:-/var/lib/korczewski-platform/state}/npm" PYTHONPATH=dashboard/src \
    "$DASHBOARD_VENV/bin/python" -m korczewski_dashboard --host 127.0.0.1 --port "$PORT" > "$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$work/app.log" >&2; exit 1; }
curl -fs -o /dev/null -c "$work/cookies" --data-urlencode "username=admin" --data-urlencode "password=$PASSWORD" \
    "http://127.0.0.1:$PORT/login"
cookie=$(awk '$6 == "kd_session" {print $7}' "$work/cookies")
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
size=$(curl -fs -H "Cookie: kd_session=$cookie" "http://127.0.0.1:$PORT/api/status" | wc -c)
# Let at least one health round finish before the load.
sleep 6

rss_peak=0
( while kill -0 "$app_pid" 2>/dev/null; do awk '/^VmRSS/ {print $2}' "/proc/$app_pid/status"; sleep 0.5; done ) > "$work/rss" &
sampler=$!
hey -z "${DURATION}s" -c "$WORKERS" -q $((RATE / WORKERS)) -H "Cookie: kd_session=$cookie" -o csv \
    "http://127.0.0.1:$PORT/api/status" > "$work/hey.csv"
kill "$sampler" 2>/dev/null || true
rss_peak=$(sort -n "$work/rss" | tail -n 1)
discoveries=$(curl -fs -H "Cookie: kd_session=$cookie" "http://127.0.0.1:$PORT/api/status" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["services"]), d["discovery_elapsed"])')

python3 - "$work/hey.csv" "$rss_peak" "$size" "$DURATION" "$discoveries" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
lat = sorted(float(r["response-time"]) * 1000 for r in rows)
errors = sum(1 for r in rows if r["status-code"] != "200")
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100.0 * len(lat))) - 1)]
rss = int(sys.argv[2]) / 1024.0
services, discovery = sys.argv[5].split()
print("| measure | value | target |")
print("|---|---|---|")
print("| services in the catalog | %s | platform + 30 |" % services)
print("| requests (%s s at 50/s, 5 workers) | %d (%.1f/s), %d errors | |" % (sys.argv[4], len(lat), len(lat) / float(sys.argv[4]), errors))
print("| /api/status body | %d bytes | |" % int(sys.argv[3]))
print("| latency p50 / p95 / p99 | %.1f / %.1f / %.1f ms | p95 < 50 ms |" % (pct(50), pct(95), pct(99)))
print("| resident memory (peak) | %.1f MB | < 80 MB |" % rss)
print("| one discovery (last) | %.0f ms | |" % (float(discovery) * 1000))
ok = pct(95) < 50 and rss < 80 and errors == 0
print("\n%s" % ("targets met" if ok else "TARGETS MISSED"))
sys.exit(0 if ok else 1)
PY
