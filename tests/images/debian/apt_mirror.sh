#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints the Debian archive this machine's apt already uses for SUITE, so the test images come
# from the same mirror (and proxy, and snapshot) as the host, and no mirror host is written into
# the project. deb822 sources (/etc/apt/sources.list.d/*.sources) first, then the one-line format
# (/etc/apt/sources.list, sources.list.d/*.list). Only a `deb` source that names SUITE itself
# counts, not SUITE-security or SUITE-updates. Exits 1 when there is none.
# Usage: apt_mirror.sh SUITE   (APT_ROOT prefixes the /etc/apt paths, for tests)
set -eu

suite=$1
root=${APT_ROOT:-}

for f in "$root"/etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk -v suite="$suite" '
        function reset() { deb = 0; hit = 0; enabled = 1; uri = "" }
        function flush() { if (deb && hit && enabled && uri != "") { print uri; done = 1; exit } reset() }
        BEGIN { reset() }
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*$/ { flush(); next }
        tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
        tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
        END { if (!done) flush() }' "$f")
    if [ -n "$uri" ]; then
        echo "$uri"
        exit 0
    fi
done

for f in "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(awk -v suite="$suite" '
        $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit }
        }' "$f")
    if [ -n "$uri" ]; then
        echo "$uri"
        exit 0
    fi
done

echo "no apt source of this machine names Debian $suite (${root}/etc/apt/sources.list.d/*.sources," \
    "${root}/etc/apt/sources.list); add one, or pass a mirror to build.sh" >&2
exit 1
