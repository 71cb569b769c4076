# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Containers as discovery reports them: the facts of one listed container, completed by an
inspect (state, health, restarts, networks, the database host it is pointed at, never a secret)."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import (
    LABEL_ENVIRONMENT,
    LABEL_SERVICE,
)

LABEL_PROJECT = "com.docker.compose.project"


def container_record(raw):
    """The facts of one entry of GET /containers/json."""
    labels = raw.get("Labels") or {}
    names = raw.get("Names") or []
    ports = sorted(set(p["PublicPort"] for p in raw.get("Ports") or [] if p.get("PublicPort")))
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        "name": names[0].lstrip("/") if names else raw.get("Id", "")[:12],
        "id": raw.get("Id", "")[:12],
        "full_id": raw.get("Id", ""),
        "project": labels.get(LABEL_PROJECT),
        "state": raw.get("State"),
        "health": _health_from_status(raw.get("Status") or ""),
        "image": raw.get("Image"),
        "started_at": None,
        "restart_count": None,
        "exit_code": None,
        "restart_policy": None,
        "labels": {"service": labels.get(LABEL_SERVICE), "environment": labels.get(LABEL_ENVIRONMENT)},
        "ports": ports,
        "volumes": sorted(set(m.get("Name") for m in raw.get("Mounts") or []
                              if m.get("Type") == "volume" and m.get("Name"))),
        "networks": sorted(networks),
        "addresses": sorted(set(n.get("IPAddress") for n in networks.values() if n.get("IPAddress"))),
    }


def _health_from_status(status):
    for word in ("healthy", "unhealthy"):
        if "(%s)" % word in status:
            return word
    return "starting" if "(health: starting)" in status else None


def add_inspect(record, info):
    state = info.get("State") or {}
    config = info.get("Config") or {}
    record["state"] = state.get("Status") or record["state"]
    record["health"] = (state.get("Health") or {}).get("Status") or None
    record["started_at"] = state.get("StartedAt")
    record["restart_count"] = info.get("RestartCount")
    record["exit_code"] = state.get("ExitCode")
    record["restart_policy"] = ((info.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no"
    record["image"] = config.get("Image") or record["image"]
    networks = (info.get("NetworkSettings") or {}).get("Networks") or {}
    record["networks"] = sorted(networks)
    record["addresses"] = sorted(set(n.get("IPAddress") for n in networks.values() if n.get("IPAddress")))
    record["aliases"] = sorted(set(a for n in networks.values() for a in (n.get("Aliases") or [])))
    record["database_hosts"] = database_hosts(config.get("Env") or [])


def database_hosts(env_list):
    """DATABASE_HOST and the host part of DATABASE_URL from a container's environment: never
    the rest of the URL, which may hold a password."""
    hosts = {}
    for item in env_list:
        key, dummy, value = item.partition("=")
        if key == "DATABASE_HOST" and value:
            hosts["DATABASE_HOST"] = value
        elif key == "DATABASE_URL" and value:
            try:
                host = urlsplit(value).hostname
            except ValueError:
                host = None
            if host:
                hosts["DATABASE_URL"] = host
    return hosts


def public(record):
    keys = ("name", "id", "project", "state", "health", "image", "started_at", "restart_count", "exit_code",
            "restart_policy", "matched",
            "ports", "volumes", "networks", "database_hosts")
    return dict((k, record.get(k)) for k in keys)
