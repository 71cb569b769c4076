#!/bin/sh
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
