# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One health round over the catalog's health targets, with the collection's own probes and
Gatus-style conditions (``health.check``). Container targets are judged from the discovery just made
(the same Docker facts ``health.check`` reads), so the web container needs no Docker socket for them."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.korczewski.platform.plugins.module_utils.health import check as _health
from ansible_collections.korczewski.platform.plugins.module_utils.health import probes


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _loopback(target):
    host = urlsplit(target["url"]).hostname if target.get("url") else (target.get("address") or target.get("host"))
    return target.get("kind") in ("http", "tcp") and (host is None or host in LOOPBACK)


def endpoints(catalog, https_port=443, https_address=None, probe_loopback=True):
    """(validated endpoints, {unit key: [endpoint names]}) from the catalog's health targets.

    ``probe_loopback=False`` leaves out the targets on the host's loopback (published development
    ports, dev servers): a dashboard in a container of its own network cannot reach them, and a
    failed probe there would call a healthy unit unhealthy. Discovery still reports their state.
    """
    targets = catalog.health_targets(https_port=https_port)
    if not probe_loopback:
        targets = [t for t in targets if not _loopback(t)]
    # A dev server is named after its service, which a production container may be too: the
    # environment tells them apart, where the probe module would refuse the duplicate name.
    seen = {}
    for target in targets:
        seen[target["name"]] = seen.get(target["name"], 0) + 1
    for target in targets:
        if seen[target["name"]] > 1:
            target["name"] = "%s (%s)" % (target["name"], target["environment"])
    if https_address:
        for target in targets:
            if target.get("kind") == "https":
                target["address"] = https_address
    eps, errors, dummy = _health.normalize_endpoints(targets)
    if errors:
        raise ValueError("the catalog's health targets are invalid: %s" % "; ".join(errors))
    by_unit = {}
    for ep in eps:
        by_unit.setdefault("%s/%s" % (ep.service, ep.environment), []).append(ep.name)
    return eps, by_unit


def _containers(discovery):
    found = {}
    for unit in discovery.get("units") or []:
        for cont in unit.get("containers") or []:
            if cont.get("project") == unit.get("project"):
                found.setdefault(cont["name"], cont)
    return found


def container_result(ep, record):
    """The result ``health.check.check`` would give for a container endpoint, from a discovered record."""
    if record is None:
        obs = {"container_state": None, "container_health": None, "error": "no container named %r" % ep.container}
    else:
        obs = {"container_state": record.get("state"), "error": None,
               "container_health": probes.container_health(record.get("state"), record.get("health"))}
    facts = _health.facts_of(ep, obs)
    failed = []
    for condition in ep.conditions:
        passed, reason = condition.evaluate(facts)
        if not passed:
            failed.append("%s (%s)" % (condition.text, reason))
    return {"name": ep.name, "service": ep.service, "environment": ep.environment, "kind": ep.kind,
            "target": ep.target, "ok": not failed, "status": None, "latency_ms": None,
            "certificate_expires_in_hours": None, "container_health": obs["container_health"],
            "container_state": obs["container_state"], "failed_conditions": failed, "error": obs["error"]}


def run_round(eps, discovery, timeout, context=None):
    """Every endpoint once (no retries: the next round is the retry); results in input order."""
    probed = [ep for ep in eps if ep.kind != "container"]
    results = dict((r["name"], r) for r in _health.run_checks(probed, timeout=timeout, retries=0, context=context))
    containers = _containers(discovery or {})
    for ep in eps:
        if ep.kind == "container":
            results[ep.name] = container_result(ep, containers.get(ep.container))
    return [results[ep.name] for ep in eps]


def ssl_context(ca_file=None, validate_certs=True):
    return probes.ssl_context(ca_file, validate_certs)
