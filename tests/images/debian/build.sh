#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the base image every test image starts FROM: no registry is reachable, so the
# root filesystem comes from debootstrap and enters Docker through "docker import". The Debian
# mirror is the one this machine's apt uses (apt_mirror.sh) unless one is given.
# Usage: build.sh IMAGE LABEL=VALUE [SUITE [MIRROR]]
set -eu

image=$1
label=$2
suite=${3:-bookworm}
mirror=${4:-$(sh "$(dirname "$0")/apt_mirror.sh" "$suite")}

rootfs=$(mktemp -d /var/tmp/debootstrap.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT INT TERM

debootstrap --variant=minbase "$suite" "$rootfs" "$mirror"

# Same trimming as the official debian images: no recommends, no docs or man pages,
# no apt caches, so derived images install faster and stay small.
cat >"$rootfs/etc/apt/apt.conf.d/90container" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dpkg::Use-Pty "0";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
CONF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90container" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CONF
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log

tar --numeric-owner -C "$rootfs" -c . |
    docker import \
        --change "LABEL $label" \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        - "$image"
