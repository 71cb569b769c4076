# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings from the environment: the catalog as a file or inline (the development server's way)."""

from __future__ import annotations

import json

import pytest

from korczewski_dashboard.config import ConfigError, from_environment

CATALOG = {"services": {"auth": {}}, "domain": "platform.localhost", "network": "platform"}
SECRETS = {"DASHBOARD_PASSWORD_HASH": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "DASHBOARD_SESSION_SECRET": "s" * 40}


@pytest.fixture
def env(monkeypatch):
    for name in ("DASHBOARD_CATALOG", "DASHBOARD_CATALOG_JSON", "DASHBOARD_TRUSTED_PROXIES", "DASHBOARD_AUDIT_LOG",
                 "DASHBOARD_REVOKED_SESSIONS", "DASHBOARD_SESSION_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_the_catalog_inline_needs_no_file(env):
    env.setenv("DASHBOARD_CATALOG_JSON", json.dumps(CATALOG))
    assert from_environment().load_catalog() == (CATALOG["services"], "platform.localhost", "platform")


def test_the_catalog_file(env, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    env.setenv("DASHBOARD_CATALOG", str(path))
    assert from_environment().load_catalog()[1] == "platform.localhost"


def test_without_either_the_settings_name_both(env):
    with pytest.raises(ConfigError, match=r"DASHBOARD_CATALOG \(or DASHBOARD_CATALOG_JSON\)"):
        from_environment()


@pytest.mark.parametrize("text, message", [("{not json", "DASHBOARD_CATALOG_JSON is not JSON"),
                                           ('{"domain": "x"}', "DASHBOARD_CATALOG_JSON must hold")])
def test_a_bad_inline_catalog_names_the_variable(env, text, message):
    env.setenv("DASHBOARD_CATALOG_JSON", text)
    with pytest.raises(ConfigError, match=message):
        from_environment().load_catalog()


def test_no_forwarded_header_is_trusted_by_default(env):
    env.setenv("DASHBOARD_CATALOG_JSON", json.dumps(CATALOG))
    assert from_environment().trusted_proxies == ()


def test_trusted_proxies_are_addresses_networks_or_names(env):
    env.setenv("DASHBOARD_CATALOG_JSON", json.dumps(CATALOG))
    env.setenv("DASHBOARD_TRUSTED_PROXIES", "172.18.0.0/16, traefik,,10.0.0.1")
    assert from_environment().trusted_proxies == ("172.18.0.0/16", "traefik", "10.0.0.1")
    env.setenv("DASHBOARD_TRUSTED_PROXIES", "*")
    with pytest.raises(ConfigError, match="DASHBOARD_TRUSTED_PROXIES: '\\*' is neither"):
        from_environment()


def test_logged_out_sessions_are_kept_beside_the_audit_log(env, tmp_path):
    env.setenv("DASHBOARD_CATALOG_JSON", json.dumps(CATALOG))
    assert from_environment().revoked_sessions is None
    env.setenv("DASHBOARD_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    assert from_environment().revoked_sessions == str(tmp_path / "revoked-sessions.json")
    env.setenv("DASHBOARD_REVOKED_SESSIONS", str(tmp_path / "elsewhere.json"))
    settings = from_environment()
    assert settings.revoked_sessions == str(tmp_path / "elsewhere.json") and settings.session_epoch == "0"
