# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The seed inventories' catalogs as Ansible itself templates them validate clean for their own
host (its platform_gpus and CPU fallback), and docker compose accepts the production vLLM stack
as it renders there: real image names, a GPU reservation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
DOCKER_COMPOSE_PLUGIN = "/usr/local/lib/docker/cli-plugins/docker-compose"


def _rendered_inventory(inventory, host):
    """platform_services and platform_domain as Ansible templates them for one host."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.oneline", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    proc = subprocess.run(
        [ansible, host, "-i", inventory, "-m", "ansible.builtin.debug",
         "-a", "msg={{ {'services': platform_services, 'domain': platform_domain, "
               "'network': platform_network | default(none), 'gpus': platform_gpus | default([]), "
               "'gpu_fallback': platform_gpu_fallback | default('none')} }}"],
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
    catalog, errors, warnings = Catalog.check(rendered["services"], rendered["domain"], rendered["network"],
                                              rendered["gpus"], rendered["gpu_fallback"])
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


def _host(rendered):
    return Catalog.load(rendered["services"], rendered["domain"], rendered["network"], rendered["gpus"],
                        rendered["gpu_fallback"])


def test_local_host_runs_the_vllm_stack_without_gpus_on_purpose():
    rendered = _rendered_inventory("inventory/local", "localhost")
    assert (rendered["gpus"], rendered["gpu_fallback"]) == ([], "cpu")
    catalog = _host(rendered)
    assert any(".containers[1].gpus: container 'vllm-rag' asks for GPUs (all), but this host declares none: it runs "
               "without them" in warning for warning in catalog.warnings)
    spec = catalog.compose_project("vllm-rag", "production")["services"]["vllm-rag"]
    assert spec["image"] == "local/vllm-standin:1" and "deploy" not in spec
    # Without the explicit fallback the same host refuses the container.
    dummy, errors, dummy = Catalog.check(rendered["services"], rendered["domain"], rendered["network"], [], "none")
    assert errors == ["platform_services.vllm-rag.environments.production.containers[1].gpus: container 'vllm-rag' asks "
                      "for GPUs (all), but this host declares none (platform_gpus); declare them, or set "
                      "platform_gpu_fallback: cpu to run it without"]


@pytest.mark.skipif(not os.access(DOCKER_COMPOSE_PLUGIN, os.X_OK), reason="needs the Docker Compose v2 plugin")
def test_production_vllm_stack_passes_docker_compose_config(tmp_path):
    rendered = _rendered_inventory("inventory/production", "korczewski-prod")
    project = _host(rendered).compose_project("vllm-rag", "production", env_file="secrets.env",
                                              traefik={"certresolver": "letsencrypt"})
    services = project["services"]
    assert services["vllm-rag"]["image"] == "vllm/vllm-openai:latest"
    assert services["open-webui-rag"]["image"] == "ghcr.io/open-webui/open-webui:main"
    assert services["qdrant-rag"]["image"] == "qdrant/qdrant:latest"
    assert services["vllm-rag"]["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]
    (tmp_path / "secrets.env").write_text("VLLM_API_KEY='x'\n", encoding="utf-8")
    # postgres-rag's password is a compose secret (secret_env file: true).
    assert sorted(project["secrets"]) == ["POSTGRES_PASSWORD", "WEBUI_SECRET_KEY"]
    (tmp_path / "secrets").mkdir()
    for name in project["secrets"]:
        (tmp_path / "secrets" / name).write_text("x", encoding="utf-8")
    path = tmp_path / "compose.yml"
    path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    proc = subprocess.run([DOCKER_COMPOSE_PLUGIN, "-f", str(path), "config", "--quiet"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    # What compose makes of it: the reservation and the shared memory reach the engine's model.
    proc = subprocess.run([DOCKER_COMPOSE_PLUGIN, "-f", str(path), "config", "--format", "json"], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    vllm = json.loads(proc.stdout)["services"]["vllm-rag"]
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert vllm["shm_size"] in ("16g", "17179869184", 17179869184)
    # Only Open WebUI and /v1 are routed; qdrant, infinity and postgres-rag carry no router.
    routed = sorted(name for name, spec in services.items() if spec["labels"].get("traefik.enable") == "true")
    assert routed == ["open-webui-rag", "vllm-rag"]
