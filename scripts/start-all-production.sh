#!/usr/bin/env bash
# The seed's start-all-production.sh: playbooks/start_all_production.yml. Extra arguments go to
# ansible-playbook, e.g. -i inventory/production --ask-vault-pass, or --tags auth.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ANSIBLE_PLAYBOOK:-ansible-playbook}" playbooks/start_all_production.yml "$@"
