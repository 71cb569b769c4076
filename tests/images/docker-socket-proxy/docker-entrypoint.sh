#!/bin/sh
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Writes the proxy's haproxy configuration to /tmp (the root file system may be read-only) and
# starts haproxy in the foreground. The variables are read by haproxy at request time
# (env(NAME) -m bool: 1/true/yes allow), so one configuration serves every setting.
set -eu
CONFIG=${HAPROXY_CONFIG:-/tmp/haproxy.cfg}

case "$(printf %s "${DISABLE_IPV6:-0}" | tr '[:upper:]' '[:lower:]')" in
    1|true|yes) BIND=":2375" ;;
    *) BIND="[::]:2375 v4v6" ;;
esac

API='^(/v[0-9.]+)?'
# ALLOW_PATHS: an exact allow list instead of the sections below, one entry per word:
# METHODS:PATH, e.g. "GET:/containers/json POST:/containers/[a-zA-Z0-9][a-zA-Z0-9_.-]*/start".
# PATH is a regular expression that must match the whole url-decoded path after the optional
# /vX.Y prefix (it is grouped, so an alternation cannot escape the anchors); GET also allows HEAD (a read either way). Every section variable is then
# ignored: a client gets what its list names and nothing a coarse section would add (a
# container's Env through CONTAINERS, kill through ALLOW_RESTARTS). The characters are checked
# here (no anchors either: the proxy adds them), so an entry can never inject haproxy configuration.
allowed_paths() {
    # Split on white space without expanding the regular expressions' * and ? as file names.
    set -f
    for entry in $ALLOW_PATHS; do
        methods=${entry%%:*}
        path=${entry#*:}
        if [ "$methods" = "$entry" ] || ! printf %s "$methods" | grep -Eq '^[A-Z]+(,[A-Z]+)*$' \
           || ! printf %s "$path" | grep -Eq '^/[][A-Za-z0-9_./{},()|?*+-]*$'; then
            # printf, not echo: dash's echo would interpret the entry's backslashes.
            printf "docker-socket-proxy: ALLOW_PATHS entry '%s' is not METHODS:/path-regex\n" "$entry" >&2
            exit 64
        fi
        case ",$methods," in *,GET,*) methods="$methods,HEAD" ;; esac
        echo "    http-request allow if { method $(printf %s "$methods" | tr , ' ') } { path,url_dec -m reg ${API}(${path})\$ }"
    done
    set +f
}
lifecycle() {
    echo "    http-request allow if METH_POST { path,url_dec -m reg -i ${API}/containers/[a-zA-Z0-9_.-]+/$2\$ } { env($1) -m bool }"
}
{
    cat <<CFG
global
    log stdout format raw daemon "\${LOG_LEVEL}"
    maxconn 2000

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option http-server-close
    timeout http-request 10s
    timeout connect 10s
    timeout client 10m
    timeout server 10m
    timeout http-keep-alive 10s

backend docker
    server engine "\${SOCKET_PATH}"

# The event stream stays open for a day; clients reconnect after that (or after the client timeout).
backend docker-events
    timeout server 24h
    server engine "\${SOCKET_PATH}"

frontend socket-proxy
    bind $BIND
CFG
    if [ -n "$(printf %s "${ALLOW_PATHS:-}" | tr -d ' \t\n')" ]; then
        allowed_paths
    else
        # Container lifecycle verbs before the POST gate: with POST=0 they still pass when allowed.
        lifecycle ALLOW_RESTARTS "(stop|restart|kill)"
        lifecycle ALLOW_START start
        lifecycle ALLOW_STOP stop
        lifecycle ALLOW_PAUSE pause
        lifecycle ALLOW_UNPAUSE unpause
        echo "    http-request deny unless METH_GET || { env(POST) -m bool }"
        for section in auth build commit configs containers distribution events exec grpc images info networks nodes \
                       _ping plugins secrets services session swarm system tasks version volumes; do
            variable=$(printf %s "$section" | tr -d _ | tr '[:lower:]' '[:upper:]')
            echo "    http-request allow if { path,url_dec -m reg -i ${API}/${section}(/|\$) } { env(${variable}) -m bool }"
        done
    fi
    cat <<CFG
    http-request deny
    use_backend docker-events if { path,url_dec -m reg -i ${API}/events }
    default_backend docker
CFG
} > "$CONFIG"

if [ "${1:-}" = haproxy ]; then
    shift
    exec haproxy -W -db -f "$CONFIG" "$@"
fi
exec "$@"
