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
# A cgroup v1 hierarchy that refuses the remount ("mount point is busy") is mounted afresh,
# read-write, with its own options: runc must create the task containers' cgroups in it.
grep ' - cgroup ' /proc/self/mountinfo | while read -r _ _ _ _ point _; do
    mount -o remount,rw "$point" 2>/dev/null && continue
    options=$(grep " $point " /proc/self/mountinfo | sed -e 's/.* - cgroup [^ ]* //' -e 's/^r[ow],//')
    umount "$point" && mount -t cgroup -o "rw,$options" cgroup "$point"
done
mount --make-rshared /

exec dockerd -H unix:///var/run/docker.sock "$@"
