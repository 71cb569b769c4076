# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health-gated switch's plan: which services switch, and the copies' definition."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.compose.switch import (
    LABEL_NEXT,
    Switch,
    recreated_names,
    switch_definition,
)

DEFINITION = {"name": "l2p-production", "services": {
    "l2p-app": {"container_name": "l2p-app", "image": "app:2", "labels": {"traefik.enable": "true"}},
    "l2p-api": {"container_name": "l2p-api", "image": "api:2", "labels": {"traefik.enable": "true"}},
    "worker": {"container_name": "l2p-worker", "image": "worker:2"},
}}


def container(name, service, state="running", health="healthy"):
    return {"id": name[:4], "name": name, "service": service, "state": state, "health": health}


def test_the_copies_carry_the_new_definition_under_other_names_and_the_old_services_stay():
    result = switch_definition(DEFINITION, ["l2p-app", "l2p-api"])
    assert result["services"]["l2p-app"] == DEFINITION["services"]["l2p-app"]
    copy = result["services"]["l2p-app-next"]
    assert copy["container_name"] == "l2p-app-next" and copy["image"] == "app:2"
    assert copy["labels"] == {"traefik.enable": "true", LABEL_NEXT: "next"}
    assert "worker-next" not in result["services"]
    # The catalog's definition is not changed in place.
    assert "l2p-app-next" not in DEFINITION["services"]


def test_only_routed_services_the_up_recreates_from_a_healthy_container_switch():
    before = [container("l2p-app", "l2p-app"), container("l2p-api", "l2p-api", health="unhealthy"),
              container("l2p-worker", "worker")]
    actions = [("Container", "l2p-app", "Recreate"), ("Container", "l2p-api", "Recreate"),
               ("Container", "l2p-worker", "Recreate"), ("Network", "x", "Create")]
    assert recreated_names(actions) == {"l2p-app", "l2p-api", "l2p-worker"}
    switch = Switch.plan(None, "l2p-production", "/srv", "compose.yml", DEFINITION, ["l2p-app", "l2p-api"], before, actions,
                         wait_timeout=60)
    # An unhealthy container serves nothing to keep: it is recreated as before.
    assert switch.services == ["l2p-app"] and switch.next_names == ["l2p-app-next"]
    assert switch.recreate == {"l2p-app"}
    # Nothing recreated, or no container yet (a first deploy): no switch.
    assert Switch.plan(None, "p", "/srv", "compose.yml", DEFINITION, ["l2p-app"], before, [], wait_timeout=60) is None
    assert Switch.plan(None, "p", "/srv", "compose.yml", DEFINITION, ["l2p-app"], [], actions, wait_timeout=60) is None


def test_a_copy_left_by_a_killed_run_resumes_the_switch():
    before = [container("l2p-app", "l2p-app"), container("l2p-app-next", "l2p-app-next")]
    switch = Switch.plan(None, "p", "/srv", "compose.yml", DEFINITION, ["l2p-app", "l2p-api"], before, [], wait_timeout=60)
    assert switch.services == ["l2p-app"] and switch.recreate == set()
    # The old container already runs the new definition (the up would not recreate it): not drained.
    assert switch.recreate == set()
