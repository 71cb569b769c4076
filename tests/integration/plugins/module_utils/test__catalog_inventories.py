# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The seed inventories' catalogs as Ansible itself templates them validate clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils._catalog import Catalog

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def _rendered_inventory(inventory, host):
    """platform_services and platform_domain as Ansible templates them for one host."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.oneline", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    proc = subprocess.run(
        [ansible, host, "-i", inventory, "-m", "ansible.builtin.debug",
         "-a", "msg={{ {'services': platform_services, 'domain': platform_domain, "
               "'network': platform_network | default(none)} }}"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    return json.loads(out[out.index("{"):])["msg"]


@pytest.mark.parametrize("inventory,host,domain", [
    ("inventory/production", "korczewski-prod", "korczewski.de"),
    ("inventory/local", "localhost", "platform.localhost"),
])
def test_seed_inventory_catalog_validates_clean(inventory, host, domain):
    rendered = _rendered_inventory(inventory, host)
    assert rendered["domain"] == domain
    catalog, errors, warnings = Catalog.check(rendered["services"], rendered["domain"], rendered["network"])
    assert errors == []
    assert set(catalog.services) == {"traefik", "shared-postgres", "auth", "l2p", "payment", "videovault",
                                     "vllm-rag", "dashboard"}
    # The seed's names survive templating.
    assert catalog.container_names(environment="production") == [
        "shared-postgres", "traefik", "auth-service", "l2p-app", "l2p-api", "web", "videovault",
        "open-webui-rag", "vllm-rag", "qdrant-rag", "infinity-embeddings", "postgres-rag", "rag-ingest-engine",
        "vllm-dashboard"]
    assert catalog.container_names(environment="development") == [
        "postgres-dev", "l2p-frontend-dev", "l2p-backend-dev", "videovault-dev", "qdrant-dev", "infinity-dev"]
    databases = [d["name"] for d in catalog.databases("production")]
    assert databases == ["auth_db", "l2p_db", "payment_db", "videovault_db"]
    for unit in catalog.units(environment="production"):
        if unit["service"] not in ("traefik", "shared-postgres"):
            env = catalog.environment(unit["service"], "production")
            assert catalog.hostname(env) == "%s.%s" % (env.hostname, domain)
