#!/bin/sh
# Builds the base image every test image starts FROM: no registry is reachable, so the
# root filesystem comes from debootstrap and enters Docker through "docker import".
# Usage: build.sh IMAGE LABEL=VALUE [SUITE [MIRROR]]
set -eu

image=$1
label=$2
suite=${3:-bookworm}
mirror=${4:-http://deb.debian.org/debian}

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
