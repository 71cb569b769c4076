#!/usr/bin/env bash
# Health check and discovery, side by side with their baselines, in one run on the deployed local
# platform (`make site` first). Prints a Markdown table of the median of RUNS runs each.
#   bash benchmarks/health_check.sh [RUNS]        (make bench-health)
# Two extra endpoints answer after 1 s (local slow servers on 127.0.0.1:47901-47902), as in the
# issue's target: health_check.yml <= ansible start-up + slowest probe + 0.5 s, and >= 3x faster
# than the same probes as an ansible.builtin.uri loop.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
VENV="${VENV:-.venv}"
export ANSIBLE_CONFIG="$PWD/ansible.cfg" PATH="$PWD/$VENV/bin:$PATH"
INV="${INVENTORY:-inventory/local}"

python3 - <<'PY' &
import http.server, threading, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.0)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
servers = [http.server.ThreadingHTTPServer(("127.0.0.1", p), Slow) for p in (47901, 47902)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
time.sleep(3600)
PY
slow_pid=$!
# The uri baseline needs the production host names to resolve (Python does not resolve
# *.localhost); this run maps them to loopback and removes its lines again on exit.
marker="# korczewski-platform benchmark"
hosts=$(ansible -i "$INV" localhost -o -m ansible.builtin.debug -a "msg={{ platform_services |
  korczewski.platform.health_targets(platform_domain) | selectattr('host', 'defined') | map(attribute='host') | unique | join(' ') }}" \
  | sed -n 's/.*"msg": "\(.*\)".*/\1/p')
echo "127.0.0.1 $hosts $marker" >> /etc/hosts
trap 'kill $slow_pid 2>/dev/null || true; sed -i "/$marker/d" /etc/hosts' EXIT
extra='{"health_extra_endpoints": [
  {"name": "slow-1", "kind": "http", "url": "http://127.0.0.1:47901/slow"},
  {"name": "slow-2", "kind": "http", "url": "http://127.0.0.1:47902/slow"}]}'

LOGS="${BENCH_LOGS:-/tmp/bench-health}"
mkdir -p "$LOGS"
# shellcheck source=benchmarks/lib.sh
source benchmarks/lib.sh

noop=$(measure noop "$RUNS" ansible-playbook -i "$INV" benchmarks/playbooks/noop.yml)
health=$(measure health "$RUNS" ansible-playbook -i "$INV" playbooks/health_check.yml -e "$extra")
uri=$(measure uri "$RUNS" ansible-playbook -i "$INV" benchmarks/playbooks/health_uri_loop.yml -e "$extra")
discovery=$(measure discovery "$RUNS" ansible-playbook -i "$INV" benchmarks/playbooks/discovery.yml)

budget=$(calc "$noop + 1.5")
printf '\n| measurement (median of %s) | seconds |\n|---|---|\n' "$RUNS"
printf '| no-op playbook (ansible start-up) | %.2f |\n' "$noop"
printf '| health_check.yml, every endpoint + 2 slow (1 s) | %.2f |\n' "$health"
printf '| same probes as an ansible.builtin.uri loop | %.2f |\n' "$uri"
printf '| discovery playbook (one service_environment_info call) | %.2f |\n' "$discovery"
printf '\n- health_check.yml vs budget (no-op + slowest probe 1 s + 0.5 s = %.2f s): %s\n' "$budget" \
  "$(awk "BEGIN {print ($health <= $budget) ? \"within\" : \"OVER\"}")"
printf -- '- uri loop / health_check.yml: %.1fx (target >= 3x)\n' "$(calc "$uri / $health")"
printf -- '- discovery on top of a no-op playbook: %.2f s (target < 1 s)\n' "$(calc "$discovery - $noop")"
