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
    for name in ("DASHBOARD_CATALOG", "DASHBOARD_CATALOG_JSON"):
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
