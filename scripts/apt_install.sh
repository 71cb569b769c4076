#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian packages named, quietly and without recommends; the package lists are
# updated only when the first attempt fails (a fresh machine has none).
#
# Usage: scripts/apt_install.sh PACKAGE [PACKAGE...]
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "$@" > /dev/null ||
    { apt-get update -q > /dev/null && apt-get install -y -q --no-install-recommends "$@" > /dev/null; }
