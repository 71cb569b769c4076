#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds a hand-run installation the seed's way on this machine's Docker engine, for the
# end-to-end takeover test (playbooks/adopt.yml): containers started with `docker run` and one
# compose project with profiles, under the seed's container names, on network handrun-net, with
# data in volume handrun_pgdata and in the host directory WORK/media. Nothing it creates carries
# a korczewski.platform.* label of its own (the local images do carry
# korczewski.platform.build-hash, which every container inherits from its image).
#
# WORK receives: .env (the central .env, every dotenv quirk, mode 0600), logins.json (the
# database logins for snapshot.py --logins, mode 0600), l2p/docker-compose.yml,
# traefik/traefik.yml (static config) and media/ (videovault's files).
# Passwords are random per build. Remove everything with tests/handrun/teardown.sh WORK.
#
# Usage: tests/handrun/build.sh WORK
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 WORK" >&2
    exit 2
fi
WORK=$(realpath -m -- "$1")
NETWORK=handrun-net
PGVOLUME=handrun_pgdata
HTTPS_PORT=18443
HTTP_PORT=18080
CONTAINERS=(traefik shared-postgres auth-service l2p-app l2p-api web videovault)
IMAGES=(local/traefik:3.7.15 local/postgres:15 local/app-standin:1)
START=$SECONDS

log() { printf 'handrun: %s\n' "$*" >&2; }
die() { printf 'handrun: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- preconditions
command -v docker >/dev/null || die "docker is not on PATH"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (make testbed starts it)"
docker compose version >/dev/null 2>&1 || die "docker compose (v2 plugin) is missing"
for image in "${IMAGES[@]}"; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing (make testbed builds it)"
done
for name in "${CONTAINERS[@]}"; do
    if docker container inspect "$name" >/dev/null 2>&1; then
        managed=$(docker container inspect -f '{{index .Config.Labels "korczewski.platform.service"}}' "$name")
        if [ -n "$managed" ]; then
            die "container $name already exists and is managed by korczewski.platform (service $managed); not building beside it"
        fi
        die "container $name already exists (a hand-run one from an earlier build?): run tests/handrun/teardown.sh WORK first"
    fi
done
if docker volume inspect "$PGVOLUME" >/dev/null 2>&1; then
    die "volume $PGVOLUME already exists (its passwords would not match a new .env): run tests/handrun/teardown.sh WORK first"
fi
for port in "$HTTP_PORT" "$HTTPS_PORT"; do
    holder=$(docker ps --filter "publish=$port" --format '{{.Names}}')
    [ -z "$holder" ] || die "port $port is published by container(s) $holder; the hand-run traefik needs it"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "something already listens on 127.0.0.1:$port; the hand-run traefik needs it"
    fi
done
if [ -e "$WORK/.env" ]; then
    die "$WORK/.env exists (an earlier build?): run tests/handrun/teardown.sh $WORK first or choose another WORK"
fi

# ---------------------------------------------------------------- secrets
rand_hex() { openssl rand -hex "$1"; }
POSTGRES_PASSWORD=pg$(rand_hex 16)
AUTH_DB_PASSWORD=auth$(rand_hex 16)
L2P_DB_PASSWORD=l2p$(rand_hex 16)
PAYMENT_DB_PASSWORD=pay$(rand_hex 16)
VIDEOVAULT_DB_PASSWORD=vv$(rand_hex 16)
jwt_part=$(rand_hex 24)
# The values as Compose reads them from the .env written below.
JWT_SECRET="${jwt_part}#not-a-comment \"quoted\" \$HOME"
PAYMENT_PROVIDER_KEY="sk_test_$(rand_hex 20)#inside-single-quotes \$NOT_EXPANDED"
SMTP_HOST=smtp.handrun.test
SMTP_PORT=587
smtp_part=$(rand_hex 12)
SMTP_PASSWORD="smtp${smtp_part}\\back\\slash"
pem_body=$(openssl rand -base64 144)
STRIPE_WEBHOOK_KEY=$'-----BEGIN PRIVATE KEY-----\n'"$pem_body"$'\n-----END PRIVATE KEY-----'
AUTH_DATABASE_URL="postgresql://auth_user:${AUTH_DB_PASSWORD}@shared-postgres:5432/auth_db"
L2P_DB_USER=l2p_owner
LEGACY_FEATURE_FLAGS=beta,dark-mode

# ---------------------------------------------------------------- WORK files
mkdir -p "$WORK/l2p" "$WORK/traefik" "$WORK/media"
umask_old=$(umask)
umask 077
{
    printf '# The central .env of the hand-run installation (tests/handrun/build.sh).\n'
    printf '# Read by docker compose --env-file and by hand; NOT by bash (bash does not parse it as Compose does).\n'
    printf '\n'
    printf '# --- shared-postgres superuser\n'
    printf "export POSTGRES_PASSWORD='%s'\n" "$POSTGRES_PASSWORD"
    printf '\n'
    printf '# --- owner roles of the applications (their databases)\n'
    printf 'AUTH_DB_PASSWORD="%s"   # auth_user on auth_db\n' "$AUTH_DB_PASSWORD"
    printf 'AUTH_DATABASE_URL=postgresql://auth_user:${AUTH_DB_PASSWORD}@shared-postgres:5432/auth_db\n'
    printf 'L2P_DB_USER=l2p_owner\n'
    printf 'L2P_DB_PASSWORD=%s # l2p_owner on l2p_db (unquoted, trailing comment)\n' "$L2P_DB_PASSWORD"
    printf "export PAYMENT_DB_PASSWORD='%s'\n" "$PAYMENT_DB_PASSWORD"
    printf '    VIDEOVAULT_DB_PASSWORD="%s"\n' "$VIDEOVAULT_DB_PASSWORD"
    printf '\n'
    printf '# --- auth\n'
    printf 'JWT_SECRET="%s#not-a-comment \\"quoted\\" \\$HOME"\n' "$jwt_part"
    printf 'SMTP_HOST=%s\n' "$SMTP_HOST"
    printf 'SMTP_PORT=%s    # submission\n' "$SMTP_PORT"
    printf 'export SMTP_PASSWORD="smtp%s\\\\back\\\\slash"\n' "$smtp_part"
    printf '\n'
    printf '# --- payment\n'
    printf "PAYMENT_PROVIDER_KEY='%s'\n" "$PAYMENT_PROVIDER_KEY"
    printf 'STRIPE_WEBHOOK_KEY="%s"\n' "$STRIPE_WEBHOOK_KEY"
    printf '\n'
    printf '# not in the import map\n'
    printf 'LEGACY_FEATURE_FLAGS=%s\n' "$LEGACY_FEATURE_FLAGS"
} > "$WORK/.env"

# The logins the installation has, for snapshot.py --logins.
printf '[\n  {"user": "postgres", "database": "postgres", "password": "%s"},\n  {"user": "auth_user", "database": "auth_db", "password": "%s"},\n  {"user": "l2p_owner", "database": "l2p_db", "password": "%s"},\n  {"user": "payment_user", "database": "payment_db", "password": "%s"},\n  {"user": "videovault_user", "database": "videovault_db", "password": "%s"}\n]\n' \
    "$POSTGRES_PASSWORD" "$AUTH_DB_PASSWORD" "$L2P_DB_PASSWORD" "$PAYMENT_DB_PASSWORD" "$VIDEOVAULT_DB_PASSWORD" \
    > "$WORK/logins.json"
umask "$umask_old"

# Compose must read the .env exactly as the values above (the quirks are the point of the file).
check_compose=$(printf 'services:\n  check:\n    image: local/app-standin:1\n    env_file: [%s]\n' "$WORK/.env")
compose_json=$(printf '%s\n' "$check_compose" |
    docker compose --project-directory "$WORK" -p handrun-envcheck -f - config --format json)
(
    export POSTGRES_PASSWORD AUTH_DB_PASSWORD L2P_DB_PASSWORD PAYMENT_DB_PASSWORD VIDEOVAULT_DB_PASSWORD \
        JWT_SECRET PAYMENT_PROVIDER_KEY SMTP_HOST SMTP_PORT SMTP_PASSWORD STRIPE_WEBHOOK_KEY \
        AUTH_DATABASE_URL L2P_DB_USER LEGACY_FEATURE_FLAGS
    printf '%s' "$compose_json" | python3 -c '
import json, os, sys
env = json.load(sys.stdin)["services"]["check"]["environment"]
keys = ["POSTGRES_PASSWORD", "AUTH_DB_PASSWORD", "L2P_DB_PASSWORD", "PAYMENT_DB_PASSWORD",
        "VIDEOVAULT_DB_PASSWORD", "JWT_SECRET", "PAYMENT_PROVIDER_KEY", "SMTP_HOST", "SMTP_PORT",
        "SMTP_PASSWORD", "STRIPE_WEBHOOK_KEY", "AUTH_DATABASE_URL", "L2P_DB_USER", "LEGACY_FEATURE_FLAGS"]
# docker compose config writes a literal $ as $$ (so that its output reads back the same).
bad = [k for k in keys if env.get(k) != os.environ[k].replace("$", "$$")]
extra = sorted(set(env) - set(keys))
if bad or extra:
    sys.exit("handrun: error: docker compose reads the .env differently for %s (extra keys: %s)" % (bad, extra))
'
)

cat > "$WORK/traefik/traefik.yml" <<'YAML'
# Static configuration of the hand-run Traefik (tests/handrun/build.sh).
global:
  checkNewVersion: false
  sendAnonymousUsage: false
entryPoints:
  web:
    address: ":80"
  websecure:
    address: ":443"
providers:
  docker:
    endpoint: unix:///var/run/docker.sock
    exposedByDefault: false
    network: handrun-net
log:
  level: INFO
YAML

cat > "$WORK/l2p/docker-compose.yml" <<'YAML'
# l2p as the seed runs it: one compose file, the production profile, the central .env
# (docker compose --env-file ../.env --profile production up -d).
name: l2p
services:
  frontend:
    image: local/app-standin:1
    container_name: l2p-app
    profiles: [production]
    restart: unless-stopped
    environment:
      PORT: "3000"
      SERVICE_NAME: l2p
      PLATFORM_ENVIRONMENT: production
      API_URL: http://l2p-api:3001
    networks: [handrun-net]
    labels:
      traefik.enable: "true"
      traefik.docker.network: handrun-net
      traefik.http.routers.l2p.rule: Host(`l2p.platform.localhost`)
      traefik.http.routers.l2p.entrypoints: websecure
      traefik.http.routers.l2p.tls: "true"
      traefik.http.routers.l2p.priority: "10"
      traefik.http.routers.l2p.service: l2p
      traefik.http.services.l2p.loadbalancer.server.port: "3000"
  backend:
    image: local/app-standin:1
    container_name: l2p-api
    profiles: [production]
    restart: unless-stopped
    environment:
      PORT: "3001"
      SERVICE_NAME: l2p
      PLATFORM_ENVIRONMENT: production
      DATABASE_URL: postgresql://${L2P_DB_USER}:${L2P_DB_PASSWORD}@shared-postgres:5432/l2p_db
    networks: [handrun-net]
    labels:
      traefik.enable: "true"
      traefik.docker.network: handrun-net
      traefik.http.routers.l2p-api.rule: Host(`l2p.platform.localhost`) && (PathPrefix(`/api`) || PathPrefix(`/socket.io`))
      traefik.http.routers.l2p-api.entrypoints: websecure
      traefik.http.routers.l2p-api.tls: "true"
      traefik.http.routers.l2p-api.priority: "20"
      traefik.http.routers.l2p-api.service: l2p-api
      traefik.http.services.l2p-api.loadbalancer.server.port: "3001"
networks:
  handrun-net:
    external: true
YAML

# videovault's media: small random binaries, nested directories, a name with a space.
mkdir -p "$WORK/media/movies/2024/holiday" "$WORK/media/thumbs"
head -c 40960 /dev/urandom > "$WORK/media/movies/clip one.mp4"
head -c 12345 /dev/urandom > "$WORK/media/movies/2024/holiday/beach day (4k).webm"
head -c 777 /dev/urandom > "$WORK/media/thumbs/clip one.jpg"
head -c 1 /dev/urandom > "$WORK/media/thumbs/tiny.bin"
: > "$WORK/media/movies/2024/empty.txt"
printf '{"library": "hand-run", "items": 2}\n' > "$WORK/media/library.json"

# ---------------------------------------------------------------- network, database server
docker network inspect "$NETWORK" >/dev/null 2>&1 || docker network create "$NETWORK" >/dev/null
docker volume create "$PGVOLUME" >/dev/null

log "starting shared-postgres"
# -e NAME takes the value from this process's environment: no password on a command line.
POSTGRES_PASSWORD=$POSTGRES_PASSWORD docker run -d --name shared-postgres --network "$NETWORK" \
    --restart unless-stopped -e POSTGRES_PASSWORD -v "$PGVOLUME:/var/lib/postgresql/data" \
    local/postgres:15 >/dev/null

deadline=$((SECONDS + 60))
# pg_isready answers already for the entrypoint's socket-only init server; wait for TCP.
until docker exec shared-postgres pg_isready -q -h 127.0.0.1 -U postgres 2>/dev/null; do
    if [ "$(docker inspect -f '{{.State.Running}}' shared-postgres)" != true ]; then
        docker logs --tail 30 shared-postgres >&2 || true
        die "shared-postgres exited during start"
    fi
    [ $SECONDS -lt $deadline ] || { docker logs --tail 30 shared-postgres >&2; die "shared-postgres not ready within 60 s"; }
    sleep 0.5
done

log "creating the seed's databases, roles and data"
docker exec -i shared-postgres psql -q -v ON_ERROR_STOP=1 --no-psqlrc -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE auth_user LOGIN PASSWORD '${AUTH_DB_PASSWORD}';
CREATE ROLE l2p_owner LOGIN PASSWORD '${L2P_DB_PASSWORD}';
CREATE ROLE payment_user LOGIN PASSWORD '${PAYMENT_DB_PASSWORD}';
CREATE ROLE videovault_user LOGIN PASSWORD '${VIDEOVAULT_DB_PASSWORD}';
CREATE DATABASE auth_db OWNER auth_user;
CREATE DATABASE l2p_db OWNER l2p_owner;
CREATE DATABASE payment_db OWNER payment_user;
CREATE DATABASE videovault_db OWNER videovault_user;

\connect auth_db
SET ROLE auth_user;
CREATE TABLE roles (code text PRIMARY KEY, label text NOT NULL);
INSERT INTO roles VALUES ('admin', 'Administrator'), ('user', 'User'), ('guest', 'Guest');
CREATE TABLE users (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text,
    role_code text NOT NULL REFERENCES roles (code),
    created_at timestamptz NOT NULL,
    profile jsonb NOT NULL
);
INSERT INTO users (email, display_name, role_code, created_at, profile)
SELECT 'user' || g || '@handrun.test',
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'User ' || g || ' O''Brien, café' END,
       (ARRAY['admin', 'user', 'guest'])[1 + g % 3],
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour 7 minutes',
       jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b' || g % 5), 'quote', 'say "hi"')
FROM generate_series(1, 300) AS g;

\connect l2p_db
SET ROLE l2p_owner;
CREATE TABLE categories (id smallint PRIMARY KEY, name text NOT NULL);
INSERT INTO categories VALUES (1, 'history'), (2, 'science'), (3, 'music'), (4, 'sports'), (5, 'art');
CREATE TABLE questions (
    id serial PRIMARY KEY,
    category_id smallint NOT NULL REFERENCES categories (id),
    prompt text NOT NULL,
    created_at timestamptz NOT NULL,
    answers jsonb NOT NULL
);
INSERT INTO questions (category_id, prompt, created_at, answers)
SELECT 1 + g % 5, 'Question #' || g || E'?\twith a tab',
       timestamptz '2023-06-01 12:00:00+02' + g * interval '1 day',
       jsonb_build_array(g, g * 2, jsonb_build_object('correct', g % 4))
FROM generate_series(1, 420) AS g;

\connect payment_db
SET ROLE payment_user;
CREATE TABLE currencies (code char(3) PRIMARY KEY, minor_units smallint NOT NULL);
INSERT INTO currencies VALUES ('EUR', 2), ('USD', 2), ('JPY', 0), ('CHF', 2);
CREATE TABLE payments (
    id serial PRIMARY KEY,
    reference text NOT NULL,
    currency char(3) NOT NULL REFERENCES currencies (code),
    amount_minor bigint NOT NULL,
    paid_at timestamptz NOT NULL,
    metadata jsonb NOT NULL
);
INSERT INTO payments (reference, currency, amount_minor, paid_at, metadata)
SELECT 'pay_' || lpad(g::text, 6, '0'), (ARRAY['EUR', 'USD', 'JPY', 'CHF'])[1 + g % 4], g * 1999,
       timestamptz '2024-03-01 08:30:00+00' + g * interval '3 hours',
       jsonb_build_object('invoice', 'INV-' || g, 'refunded', g % 11 = 0)
FROM generate_series(1, 250) AS g;

\connect videovault_db
SET ROLE videovault_user;
CREATE SCHEMA vault;
CREATE TABLE vault.tags (id smallint PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO vault.tags VALUES (1, 'holiday'), (2, 'family'), (3, 'clips'), (4, '4k'), (5, 'archive'), (6, 'ünïcode');
CREATE TABLE videos (
    id serial PRIMARY KEY,
    path text NOT NULL,
    title text NOT NULL,
    added_at timestamptz NOT NULL,
    meta jsonb NOT NULL
);
INSERT INTO videos (path, title, added_at, meta)
SELECT 'movies/video ' || g || '.mp4', 'Video ' || g,
       timestamptz '2022-11-11 11:11:11+00' + g * interval '17 minutes',
       jsonb_build_object('duration_s', g * 13, 'tags', jsonb_build_array(1 + g % 6))
FROM generate_series(1, 180) AS g;
SQL

# ---------------------------------------------------------------- proxy and applications
log "starting traefik, auth-service, l2p (compose), web, videovault"
docker run -d --name traefik --network "$NETWORK" --restart unless-stopped \
    -p "127.0.0.1:$HTTP_PORT:80" -p "127.0.0.1:$HTTPS_PORT:443" \
    -v /var/run/docker.sock:/var/run/docker.sock:ro \
    -v "$WORK/traefik/traefik.yml:/etc/traefik/traefik.yml:ro" \
    local/traefik:3.7.15 >/dev/null

# route NAME HOST PORT: the seed's Traefik labels for one container.
route() {
    printf '%s\n' --label traefik.enable=true --label "traefik.docker.network=$NETWORK" \
        --label "traefik.http.routers.$1.rule=Host(\`$2\`)" \
        --label "traefik.http.routers.$1.entrypoints=websecure" \
        --label "traefik.http.routers.$1.tls=true" \
        --label "traefik.http.routers.$1.service=$1" \
        --label "traefik.http.services.$1.loadbalancer.server.port=$3"
}
mapfile -t auth_labels < <(route auth auth.platform.localhost 5500)
mapfile -t payment_labels < <(route payment payment.platform.localhost 3004)
mapfile -t videovault_labels < <(route videovault videovault.platform.localhost 5100)

DATABASE_URL="postgresql://auth_user:${AUTH_DB_PASSWORD}@shared-postgres:5432/auth_db" JWT_SECRET=$JWT_SECRET \
SMTP_HOST=$SMTP_HOST SMTP_PORT=$SMTP_PORT SMTP_PASSWORD=$SMTP_PASSWORD \
    docker run -d --name auth-service --network "$NETWORK" --restart unless-stopped \
    -e PORT=5500 -e SERVICE_NAME=auth -e PLATFORM_ENVIRONMENT=production \
    -e DATABASE_URL -e JWT_SECRET -e SMTP_HOST -e SMTP_PORT -e SMTP_PASSWORD \
    "${auth_labels[@]}" local/app-standin:1 >/dev/null

(cd "$WORK/l2p" && docker compose --env-file "$WORK/.env" --profile production up -d --quiet-pull 2>&1 |
    sed 's/^/handrun: compose: /' >&2)

DATABASE_URL="postgresql://payment_user:${PAYMENT_DB_PASSWORD}@shared-postgres:5432/payment_db" \
PAYMENT_PROVIDER_KEY=$PAYMENT_PROVIDER_KEY STRIPE_WEBHOOK_KEY=$STRIPE_WEBHOOK_KEY \
    docker run -d --name web --network "$NETWORK" --restart unless-stopped \
    -e PORT=3004 -e SERVICE_NAME=payment -e PLATFORM_ENVIRONMENT=production \
    -e DATABASE_URL -e PAYMENT_PROVIDER_KEY -e STRIPE_WEBHOOK_KEY \
    "${payment_labels[@]}" local/app-standin:1 >/dev/null

DATABASE_URL="postgresql://videovault_user:${VIDEOVAULT_DB_PASSWORD}@shared-postgres:5432/videovault_db" \
    docker run -d --name videovault --network "$NETWORK" --restart unless-stopped \
    -e PORT=5100 -e SERVICE_NAME=videovault -e PLATFORM_ENVIRONMENT=production -e DATABASE_URL \
    -v "$WORK/media:/data" "${videovault_labels[@]}" local/app-standin:1 >/dev/null

# ---------------------------------------------------------------- ready?
URLS=(
    "auth.platform.localhost /health"
    "l2p.platform.localhost /"
    "l2p.platform.localhost /api/health"
    "payment.platform.localhost /health"
    "videovault.platform.localhost /health"
)
deadline=$((SECONDS + 60))
for name in "${CONTAINERS[@]}"; do
    until [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ]; do
        [ $SECONDS -lt $deadline ] || { docker logs --tail 20 "$name" >&2 || true; die "container $name is not running"; }
        sleep 0.5
    done
done
for entry in "${URLS[@]}"; do
    read -r host path <<<"$entry"
    url="https://$host:$HTTPS_PORT$path"
    until code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 3 \
                 --resolve "$host:$HTTPS_PORT:127.0.0.1" "$url") && [ "$code" = 200 ]; do
        if [ $SECONDS -ge $deadline ]; then
            body=$(curl -sk --max-time 3 --resolve "$host:$HTTPS_PORT:127.0.0.1" "$url" || true)
            docker ps -a --filter network="$NETWORK" --format '  {{.Names}}\t{{.Status}}' >&2
            die "$url did not answer 200 through the hand-run traefik within 60 s (last: ${code:-none} ${body:0:300})"
        fi
        sleep 0.5
    done
done

log "ready in $((SECONDS - START)) s: $WORK (.env, logins.json, l2p/, traefik/, media/)"
for entry in "${URLS[@]}"; do
    read -r host path <<<"$entry"
    log "  https://$host:$HTTPS_PORT$path"
done
