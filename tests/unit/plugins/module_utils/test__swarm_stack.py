# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A compose project as a swarm stack, from the production inventory's catalog."""

from __future__ import annotations

import json

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.compose.specs import unit_project_specs, unit_secret_paths
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.stack import (
    GPU_LABEL,
    StackError,
    secret_name,
    stack_errors,
    stack_spec,
)

NODE = "n0d3id"


def specs(catalog, units):
    paths = unit_secret_paths(catalog, units)
    secrets = dict((path, "pw-%d-'$x" % index) for index, path in enumerate(paths))
    return dict((s["name"], s) for s in unit_project_specs(catalog, units, secrets, "/srv/projects")), secrets


def test_secrets_env_becomes_one_swarm_secret_per_variable_read_through_file_variables(catalog):
    by_name, secrets = specs(catalog, [("auth", "production")])
    stack_entry, swarm_secrets = stack_spec(by_name["auth-production"], NODE)
    stack = stack_entry["definition"]
    service = stack["services"]["auth-service"]
    assert "env_file" not in service
    keys = dict((s["key"], s) for s in swarm_secrets)
    assert keys["DATABASE_PASSWORD"]["value"] == secrets["shared-postgres/auth_db"]
    assert service["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/DATABASE_PASSWORD"
    assert {"source": keys["DATABASE_PASSWORD"]["name"], "target": "DATABASE_PASSWORD"} in service["secrets"]
    assert stack["secrets"][keys["DATABASE_PASSWORD"]["name"]] == {"external": True, "name": keys["DATABASE_PASSWORD"]["name"]}
    # No value reaches the stack file, and the old secrets file is removed from the node.
    rendered = json.dumps(stack)
    assert not any(s["value"] in rendered for s in swarm_secrets)
    assert [f["state"] for f in stack_entry["files"]] == ["absent"]
    assert stack_errors(stack) == []


def test_routed_stateless_service_floats_with_dnsrr_alias_and_service_labels(catalog):
    by_name, _secrets = specs(catalog, [("auth", "production")])
    stack = stack_spec(by_name["auth-production"], NODE)[0]["definition"]
    service = stack["services"]["auth-service"]
    assert "container_name" not in service and "restart" not in service
    assert service["deploy"]["endpoint_mode"] == "dnsrr"
    assert "placement" not in service["deploy"]
    assert service["networks"] == {"platform": {"aliases": ["auth-service"]}}
    labels = service["deploy"]["labels"]
    assert labels["traefik.enable"] == "true"
    assert labels["traefik.swarm.network"] == "platform"
    assert not any(k.startswith("traefik.docker.") for k in labels)
    assert labels["korczewski.platform.service"] == "auth"
    assert service["labels"]["korczewski.platform.service"] == "auth"
    assert stack["version"] == "3.8" and "name" not in stack


def test_a_changed_secret_gets_a_new_name_and_the_name_hides_the_value():
    first = secret_name("auth-production", "JWT_SECRET", "one")
    assert first == secret_name("auth-production", "JWT_SECRET", "one")
    assert first != secret_name("auth-production", "JWT_SECRET", "two")
    assert first != secret_name("l2p-production", "JWT_SECRET", "one")
    assert "one" not in first and len(first) <= 64
    assert len(secret_name("a" * 60, "B" * 60, "x")) <= 64


def test_a_read_only_service_gets_its_tmpfs_as_mounts_a_stack_keeps():
    spec = {"name": "traefik-production", "project_dir": "/srv/traefik", "files": [], "definition": {
        "name": "traefik-production", "services": {"docker-proxy": {
            "image": "local/docker-socket-proxy:1", "read_only": True, "tmpfs": ["/tmp", "/run"]}}}}
    entry, dummy = stack_spec(spec, NODE)
    proxy = entry["definition"]["services"]["docker-proxy"]
    assert "tmpfs" not in proxy and proxy["read_only"] is True
    assert proxy["volumes"] == [{"type": "tmpfs", "target": "/tmp"}, {"type": "tmpfs", "target": "/run"}]
    assert stack_errors(entry["definition"]) == []


def test_volumes_and_bind_mounts_pin_to_the_applying_node_loopback_ports_go_host_ports_stay():
    spec = {"name": "db", "project_dir": "/srv/db", "files": [
        {"path": "pw", "content": "s3cret-value", "secret": True, "state": "present", "mode": "0600"},
        {"path": "conf/pg_hba.conf", "content": "local all all trust\n", "secret": False, "state": "present", "mode": "0644"}],
        "definition": {"name": "db", "services": {
            "postgres": {"container_name": "shared-postgres", "image": "local/postgres:15", "restart": "unless-stopped",
                         "networks": ["platform"], "ports": ["127.0.0.1:15433:5432"],
                         "volumes": ["pgdata:/var/lib/postgresql/data", "./conf:/etc/pg:ro"],
                         "secrets": ["postgres_password"], "environment": {"POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password"}},
            "proxy": {"image": "local/traefik:3.7.15", "ports": ["0.0.0.0:443:443", "80:8080"], "shm_size": "1g"}},
            "networks": {"platform": {"name": "platform", "external": True}},
            "volumes": {"pgdata": {"name": "pgdata"}},
            "secrets": {"postgres_password": {"file": "./pw"}}}}
    entry, secrets = stack_spec(spec, NODE)
    stack = entry["definition"]
    postgres = stack["services"]["postgres"]
    assert postgres["deploy"]["placement"] == {"constraints": ["node.id == n0d3id"]}
    assert "ports" not in postgres
    assert "/srv/db/conf:/etc/pg:ro" in postgres["volumes"]
    (secret,) = secrets
    assert secret["value"] == "s3cret-value" and secret["key"] == "postgres_password"
    assert postgres["secrets"] == [{"source": secret["name"], "target": "postgres_password"}]
    assert stack["secrets"] == {secret["name"]: {"external": True, "name": secret["name"]}}
    assert dict((f["path"], f["state"]) for f in entry["files"]) == {"pw": "absent", "conf/pg_hba.conf": "present"}
    proxy = stack["services"]["proxy"]
    assert proxy["ports"] == [{"target": 443, "published": 443, "protocol": "tcp", "mode": "host"},
                              {"target": 8080, "published": 80, "protocol": "tcp", "mode": "host"}]
    assert proxy["volumes"] == [{"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": 1024 ** 3}}]
    assert "placement" not in proxy["deploy"]
    assert stack_errors(stack) == []


def test_gpu_reservation_becomes_placement_on_gpu_labelled_nodes():
    spec = {"name": "rag", "project_dir": "/srv/rag", "files": [], "definition": {"services": {"vllm": {
        "image": "vllm/vllm-openai", "deploy": {"resources": {"limits": {"memory": "8g"}, "reservations": {
            "devices": [{"driver": "nvidia", "device_ids": ["0", "1"], "capabilities": ["gpu"]}]}}}}}}}
    service = stack_spec(spec, NODE)[0]["definition"]["services"]["vllm"]
    assert service["deploy"]["placement"]["constraints"] == ["node.labels.%s == true" % GPU_LABEL]
    assert service["deploy"]["resources"] == {"limits": {"memory": "8g"}}
    assert service["environment"]["NVIDIA_VISIBLE_DEVICES"] == "0,1"


def test_stack_errors_name_the_service_and_what_it_lacks():
    stack = {"services": {"a": {"networks": ["nope"], "secrets": [{"source": "s"}], "volumes": ["data:/d", "/x:/y"]}}}
    assert stack_errors(stack) == [
        "service a has no image (a swarm cannot build one)",
        "service a joins the undeclared network nope",
        "service a reads the undeclared secret s",
        "service a mounts the undeclared volume data",
    ]


def test_a_gpu_container_keeps_its_volume_on_the_gpu_node_and_cannot_bind_mount():
    spec = {"name": "rag", "project_dir": "/srv/rag", "files": [], "definition": {"services": {"vllm": {
        "image": "vllm/vllm-openai", "volumes": ["model-cache:/root/.cache"],
        "deploy": {"resources": {"reservations": {"devices": [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]}}}}},
        "volumes": {"model-cache": {"name": "model-cache"}}}}
    service = stack_spec(spec, NODE)[0]["definition"]["services"]["vllm"]
    assert service["deploy"]["placement"]["constraints"] == ["node.labels.%s == true" % GPU_LABEL]
    assert "resources" not in service["deploy"]
    spec["definition"]["services"]["vllm"]["volumes"].append("./models:/models")
    with pytest.raises(StackError, match="project rag, service vllm: a GPU container cannot bind-mount"):
        stack_spec(spec, NODE)
