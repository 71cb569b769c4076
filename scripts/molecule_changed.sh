#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the Molecule scenarios that test what changed since the merge base with the main branch
# (committed, staged, unstaged and untracked files); scripts/molecule_changed.py chooses them and
# says why. Nothing to test: says so and exits 0.
# Environment: BASE   branch to compare with (default main)
#              ORDER  scenario run order (the Makefile passes its SCENARIOS)
#              MAKE   make command (the Makefile passes its own)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(python3 scripts/molecule_changed.py --base "${BASE:-main}" --order "${ORDER:-}")"
printf '%s\n' "$out" | sed '$d'
scenarios="$(printf '%s\n' "$out" | tail -n 1 | sed 's/^SCENARIOS=//')"
if [ -z "$scenarios" ]; then
    echo "no Molecule scenario to run"
    exit 0
fi
echo "=== make molecule SCENARIOS=\"$scenarios\""
exec "${MAKE:-make}" molecule SCENARIOS="$scenarios"
