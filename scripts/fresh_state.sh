#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a command with the local inventory's state directory, credential store and dev projects
# directory in a fresh temporary directory (PLATFORM_STATE_DIR, PLATFORM_CREDENTIALS_DIR,
# PLATFORM_PROJECTS_DIR), so a test can never lean on what an earlier run left and never touches
# the user's own /var/lib/korczewski-platform or ~/.config/korczewski-platform. Images stay
# cached in the engine by their content hash. The directory is removed when the command
# succeeds and kept for inspection when it fails.
#
# Usage: scripts/fresh_state.sh COMMAND [ARG...]
set -euo pipefail

root=$(mktemp -d "${TMPDIR:-/tmp}/korczewski-platform-test.XXXXXX")
# The development account runs the dev servers from below it and writes their pid files there.
chmod 0755 "$root"
install -d -m 0700 "$root/credentials"
export PLATFORM_STATE_DIR="$root/state" PLATFORM_CREDENTIALS_DIR="$root/credentials" \
    PLATFORM_PROJECTS_DIR="$root/dev-projects"
echo "=== fresh state: $root (state, credentials, dev-projects)"

rc=0
"$@" || rc=$?
if [ "$rc" = 0 ]; then
    rm -rf "$root"
else
    echo "=== fresh state kept for inspection: $root" >&2
fi
exit "$rc"
