#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What a converge costs beside what Compose alone costs, side by side in one run on the deployed
# local platform (`make site` first). Prints a Markdown table and the ratios of the targets:
#   - idempotent site.yml          <= 3x the floor (no-op playbook + direct `docker compose up -d`
#                                     of the same rendered projects, one after another)
#   - site.yml --tags auth         <= 1/4 of the idempotent site.yml; beside it, five module starts
#                                     (benchmarks/playbooks/module_starts.yml), the least a tag run costs
#   - cold site.yml                <= 1.5x raw `docker compose up -d --wait` of the same projects,
#                                     one after another, from nothing
# Cold means every container of the platform's compose projects removed (`docker compose down`:
# volumes, project files and dev servers kept). The raw cold run goes first, so the platform is
# left as site.yml deploys it.
#   bash benchmarks/converge.sh [RUNS]        (make bench-converge; RUNS for the warm rows, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
VENV="${VENV:-.venv}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
export ANSIBLE_CONFIG="$PWD/ansible.cfg" PATH="$VENV/bin:$PATH"
INV="${INVENTORY:-inventory/local}"
LOGS="${BENCH_LOGS:-/tmp/bench-converge}"
mkdir -p "$LOGS"

# The rendered projects in layer order, as "name<TAB>directory<TAB>compose file" lines: names and
# directories from the catalog resolved as a run resolves it (the fact platform_catalog of
# playbooks/validate.yml: every unit's project_dir, Traefik's included).
expression="{% for unit in (platform_services | korczewski.platform.catalog_resolve(platform_domain,"
expression+=" platform_network | default(none), state_dir=platform_state_dir)).units | selectattr('runs_containers') %}"
expression+="{{ unit.project }}={{ unit.project_dir }} {% endfor %}"
projects=$(ansible -i "$INV" localhost -o -m ansible.builtin.debug -a "{\"msg\": \"$expression\"}" 2>/dev/null \
  | sed -n 's/.*"msg": *"\([^"]*\)".*/\1/p')
list=""
for pair in $projects; do
  name=${pair%%=*} dir=${pair#*=}
  file=""
  for candidate in compose.yml compose.yaml; do
    if [ -f "$dir/$candidate" ]; then file="$dir/$candidate"; break; fi
  done
  [ -n "$file" ] || { echo "no compose file for $name in $dir: deploy the platform first (make site)" >&2; exit 1; }
  list+="$name"$'\t'"$dir"$'\t'"$file"$'\n'
done
[ -n "$list" ] || { echo "no compose project in the catalog of $INV" >&2; exit 1; }
count=$(printf '%s' "$list" | grep -c .)

compose_each() {  # up arguments...: every project, one after another, in layer order
  while IFS=$'\t' read -r name dir file; do
    [ -n "$name" ] || continue
    docker compose --project-name "$name" --project-directory "$dir" --file "$file" up "$@" --remove-orphans
  done <<< "$list"
}
down_all() {  # containers and project networks only; volumes, files and dev servers stay
  printf '%s' "$list" | tac | while IFS=$'\t' read -r name dir file; do
    [ -n "$name" ] || continue
    docker compose --project-name "$name" down --timeout 30
  done
}

# shellcheck source=benchmarks/lib.sh
source benchmarks/lib.sh
changed() { awk '/unreachable=/ {for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) {split($i, kv, "="); s += kv[2]}} END {print s + 0}' "$LOGS/$1.log"; }

noop=$(measure noop "$RUNS" ansible-playbook -i "$INV" benchmarks/playbooks/noop.yml)
starts=$(measure module-starts "$RUNS" ansible-playbook -i "$INV" benchmarks/playbooks/module_starts.yml)
direct=$(measure direct "$RUNS" compose_each --detach)
site=$(measure site "$RUNS" ansible-playbook -i "$INV" site.yml)
site_changed=$(changed site)
auth=$(measure auth "$RUNS" ansible-playbook -i "$INV" site.yml --tags auth)
down_all > "$LOGS/down-raw.log" 2>&1
raw_cold=$(measure raw-cold 1 compose_each --detach --wait)
down_all > "$LOGS/down-site.log" 2>&1
site_cold=$(measure site-cold 1 ansible-playbook -i "$INV" site.yml)

floor=$(calc "$noop + $direct")
verdict() { awk "BEGIN {print ($1) ? \"within\" : \"OVER\"}"; }
printf '\n| measurement (%s projects; warm rows: median of %s) | seconds |\n|---|---|\n' "$count" "$RUNS"
printf '| no-op playbook (ansible start-up) | %.2f |\n' "$noop"
printf '| direct `docker compose up -d` of the same projects, one after another | %.2f |\n' "$direct"
printf '| floor = no-op + direct | %.2f |\n' "$floor"
printf '| five module starts (`ansible.builtin.ping`, the smallest module) with start-up | %.2f |\n' "$starts"
printf '| idempotent `site.yml` (changed=%s) | %.2f |\n' "$site_changed" "$site"
printf '| `site.yml --tags auth` | %.2f |\n' "$auth"
printf '| raw `docker compose up -d --wait`, one after another, containers removed | %.2f |\n' "$raw_cold"
printf '| cold `site.yml`, containers removed (volumes and files kept) | %.2f |\n' "$site_cold"
printf '\n- idempotent site.yml / floor: %.1fx (target <= 3x: %s)\n' "$(calc "$site / $floor")" "$(verdict "$site <= 3 * $floor")"
printf -- '- --tags auth / idempotent site.yml: %.2f (target <= 0.25: %s)\n' "$(calc "$auth / $site")" "$(verdict "$auth <= 0.25 * $site")"
printf -- '  five module starts with start-up, the least any tag run does: %.2f s = %.2f of this site.yml\n' \
  "$starts" "$(calc "$starts / $site")"
# Both warm targets at once leave a tag run at most 1/4 of 3x the floor.
printf -- '  both warm targets together allow a tag run at most 0.75 x floor = %.2f s (%s the five module starts)\n' \
  "$(calc "0.75 * $floor")" "$(awk "BEGIN {print (0.75 * $floor >= $starts) ? \"at least\" : \"less than\"}")"
printf -- '- cold site.yml / raw compose: %.2fx (target <= 1.5x: %s)\n' "$(calc "$site_cold / $raw_cold")" "$(verdict "$site_cold <= 1.5 * $raw_cold")"
[ "$site_changed" = 0 ] || printf -- '- NOTE: the idempotent site.yml reported changed=%s (see %s/site.log)\n' "$site_changed" "$LOGS"
