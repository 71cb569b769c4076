#!/usr/bin/env bash
# The seed's health-check.sh: playbooks/health_check.yml. Extra arguments go to ansible-playbook,
# e.g. -i inventory/production --tags auth, or -e health_report=/tmp/health.json.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ANSIBLE_PLAYBOOK:-ansible-playbook}" playbooks/health_check.yml "$@"
