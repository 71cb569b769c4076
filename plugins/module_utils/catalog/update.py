# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How an update replaces a unit's containers: which switch without downtime (a copy starts beside
the old container in the same Traefik service, the old one drains and leaves once the copy is
healthy) and which are recreated in place, each with the reason.

The plan goes out with the unit (``Catalog.unit``) into its compose_projects entry; compose/switch.py
switches only the services it names.
A mixin over the lookups of catalog.model.CatalogModel, combined in catalog.derive.Derivations.
Private to korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.healthcheck import drains


class UpdatePlan(object):
    """The update plan over a validated catalog (self is a CatalogModel with Routing)."""

    def update_plan(self, service, environment):
        """How an update replaces each container of a unit: {"switch": [compose services started
        beside the old ones and switched to once healthy], "recreate": {compose service: why it
        is recreated in place}}. Only what Traefik routes in production switches, and only what
        can run twice at once."""
        env = self.environment(service, environment)
        switch, recreate = [], {}
        for cont in env.containers:
            reason = None
            if not self.routed(env, cont):
                reason = "not routed by Traefik in production: nothing to keep serving"
            elif env.update == "recreate":
                reason = "the catalog entry asks for update: recreate"
            elif cont.replicas > 1 or cont.publish:
                reason = "publishes host ports or runs replicas: two at once would collide"
            elif any(not vol["shared"] for vol in cont.volumes):
                reason = ("holds the volume %s, which two containers must not write at once (shared: true allows it)"
                          % ", ".join(v["name"] for v in cont.volumes if not v["shared"]))
            elif not drains(cont):
                reason = "its own health check cannot be drained: no switch without draining the old one"
            if reason:
                recreate[cont.service] = reason
            else:
                switch.append(cont.service)
        return {"switch": switch, "recreate": recreate}
