#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-test sanity wants the collection at .../ansible_collections/korczewski/platform inside a
# git work tree. Copy the tracked and new (not ignored) files there, minus the self-link that
# lets a plain clone resolve korczewski.platform, and run the sanity tests.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
root="$(pwd)"
# VENV may be relative to the checkout or absolute.
case "$VENV" in /*) venv=$VENV ;; *) venv=$root/$VENV ;; esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/korczewski/platform"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard \
  | grep -zv '^collections/' \
  | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -C "$dest" -xf -
git -C "$dest" init -q && git -C "$dest" add -A

# ansible-test bootstraps pip in its venvs with a script it downloads from a host that is not
# reachable here; an equivalent script in its cache makes it use ensurepip instead.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in 24_2 25_0 25_1 25_2 25_3; do
  [ -f "$cache/get_pip_$v.py" ] || printf '%s\n' \
    'import ensurepip, sys; sys.exit(ensurepip._main(["--upgrade", "--default-pip"]) or 0)' > "$cache/get_pip_$v.py"
done

cd "$dest"
"$venv/bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
