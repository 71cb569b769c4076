# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus text exposition of a status (``/metrics``): up, health, latency, certificate
expiry and single-environment violations per service."""

from __future__ import annotations

import psutil

from .state import RUNNING, violations_per_service

_SELF = psutil.Process()


def _labels(**labels):
    return "{%s}" % ",".join('%s="%s"' % (k, str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
                             for k, v in sorted(labels.items()))


def render(status):
    lines = [
        "# HELP platform_unit_up Whether the rightful instance of a service environment runs (1) or not (0).",
        "# TYPE platform_unit_up gauge",
    ]
    health = []
    for row in status["services"]:
        for env, cell in sorted(row["environments"].items()):
            if cell is None:
                continue
            lines.append("platform_unit_up%s %d" % (_labels(service=row["service"], environment=env),
                                                    1 if cell["state"] == RUNNING else 0))
            health.extend((row["service"], env, h) for h in cell["health"])
    lines += ["# HELP platform_health_up Whether the endpoint passed its last health check.",
              "# TYPE platform_health_up gauge"]
    for service, env, h in health:
        if h["ok"] is not None:
            lines.append("platform_health_up%s %d" % (_labels(service=service, environment=env, endpoint=h["name"]),
                                                      1 if h["ok"] else 0))
    lines += ["# HELP platform_health_latency_seconds Latency of the endpoint's last health check.",
              "# TYPE platform_health_latency_seconds gauge"]
    for service, env, h in health:
        if h["latency_ms"] is not None:
            lines.append("platform_health_latency_seconds%s %.4f" % (
                _labels(service=service, environment=env, endpoint=h["name"]), h["latency_ms"] / 1000.0))
    lines += ["# HELP platform_certificate_expiry_days Days until the endpoint's TLS certificate expires.",
              "# TYPE platform_certificate_expiry_days gauge"]
    for service, env, h in health:
        if h["certificate_days"] is not None:
            lines.append("platform_certificate_expiry_days%s %.1f" % (
                _labels(service=service, environment=env, endpoint=h["name"]), h["certificate_days"]))
    lines += ["# HELP platform_single_environment_violations Running strays breaking the single-environment rule.",
              "# TYPE platform_single_environment_violations gauge"]
    for service, count in sorted(violations_per_service(status).items()):
        lines.append("platform_single_environment_violations%s %d" % (_labels(service=service), count))
    return "\n".join(lines) + "\n"


def process_metrics():
    """The dashboard's own footprint, read per scrape (cheap: one /proc/self read each)."""
    memory = _SELF.memory_info()
    cpu = _SELF.cpu_times()
    return ("# HELP process_resident_memory_bytes Resident memory of the dashboard.\n"
            "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n"
            "# HELP process_cpu_seconds_total CPU time of the dashboard.\n"
            "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
            % (memory.rss, cpu.user + cpu.system))
