#!/usr/bin/env bash
# The seed's stop-all.sh: playbooks/stop_all.yml, which needs -e stop_all_confirm=true. Extra
# arguments go to ansible-playbook, e.g. -i inventory/production -e stop_all_confirm=true.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ANSIBLE_PLAYBOOK:-ansible-playbook}" playbooks/stop_all.yml "$@"
