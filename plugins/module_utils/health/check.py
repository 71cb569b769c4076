# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Health checks of many endpoints at once: validation, retries, concurrency, a summary table.

Private to the collection; standard library only. An endpoint is the mapping the catalog's
``health_targets`` returns (``name``, ``service``, ``environment``, ``kind``, ``url``, ``host``,
``port``, ``container``) plus optional ``address``, ``conditions`` and ``timeout``. Every
endpoint and condition is checked before the first probe, so a typo never costs a run.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ansible_collections.korczewski.platform.plugins.module_utils.health.conditions import parse_conditions
from ansible_collections.korczewski.platform.plugins.module_utils.health import probes
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.services import inspect_swarm_container

KINDS = ("https", "http", "tcp", "container")
ENDPOINT_KEYS = ("name", "service", "environment", "kind", "url", "host", "address", "port", "container",
                 "conditions", "timeout")
DEFAULT_CONDITIONS = {
    "https": ["[STATUS] == 200"],
    "http": ["[STATUS] == 200"],
    "tcp": ["[CONNECTED] == true"],
    "container": ["[CONTAINER_HEALTH] == healthy"],
}
_HTTP = {"STATUS", "RESPONSE_TIME", "BODY", "CONNECTED"}
MEASURED = {
    "https": _HTTP | {"CERTIFICATE_EXPIRATION"},
    "http": _HTTP,
    "tcp": {"CONNECTED", "RESPONSE_TIME"},
    "container": {"CONTAINER_HEALTH", "CONTAINER_STATE"},
}
_CONTAINER_PORT = {"CONNECTED", "RESPONSE_TIME"}


class Endpoint:
    """One validated endpoint."""

    def __init__(self, index, raw):
        self.index = index
        self.name = raw.get("name")
        self.service = raw.get("service")
        self.environment = raw.get("environment")
        self.kind = raw.get("kind")
        self.url = raw.get("url")
        self.host = raw.get("host")
        self.address = raw.get("address")
        self.port = raw.get("port")
        self.container = raw.get("container")
        self.condition_texts = []
        self.conditions = []
        self.timeout = raw.get("timeout")

    @property
    def label(self):
        return "endpoints[%d] (%s)" % (self.index, self.name) if self.name else "endpoints[%d]" % self.index

    @property
    def target(self):
        if self.kind in ("http", "https"):
            return self.url
        if self.kind == "tcp":
            return "%s:%s" % (self.address or self.host or "127.0.0.1", self.port)
        return "container %s%s" % (self.container, ":%s" % self.port if self.port else "")

    def measured(self):
        names = set(MEASURED[self.kind])
        if self.kind == "container" and self.port:
            names |= _CONTAINER_PORT
        return names


def _port(value):
    if isinstance(value, bool):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 and str(port) == str(value).strip() else None


def _infer_kind(raw):
    url = raw.get("url")
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return urlsplit(url).scheme
    if raw.get("container"):
        return "container"
    if raw.get("port"):
        return "tcp"
    return None


def _check_url(ep, errors):
    if not isinstance(ep.url, str) or not ep.url:
        errors.append("%s: url is required for kind %s" % (ep.label, ep.kind))
        return
    try:
        parts = urlsplit(ep.url)
        url_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        errors.append("%s: url %r is not valid: %s" % (ep.label, ep.url, exc))
        return
    if parts.scheme != ep.kind:
        errors.append("%s: url %r does not start with %s:// although kind is %s" % (ep.label, ep.url, ep.kind, ep.kind))
    elif not parts.hostname:
        errors.append("%s: url %r has no host" % (ep.label, ep.url))
    if ep.port is not None and _port(ep.port) != url_port:
        errors.append("%s: port %r differs from the url's port %d (the url decides)" % (ep.label, ep.port, url_port))
    ep.port = url_port


def _check_endpoint(ep, raw, errors):
    if ep.kind is None:
        ep.kind = _infer_kind(raw)
        if ep.kind is None:
            errors.append("%s: kind is required (one of %s)" % (ep.label, ", ".join(KINDS)))
            return
    if ep.kind not in KINDS:
        errors.append("%s: kind %r is not one of %s" % (ep.label, ep.kind, ", ".join(KINDS)))
        return
    for key in ("service", "environment", "host", "address"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            errors.append("%s: %s must be a string, got %r" % (ep.label, key, raw[key]))
    if ep.kind in ("http", "https"):
        _check_url(ep, errors)
    elif ep.kind == "tcp" or ep.port is not None:
        if _port(ep.port) is None:
            errors.append("%s: port %s for kind %s" % (
                ep.label, "is required" if ep.port is None else "%r is not a TCP port" % (ep.port,), ep.kind))
        else:
            ep.port = _port(ep.port)
    if ep.kind == "container":
        ep.container = ep.container or ep.name
    if ep.timeout is not None:
        if isinstance(ep.timeout, bool) or not isinstance(ep.timeout, (int, float)) or ep.timeout <= 0:
            errors.append("%s: timeout must be a positive number of seconds, got %r" % (ep.label, ep.timeout))


def _check_conditions(ep, raw, errors):
    texts = raw.get("conditions")
    if isinstance(texts, str):
        texts = [texts]
    if texts is not None and not isinstance(texts, list):
        errors.append("%s: conditions must be a list of strings" % ep.label)
        return
    if ep.kind not in KINDS:
        return
    ep.condition_texts = list(texts or DEFAULT_CONDITIONS[ep.kind])
    if ep.kind == "container" and ep.port and not texts:
        ep.condition_texts.append("[CONNECTED] == true")
    ep.conditions, problems = parse_conditions(ep.condition_texts)
    errors.extend("%s: %s" % (ep.label, problem) for problem in problems)
    measured = ep.measured()
    for condition in ep.conditions:
        for name in sorted(condition.placeholders - measured):
            errors.append("%s: condition %r: a %s probe%s does not measure [%s] (it measures %s)" % (
                ep.label, condition.text, ep.kind, " without port" if ep.kind == "container" else "", name,
                ", ".join("[%s]" % m for m in sorted(measured))))


def normalize_endpoints(raw_endpoints):
    """Validate endpoint mappings; returns (endpoints, errors, warnings), every error naming its endpoint."""
    endpoints, errors, warnings, names = [], [], [], {}
    for index, raw in enumerate(raw_endpoints or []):
        if not isinstance(raw, dict):
            errors.append("endpoints[%d]: must be a mapping, got %r" % (index, raw))
            continue
        ep = Endpoint(index, raw)
        if not isinstance(ep.name, str) or not ep.name:
            errors.append("%s: name is required" % ep.label)
        elif ep.name in names:
            errors.append("%s: name %r is also used by endpoints[%d]" % (ep.label, ep.name, names[ep.name]))
        else:
            names[ep.name] = index
        unknown = sorted(set(raw) - set(ENDPOINT_KEYS))
        if unknown:
            warnings.append("%s: ignoring unknown key%s %s (known: %s)" % (
                ep.label, "s" if len(unknown) > 1 else "", ", ".join(map(str, unknown)), ", ".join(ENDPOINT_KEYS)))
        _check_endpoint(ep, raw, errors)
        _check_conditions(ep, raw, errors)
        endpoints.append(ep)
    return endpoints, errors, warnings


def _observe_container(ep, timeout, docker_socket, engine="compose"):
    if engine == "swarm":
        # On a manager, the container may run on any node: the swarm's tasks tell its state.
        seen = inspect_swarm_container(ep.service, ep.environment, ep.container, "unix://" + docker_socket, timeout)
    else:
        seen = probes.inspect_container(ep.container, docker_socket, timeout)
    obs = {"container_state": seen["state"], "container_health": None, "error": seen["error"]}
    if seen["error"] is None:
        obs["container_health"] = probes.container_health(seen["state"], seen["health"])
    if not ep.port:
        return obs
    address = ep.address or seen["ip"] or ("127.0.0.1" if seen["network_mode"] == "host" else None)
    obs["address"] = address
    if seen["error"] is None and seen["state"] != "running":
        obs["error"] = "container %s is %s" % (ep.container, seen["state"])
    elif seen["error"] is None and address is None:
        obs["error"] = "container %s has no IP address (network mode %s)" % (ep.container, seen["network_mode"])
    elif seen["error"] is None:
        obs.update(probes.probe_tcp(address, ep.port, timeout))
    return obs


def observe(ep, timeout, context=None, docker_socket=probes.DOCKER_SOCKET, engine="compose"):
    """One probe of one endpoint, as a dict whose keys are a subset of the result fields."""
    timeout = ep.timeout or timeout
    if ep.kind in ("http", "https"):
        return probes.probe_http(ep.url, host=ep.host, address=ep.address, timeout=timeout, context=context)
    if ep.kind == "tcp":
        address = probes.connect_address(ep.host, ep.address)
        return dict(probes.probe_tcp(address, ep.port, timeout), address=address)
    return _observe_container(ep, timeout, docker_socket, engine)


def facts_of(ep, obs):
    """Placeholder values from an observation, with a reason for each one that has none."""
    facts = {
        "STATUS": obs.get("status"),
        "RESPONSE_TIME": obs.get("latency_ms"),
        "BODY": obs.get("body"),
        "CERTIFICATE_EXPIRATION": obs.get("certificate_expires_in"),
        "CONNECTED": obs.get("connected"),
        "CONTAINER_HEALTH": obs.get("container_health"),
        "CONTAINER_STATE": obs.get("container_state"),
    }
    why = obs.get("error") or "the %s probe got no value" % ep.kind
    facts["_missing"] = dict((name, why) for name, value in facts.items() if value is None)
    return facts


def check(ep, timeout=5.0, retries=2, retry_interval=1.0, context=None, docker_socket=probes.DOCKER_SOCKET,
          engine="compose"):
    """Probe until every condition passes or the retries are spent; returns the endpoint's result."""
    attempts = 0
    while True:
        attempts += 1
        obs = observe(ep, timeout, context, docker_socket, engine)
        facts = facts_of(ep, obs)
        failed = []
        for condition in ep.conditions:
            passed, reason = condition.evaluate(facts)
            if not passed:
                failed.append("%s (%s)" % (condition.text, reason))
        if not failed or attempts > retries:
            break
        time.sleep(retry_interval)
    expires = obs.get("certificate_expires_in")
    return {
        "name": ep.name, "service": ep.service, "environment": ep.environment, "kind": ep.kind,
        "target": ep.target, "url": ep.url if ep.kind in ("http", "https") else None,
        "host": ep.host or (urlsplit(ep.url).hostname if ep.kind in ("http", "https") else None),
        "address": obs.get("address"), "port": ep.port,
        "container": ep.container if ep.kind == "container" else None,
        "ok": not failed, "status": obs.get("status"), "latency_ms": obs.get("latency_ms"),
        "certificate_expires_in_hours": round(expires / 3600.0, 1) if expires is not None else None,
        "container_health": obs.get("container_health"), "container_state": obs.get("container_state"),
        "connected": obs.get("connected"), "failed_conditions": failed, "error": obs.get("error"),
        "attempts": attempts, "conditions": list(ep.condition_texts),
    }


def run_checks(endpoints, timeout=5.0, retries=2, retry_interval=1.0, workers=16, context=None,
               docker_socket=probes.DOCKER_SOCKET, engine="compose"):
    """Check every endpoint concurrently (at most ``workers`` at a time); results in input order."""
    if not endpoints:
        return []

    def one(ep):
        return check(ep, timeout, retries, retry_interval, context, docker_socket, engine)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(endpoints)))) as pool:
        return list(pool.map(one, endpoints))


def _status_cell(result):
    if result["status"] is not None:
        return str(result["status"])
    if result["kind"] == "container" and result["container_health"]:
        return result["container_health"]
    if result["connected"] is not None:
        return "open" if result["connected"] else "closed"
    return "-"


def summary_table(results):
    """A plain text table (name, target, status, latency, result) for a playbook to print."""
    rows = [("NAME", "TARGET", "STATUS", "LATENCY", "RESULT")]
    for res in results:
        latency = "%d ms" % round(res["latency_ms"]) if res["latency_ms"] is not None else "-"
        outcome = "ok" if res["ok"] else "FAIL " + "; ".join(res["failed_conditions"])
        if res["attempts"] > 1:
            outcome += " [%d attempts]" % res["attempts"]
        rows.append((res["name"], res["target"], _status_cell(res), latency, outcome))
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
                 row[3].rjust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def failure_message(results):
    """One line per failed endpoint with each failed condition (the module's msg)."""
    failed = [res for res in results if not res["ok"]]
    lines = ["%d of %d endpoints failed:" % (len(failed), len(results))]
    for res in failed:
        lines.append("%s (%s): %s" % (res["name"], res["target"], "; ".join(res["failed_conditions"])))
    return "\n".join(lines)
