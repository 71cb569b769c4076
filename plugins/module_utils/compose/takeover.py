# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Taking over the container names of a project from containers that are not the project's.

A hand-run installation's container (``docker run`` or another compose project) holds a name the
project's container must carry. Before the project comes up, each holder is set aside: renamed
``<name>-adopting`` (Docker keeps a name taken even by a stopped container) and stopped, which also
frees its host ports. Once the project is healthy the holders are removed, never their volumes;
if it is not, the project's new containers holding those names are removed and the holders get
their names back and run again as before. A run killed in between leaves ``<name>-adopting``
behind, which the next takeover of that name finds and finishes or undoes.

The engine runs every command (compose.apply.ComposeEngine's container methods).
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

ASIDE_SUFFIX = "-adopting"
# Docker's own networks: no name resolution on the default bridge, nothing to join on host or none.
DEFAULT_NETWORKS = ("bridge", "host", "none")


def container_names(definition):
    """The fixed container names a compose definition declares."""
    return sorted(s["container_name"] for s in (definition or {}).get("services", {}).values()
                  if isinstance(s, dict) and s.get("container_name"))


class Takeover(object):
    """The holders of one project's container names, and setting them aside, finishing or undoing."""

    def __init__(self, engine, project, names):
        self.engine = engine
        self.project = project
        self.names = names
        self.holders = []

    def find(self):
        """[{name, id, current, running, image, project}]: every container that holds one of the
        names, or is set aside for one of them, and does not belong to the project."""
        wanted = set(self.names) | set(n + ASIDE_SUFFIX for n in self.names)
        self.holders = []
        for row in self.engine.named_containers(sorted(wanted)):
            if row["project"] == self.project:
                continue
            name = row["name"][:-len(ASIDE_SUFFIX)] if row["name"].endswith(ASIDE_SUFFIX) else row["name"]
            # Set aside by a killed run: it served until then.
            running = row["running"] or row["name"] != name
            self.holders.append(dict(row, current=row["name"], name=name, running=running))
        self.holders.sort(key=lambda h: h["name"])
        return self.holders

    @staticmethod
    def describe(holder):
        return "container %s of image %s, %s%s" % (
            holder["id"], holder["image"], "compose project %s" % holder["project"] if holder["project"] else "no compose project",
            ", set aside" if holder["current"] != holder["name"] else "")

    def set_aside(self):
        for holder in self.holders:
            if holder["current"] == holder["name"]:
                self.engine.rename_container(holder["id"], holder["name"] + ASIDE_SUFFIX)
                holder["current"] = holder["name"] + ASIDE_SUFFIX
            self.engine.stop_container(holder["id"])

    def finish(self):
        """The project is healthy: its new containers join the holders' other networks (what was not
        taken over yet still finds them by name there: a hand-run application its database server,
        the new Traefik the hand-run applications), then the holders go, their volumes and
        bind-mounted data stay. Returns the bridges, [{container, network}]; playbooks/adopt.yml
        removes them once every container is taken over."""
        bridges = []
        for holder in self.holders:
            have = set(self.engine.container_networks(holder["name"]))
            for network in self.engine.container_networks(holder["id"]):
                if network not in have and network not in DEFAULT_NETWORKS:
                    self.engine.connect_network(network, holder["name"])
                    bridges.append({"container": holder["name"], "network": network})
            self.engine.remove_container(holder["id"])
        return bridges

    def undo(self):
        """The project did not become healthy: its containers of these names go, the holders come back.
        Returns the names of the holders that run again."""
        for row in self.engine.named_containers(self.names):
            if row["project"] == self.project:
                self.engine.remove_container(row["id"], force=True)
        started = []
        for holder in self.holders:
            self.engine.rename_container(holder["id"], holder["name"])
            if holder["running"]:
                self.engine.start_container(holder["id"])
                started.append(holder["name"])
        return started
