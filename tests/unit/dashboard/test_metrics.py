# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""/metrics: Prometheus text for units, health and violations per service."""

from __future__ import annotations

import pytest

pytest.importorskip("psutil", reason="the dashboard's dependencies (dashboard/requirements.lock)")

from korczewski_dashboard import metrics  # noqa: E402  pylint: disable=wrong-import-position


def status():
    cell = {"status": "violating", "state": "running", "health": [
        {"name": 'we"b', "ok": False, "latency_ms": 12.5, "certificate_days": 9.5}]}
    return {"services": [{"service": "payment", "environments": {"production": cell, "development": None}},
                         {"service": "auth", "environments": {"production": dict(cell, state="stopped", health=[])}}],
            "violations": [{"unit": "payment/production", "active": True}, {"unit": "auth/production", "active": False}]}


def test_units_health_and_violations_are_exposed():
    text = metrics.render(status())
    assert 'platform_unit_up{environment="production",service="payment"} 1' in text
    assert 'platform_unit_up{environment="production",service="auth"} 0' in text
    assert 'platform_health_up{endpoint="we\\"b",environment="production",service="payment"} 0' in text
    assert 'platform_health_latency_seconds{endpoint="we\\"b",environment="production",service="payment"} 0.0125' in text
    assert 'platform_certificate_expiry_days{endpoint="we\\"b",environment="production",service="payment"} 9.5' in text
    assert 'platform_single_environment_violations{service="payment"} 1' in text
    assert 'platform_single_environment_violations{service="auth"} 0' in text
    assert text.endswith("\n") and "development" not in text
