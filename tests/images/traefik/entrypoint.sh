#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Same contract as the official traefik image, so compose files written for it work:
# "command: [--providers.docker]" and "command: [traefik, --providers.docker]" both run Traefik.
set -e
if [ "${1#-}" != "$1" ]; then
    set -- traefik "$@"
fi
if [ "$1" != traefik ] && traefik "$1" --help >/dev/null 2>&1; then
    set -- traefik "$@"
fi
exec "$@"
