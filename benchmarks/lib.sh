# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the benchmarks (sourced): timing and arithmetic in awk, which every machine has.
# The caller sets LOGS, the directory for each row's log.

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

measure() {  # label runs command...: median seconds; the last run's output stays in $LOGS/<label>.log
  local label="$1" runs="$2"; shift 2
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N)
    "$@" > "$LOGS/$label.log" 2>&1 || { echo "FAILED: $label (see $LOGS/$label.log)" >&2; exit 1; }
    t1=$(date +%s.%N)
    times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  printf '%s\n' "${times[@]}" | median
}

calc() { awk "BEGIN {print $*}"; }
