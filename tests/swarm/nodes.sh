#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A three-node Docker Swarm test bed on this machine's engine: docker-in-docker containers
# PREFIX-manager, PREFIX-worker and PREFIX-gpu (hostname = container name) from
# local/swarm-node:1 on the bridge network PREFIX-net. Each node runs its own dockerd on its
# unix socket only; Ansible reaches it through `docker exec`. The swarm itself is formed by the
# collection (playbooks/swarm.yml), not here.
#
# Usage: nodes.sh up|down|load [PREFIX]      PREFIX defaults to kp-swarm
#   up    remove what PREFIX left behind, start the nodes, wait for their engines, load IMAGES
#   load  load IMAGES into the running nodes (one `docker save` tar, cached, all nodes at once)
#   down  remove the nodes, their volumes and the network (idempotent)
# Environment: IMAGES       images the nodes need (no registry reaches them)
#              IMAGES_CACHE directory of the saved tar (default tests/output/swarm, git-ignored);
#                           re-saved only when an image id changed
#              NODE_IMAGE   the node image (default local/swarm-node:1)
set -euo pipefail

cmd=${1:-}
prefix=${2:-kp-swarm}
root=$(cd "$(dirname "$0")/../.." && pwd)
NODE_IMAGE=${NODE_IMAGE:-local/swarm-node:1}
IMAGES=${IMAGES:-local/traefik:3.7.15 local/postgres:15 local/app-standin:1 local/vllm-standin:1 \
local/open-webui-standin:1 local/qdrant-standin:1 local/infinity-standin:1 local/docker-socket-proxy:1}
IMAGES_CACHE=${IMAGES_CACHE:-$root/tests/output/swarm}
ROLES="manager worker gpu"
LABEL=korczewski.platform.testbed=swarm
network="$prefix-net"

case "$prefix" in
    *[!a-zA-Z0-9_.-]* | "" | [-_.]*) echo "nodes.sh: bad PREFIX '$prefix'" >&2; exit 2 ;;
esac

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
step() {
    local name=$1 start
    shift
    start=$(now)
    "$@"
    echo "nodes.sh: $name in $(took "$start")"
}

nodes() { for r in $ROLES; do echo "$prefix-$r"; done; }

# Only what carries the test bed's label: a same-named thing someone else made stays.
remove() {
    local n ids
    for n in $(nodes); do
        ids=$(docker ps -aq --filter "label=$LABEL" --filter "name=^/$n\$")
        if [ -n "$ids" ]; then
            docker rm -f -v "$ids" > /dev/null
        fi
        if [ "$(docker volume inspect -f '{{index .Labels "korczewski.platform.testbed"}}' "$n-docker" 2>/dev/null)" = swarm ]; then
            docker volume rm -f "$n-docker" > /dev/null
        fi
    done
    if [ "$(docker network inspect -f '{{index .Labels "korczewski.platform.testbed"}}' "$network" 2>/dev/null)" = swarm ]; then
        docker network rm "$network" > /dev/null
    fi
}

# --privileged cannot start on this kind of VM (no CAP_SYS_RESOURCE): every other capability,
# no seccomp filter, writable /proc and /sys paths and all devices do what dockerd needs.
# overlay2 refuses the container's own overlay root, hence the named volume.
start_nodes() {
    local n
    docker network create --driver bridge --label "$LABEL" "$network" > /dev/null
    for n in $(nodes); do
        docker volume create --label "$LABEL" "$n-docker" > /dev/null
        docker run -d --name "$n" --hostname "$n" --network "$network" \
            --label "$LABEL" \
            --cap-add ALL --cap-drop SYS_RESOURCE \
            --security-opt seccomp=unconfined --security-opt systempaths=unconfined \
            --device /dev/fuse --device-cgroup-rule 'a *:* rwm' \
            --tmpfs /run --tmpfs /tmp \
            -v "$n-docker:/var/lib/docker" \
            -v "$IMAGES_CACHE:/images:ro" \
            "$NODE_IMAGE" > /dev/null
    done
}

wait_engines() {
    local n deadline=$((SECONDS + 60))
    for n in $(nodes); do
        until docker exec "$n" docker version --format '{{.Server.Version}}' > /dev/null 2>&1; do
            if [ "$(docker inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" != true ] || [ $SECONDS -ge $deadline ]; then
                echo "nodes.sh: the engine of $n did not answer; its log:" >&2
                docker logs --tail 30 "$n" >&2 || true
                return 1
            fi
            sleep 0.2
        done
    done
}

# One tar for every node: layers the images share are stored once. Its key is the list of
# image ids, so a rebuilt image (same tag, new id) is saved again and nothing else is.
save_images() {
    local key
    mkdir -p "$IMAGES_CACHE"
    # Two test beds (other prefixes) may start from one checkout at once: one saves, one waits.
    exec 9> "$IMAGES_CACHE/.lock"
    flock 9
    # shellcheck disable=SC2086
    key=$(docker image inspect --format '{{.Id}}' $IMAGES | paste -sd ' ' | sed "s|^|$IMAGES |" | sha256sum | cut -d' ' -f1)
    if [ -s "$IMAGES_CACHE/images.tar" ] && [ "$(cat "$IMAGES_CACHE/images.key" 2>/dev/null)" = "$key" ]; then
        echo "nodes.sh: image tar is current ($IMAGES_CACHE/images.tar)"
        exec 9>&-
        return 0
    fi
    rm -f "$IMAGES_CACHE/images.key"
    # shellcheck disable=SC2086
    docker save -o "$IMAGES_CACHE/images.tar.part" $IMAGES
    mv "$IMAGES_CACHE/images.tar.part" "$IMAGES_CACHE/images.tar"
    echo "$key" > "$IMAGES_CACHE/images.key"
    exec 9>&-
}

load_images() {
    local n pids=() rc=0
    for n in $(nodes); do
        docker exec "$n" docker load -q -i /images/images.tar > /dev/null &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || rc=1
    done
    return $rc
}

case "$cmd" in
    up)
        total=$(now)
        step "clean leftovers of $prefix" remove
        step "save images" save_images
        step "start 3 nodes" start_nodes
        step "wait for the nodes' engines" wait_engines
        step "load images into 3 nodes" load_images
        echo "nodes.sh: up in $(took "$total")"
        ;;
    load)
        step "save images" save_images
        step "load images into 3 nodes" load_images
        ;;
    down)
        step "remove nodes, volumes and network of $prefix" remove
        ;;
    *)
        echo "usage: $0 up|down|load [PREFIX]" >&2
        exit 2
        ;;
esac
