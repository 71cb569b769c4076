#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Removes what tests/handrun/build.sh created: its containers (never one that carries the
# collection's identity labels), the hand-run compose project, network, volume and WORK.
# Usage: tests/handrun/teardown.sh WORK
set -uo pipefail
work=${1:?usage: teardown.sh WORK}
for name in traefik shared-postgres auth-service l2p-app l2p-api web videovault; do
    for candidate in "$name" "$name-adopting"; do
        labels=$(docker container inspect --format '{{index .Config.Labels "korczewski.platform.service"}}' "$candidate" 2>/dev/null) || continue
        [ -z "$labels" ] && docker rm -f "$candidate" >/dev/null
    done
done
docker network rm handrun-net >/dev/null 2>&1 || true
docker volume rm handrun_pgdata >/dev/null 2>&1 || true
rm -rf "$work"
