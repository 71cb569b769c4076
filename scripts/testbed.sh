#!/usr/bin/env bash
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Brings this machine to the state every test expects: a running Docker engine with the
# Compose v2 plugin and the catalog's networks (playbooks/docker_engine.yml), the local
# test images (playbooks/build_test_images.yml), and the development account with its copy
# of the node fixture that the local inventory's dev servers run from, never as root
# (playbooks/dev_workspace.yml). Safe to rerun: the playbooks change nothing when the
# machine is already there, and images are rebuilt only when their inputs changed.
#
# Environment: VENV   virtualenv directory (default .venv); created with the controller
#                     requirements when it has no ansible-playbook yet
#              INVENTORY  inventory for docker_engine.yml and dev_workspace.yml (default inventory/local; plain
#                     localhost when that inventory has no hosts)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
INVENTORY="${INVENTORY:-inventory/local}"
export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$PWD/ansible.cfg}"
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-false}"

total_start=$(date +%s)
step() {
    local name=$1 start rc=0
    shift
    echo "=== testbed: $name"
    start=$(date +%s)
    "$@" || rc=$?
    echo "=== testbed: $name $([ "$rc" = 0 ] && echo done || echo "FAILED (rc $rc)") in $(( $(date +%s) - start ))s"
    return "$rc"
}

ensure_venv() {
    if [ -x "$VENV/bin/ansible-playbook" ]; then
        echo "using $VENV"
        return 0
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    if [ -f requirements.txt ]; then
        "$VENV/bin/pip" install --quiet -r requirements.txt
    else
        "$VENV/bin/pip" install --quiet 'ansible>=12,<13' 'docker>=7.1'
    fi
}

# The venv's interpreter has the docker SDK the community.docker modules need; an inventory
# may name a different one, plain localhost gets this one.
inventory_args() {
    if [ -e "$INVENTORY" ] &&
        "$VENV/bin/ansible-inventory" -i "$INVENTORY" --graph 2>/dev/null | grep -q -- '--'; then
        printf '%s\n' -i "$INVENTORY"
    else
        printf '%s\n' -i localhost, -c local -e platform_target=localhost \
            -e "ansible_python_interpreter=$(realpath "$VENV/bin/python")"
    fi
}

docker_engine() {
    local args
    mapfile -t args < <(inventory_args)
    "$VENV/bin/ansible-playbook" "${args[@]}" playbooks/docker_engine.yml
}

dev_workspace() {
    local args
    mapfile -t args < <(inventory_args)
    "$VENV/bin/ansible-playbook" "${args[@]}" playbooks/dev_workspace.yml
}

# The images are built where this script runs, so the play targets the implicit localhost.
test_images() {
    "$VENV/bin/ansible-playbook" -i localhost, -c local -e platform_target=localhost \
        -e "ansible_python_interpreter=$(realpath "$VENV/bin/python")" \
        playbooks/build_test_images.yml
}

# The dashboard's browser tests drive Debian's Chromium (Playwright with executable_path; never
# `playwright install`, which downloads a browser).
browser() {
    if command -v chromium > /dev/null; then
        echo "chromium is installed"
        return 0
    fi
    bash scripts/apt_install.sh chromium
}

step "venv" ensure_venv
step "docker engine (playbooks/docker_engine.yml)" docker_engine
step "test images (playbooks/build_test_images.yml)" test_images
step "development account and workspace (playbooks/dev_workspace.yml)" dev_workspace
step "browser (Debian's chromium)" browser
echo "=== testbed: ready in $(( $(date +%s) - total_start ))s"
