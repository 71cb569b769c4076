#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# build-context.sh DIR [WHEEL_CACHE]: lays out the dashboard image's build context in DIR (and DIR.tar):
# the Dockerfile, the pinned wheels for the image's Python (CPython 3.11, manylinux x86_64; pip
# downloads them once into WHEEL_CACHE), the app's source and the collection's module_utils as
# ansible_collections/korczewski/platform/plugins/module_utils. No registry is needed at build time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:?usage: build-context.sh DIR [WHEEL_CACHE]}
cache=${2:-$repo/.cache/dashboard-wheels}
# PIP may be a command with arguments ("python3 -m pip").
pip=${PIP:-python3 -m pip}

wheel_of() {  # name version: the cached wheel of that pin, or nothing
    norm=$(printf %s "$1" | tr '[:upper:]-' '[:lower:]_')
    find "$cache" -maxdepth 1 -iname "${norm}-${2}-*.whl" | head -n 1
}
pins() { grep -E '^[A-Za-z0-9_.-]+==' "$here/requirements.lock"; }

# Unchanged inputs since the last layout give the last hash: no input (this script, the Dockerfile,
# the pins, the wheel cache, the module_utils, the app's source) has a status change time after the
# stamp. A write, a chmod, or a file added to or removed from one of their directories changes it.
# The stamp is dated a second before the layout began, so a change made while it ran, or within
# the file system's clock tick after it, is never taken for an old one.
# A missing input makes find fail, and the layout runs (and says what is missing).
if [ -f "$out.stamp" ] && [ -f "$out.tar" ] && [ -f "$out.hash" ] \
        && newer=$(find "$0" "$here/Dockerfile" "$here/requirements.lock" "$cache" "$repo/plugins/module_utils" \
                        "$here/src/korczewski_dashboard" -cnewer "$out.stamp" -print -quit 2>/dev/null) \
        && [ -z "$newer" ]; then
    cat "$out.hash"
    exit 0
fi
began=$(( $(date +%s) - 1 ))
rm -f "$out.stamp"

mkdir -p "$cache"
# The index is asked only when a pinned wheel is missing from the cache, so a rerun is offline.
missing=$(pins | while IFS='=' read -r name dummy version; do [ -n "$(wheel_of "$name" "$version")" ] || echo "$name"; done)
[ -z "$missing" ] || $pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    --platform any -d "$cache" -r "$here/requirements.lock"

rm -rf "$out"
mkdir -p "$out/wheels" "$out/collections/ansible_collections/korczewski/platform/plugins/module_utils" "$out/src"
cp "$here/Dockerfile" "$here/requirements.lock" "$out/"
# Only the pinned versions: the cache may hold older ones.
pins | while IFS='=' read -r name dummy version; do
    found=$(wheel_of "$name" "$version")
    [ -n "$found" ] || { echo "no wheel for $name==$version in $cache" >&2; exit 1; }
    cp "$found" "$out/wheels/"
done
cp -r "$repo"/plugins/module_utils/. "$out/collections/ansible_collections/korczewski/platform/plugins/module_utils/"
cp -r "$here/src/korczewski_dashboard" "$out/src/"
find "$out" -name __pycache__ -type d -prune -exec rm -rf {} +
# One file to copy to the host, and the context's hash (path, mode and content of every file) on the
# last line of the output: the role rebuilds the image only when it differs from the image's label.
# One stat and one sha256sum over all files: a process per file costs more than the hashing.
( cd "$out" && find . -type f | LC_ALL=C sort > "$out.files" && tr '\n' '\0' < "$out.files" > "$out.files0" \
    && xargs -0 stat -c '%n %a' < "$out.files0" && xargs -0 sha256sum < "$out.files0" ) \
  | sha256sum | cut -d' ' -f1 > "$out.hash"
rm -f "$out.files" "$out.files0"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out" -cf "$out.tar" .
touch -d "@$began" "$out.stamp"
cat "$out.hash"
