#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Honours the official postgres image's variables: POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB (each also as *_FILE), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD,
# PGDATA and /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz, run once on first init.
# Secrets reach initdb and SQL only as files and psql variables, never inside a
# command string, so any character is safe in a password, user or database name.
set -Eeo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u +%FT%TZ)" "$*"; }
die() { log "error: $*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR, or the content of the file named by VAR_FILE.
file_env() {
    local var=$1 file_var="${1}_FILE" default=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        die "both $var and $file_var are set; they are exclusive"
    fi
    local value=$default
    if [ -n "${!var:-}" ]; then
        value=${!var}
    elif [ -n "${!file_var:-}" ]; then
        value=$(<"${!file_var}")
    fi
    export "$var=$value"
    unset "$file_var"
}

sql() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

init_database() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        die "the database is uninitialized and no superuser password is set: set POSTGRES_PASSWORD \
(or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one"
    fi
    log "initializing $PGDATA"
    # eval splits only POSTGRES_INITDB_ARGS (quotes allowed, as upstream); the user and
    # password stay quoted variable references that eval expands but never re-parses.
    if [ -n "$POSTGRES_PASSWORD" ]; then
        eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
    else
        eval 'initdb --username="$POSTGRES_USER" '"$POSTGRES_INITDB_ARGS"
    fi

    local method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

    # The temporary server listens on the socket only, so nobody connects half-initialized.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start

    export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
    sql --dbname postgres --set db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL

    local f
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
            *.sql) log "running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) log "running $f"; gunzip -c "$f" | sql --dbname "$POSTGRES_DB" ;;
            *.sql.xz) log "running $f"; xz -dc "$f" | sql --dbname "$POSTGRES_DB" ;;
            *) [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    unset PGPASSWORD

    pg_ctl -D "$PGDATA" -m fast -w stop
    log "init complete; starting PostgreSQL"
}

# "docker run image -c foo=bar" means "postgres -c foo=bar".
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

# As the official image does: the *_FILE secrets are read while still root, so a root-owned 0600
# file (a compose or swarm secret) works; the values pass to the unprivileged run in the
# environment of this process only.
setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
}

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    setup_env
    mkdir -p "$PGDATA" /var/run/postgresql
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chmod 0700 "$PGDATA"
    chown postgres:postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = postgres ]; then
    setup_env
    if [ -s "$PGDATA/PG_VERSION" ]; then
        log "$PGDATA holds a database; skipping initialization"
    else
        init_database
    fi
    # The server needs none of them; keep the password out of its environment.
    unset POSTGRES_PASSWORD PGPASSWORD
    # exec keeps postgres as the container's main process, so docker stop reaches it.
    exec "$@"
fi

exec "$@"
