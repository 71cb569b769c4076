#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts the node's own dockerd. The outer engine cannot run --privileged containers here, so
# the node gets capabilities one by one (tests/swarm/nodes.sh) and this script undoes what
# --privileged would have: /sys and the cgroup hierarchies arrive read-only, and the inner
# engine's mounts must propagate, so / becomes rshared. dockerd listens on its unix socket
# only: nothing outside the node (but `docker exec`) can drive it.
set -eu

mount -o remount,rw /sys
for d in /sys/fs/cgroup/*/; do
    mount -o remount,rw "$d" 2>/dev/null || true
done
mount --make-rshared /

exec dockerd -H unix:///var/run/docker.sock "$@"
