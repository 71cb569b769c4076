# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A unit's state and one-line summary, from what discovery found for it."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.methods import unit_containers


def unit_state(unit, expected):
    """(state, one-line summary) of a unit from its discovered containers and dev servers."""
    project = unit["project"]
    own = unit_containers(unit)
    running = [c for c in own if c["state"] == "running"]
    healthy = [c for c in running if c["health"] == "healthy"]
    unhealthy = [c for c in running if c["health"] == "unhealthy"]
    managed = [s for s in unit["dev_servers"] if s["managed"]]
    servers_up = sorted(set(s["name"] for s in managed if s["running"]))
    want_containers = expected["replicas"]
    want_servers = len(expected["servers"])
    up = min(len(running), want_containers) + len(servers_up)
    if up == 0:
        state = "stopped" if own or managed else "missing"
    elif unhealthy:
        state = "unhealthy"
    elif up >= want_containers + want_servers:
        state = "running"
    else:
        state = "partial"
    parts = []
    if want_containers or own:
        text = "%d/%d containers running" % (len(running), want_containers)
        health = []
        if healthy:
            health.append("%d healthy" % len(healthy))
        if unhealthy:
            health.append("%d unhealthy" % len(unhealthy))
        if health:
            text += " (%s)" % ", ".join(health)
        parts.append(text)
    if want_servers == 1 and not want_containers:
        server = [s for s in managed if s["running"]]
        if server:
            parts.append("dev server running (pid %d, port%s %s)" % (
                server[0]["pid"], "s" if len(server[0]["ports"]) != 1 else "",
                ", ".join(str(p) for p in server[0]["ports"]) or "none yet"))
        else:
            parts.append("dev server not running")
    elif want_servers:
        parts.append("%d/%d dev servers running" % (len(servers_up), want_servers))
    if want_containers:
        parts.append("project %s" % project)
    others = len(unit["containers"]) - len(own)
    strays = len([s for s in unit["dev_servers"] if not s["managed"]])
    extra = []
    if others:
        extra.append("%d container%s outside the project" % (others, "s" if others != 1 else ""))
    if strays:
        extra.append("%d unmanaged dev process group%s" % (strays, "s" if strays != 1 else ""))
    summary = "%s/%s: %s" % (unit["service"], unit["environment"], ", ".join(parts) or state)
    if extra:
        summary += "; also " + ", ".join(extra)
    return state, summary
