# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared unit-test fixtures: the import path of the collection and a valid base catalog.

The base catalog is a trimmed copy of the seed's catalog (inventory/production/group_vars/all/
services.yml) written out as plain Python data, so a test never depends on Jinja templating. Tests
break one thing at a time on a deep copy (``base_services`` fixture, ``mutate`` helper).
"""

from __future__ import annotations

import copy
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# collections/ansible_collections/korczewski/platform links back to the repository root, so the
# checkout imports as ansible_collections.korczewski.platform without an install step.
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "collections")
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)

BASE_DOMAIN = "korczewski.de"

BASE_SERVICES = {
    "traefik": {
        "layer": "infrastructure",
        "provides": "proxy",
        "description": "TLS termination, routing by host name, load balancing",
        "environments": {
            "production": {
                "method": "compose",
                "hostname": "traefik",
                "containers": [
                    {
                        "name": "traefik",
                        "image": "traefik:v3.7",
                        "route": False,
                        "publish": [
                            {"host": 80, "address": "0.0.0.0"},
                            {"host": 443, "address": "0.0.0.0"},
                        ],
                    },
                ],
            },
        },
    },
    "shared-postgres": {
        "layer": "infrastructure",
        "provides": "database",
        "environments": {
            "production": {
                "method": "compose",
                "containers": [
                    {
                        "name": "shared-postgres",
                        "image": "postgres:15",
                        "volumes": [{"name": "shared-postgres-data", "path": "/var/lib/postgresql/data"}],
                    },
                ],
            },
            "development": {
                "method": "compose",
                "containers": [
                    {
                        "name": "postgres-dev",
                        "image": "postgres:15",
                        "publish": [{"host": 5433, "container": 5432}],
                        "volumes": [{"name": "postgres-dev-data", "path": "/var/lib/postgresql/data"}],
                    },
                ],
            },
        },
    },
    "auth": {
        "layer": "applications",
        "description": "Authentication service",
        "database": "auth_db",
        "environments": {
            "production": {
                "method": "compose",
                "hostname": "auth",
                "secret_env": ["JWT_SECRET"],
                "containers": [
                    {"name": "auth-service", "image": "korczewski/auth-service:latest", "port": 5500,
                     "health": "/health"},
                ],
            },
            "development": {
                "method": "npm",
                "source": "/home/patrick/projects/auth",
                "script": "dev",
                "port": 5500,
                "health": "/health",
                "secret_env": ["JWT_SECRET"],
            },
        },
    },
    "l2p": {
        "layer": "applications",
        "description": "Learn2Play",
        "database": "l2p_db",
        "environments": {
            "production": {
                "method": "compose_profile",
                "hostname": "l2p",
                "containers": [
                    {"name": "l2p-app", "image": "korczewski/l2p-frontend:latest", "port": 3000,
                     "health": "/health", "database": False},
                    {"name": "l2p-api", "image": "korczewski/l2p-backend:latest", "port": 3001,
                     "health": "/api/health", "route": {"paths": ["/api", "/socket.io"]}},
                ],
            },
            "development": {
                "method": "compose_profile",
                "containers": [
                    {"name": "l2p-frontend-dev", "image": "korczewski/l2p-frontend:latest", "port": 3000,
                     "publish": [3000], "health": "/health", "database": False},
                    {"name": "l2p-backend-dev", "image": "korczewski/l2p-backend:latest", "port": 3001,
                     "publish": [3001], "health": "/health"},
                ],
            },
        },
    },
    "payment": {
        "layer": "applications",
        "description": "Payment service",
        "database": "payment_db",
        "environments": {
            "production": {
                "method": "compose",
                "hostname": "payment",
                "secret_env": ["PAYMENT_PROVIDER_KEY"],
                "containers": [
                    {"name": "web", "image": "korczewski/payment-web:latest", "port": 3004, "health": "/health"},
                ],
            },
            "development": {
                "method": "npm",
                "source": "/home/patrick/projects/payment",
                "port": 3004,
                "health": "/health",
                "secret_env": ["PAYMENT_PROVIDER_KEY"],
            },
        },
    },
    "videovault": {
        "layer": "applications",
        "description": "VideoVault",
        "database": "videovault_db",
        "environments": {
            "production": {
                "method": "compose_service",
                "hostname": "videovault",
                "containers": [
                    {"name": "videovault", "service": "videovault", "image": "korczewski/videovault:latest",
                     "port": 5100, "health": "/health",
                     "volumes": [{"name": "videovault-media", "path": "/data"}]},
                ],
            },
            "development": {
                "method": "compose_service",
                "containers": [
                    {"name": "videovault-dev", "service": "videovault-dev", "image": "korczewski/videovault:latest",
                     "port": 5100, "publish": [5100], "health": "/health",
                     "volumes": [{"name": "videovault-dev-media", "path": "/data"}]},
                ],
            },
        },
    },
    "vllm-rag": {
        "layer": "ai_ml",
        "description": "vLLM RAG stack",
        "environments": {
            "production": {
                "method": "compose",
                "hostname": "vllm",
                "containers": [
                    {"name": "open-webui-rag", "image": "ghcr.io/open-webui/open-webui:main", "port": 8080,
                     "health": "/health", "env": {"OPENAI_API_BASE_URL": "http://vllm-rag:8000/v1"},
                     "volumes": [{"name": "open-webui-rag-data", "path": "/app/backend/data"}]},
                    {"name": "vllm-rag", "image": "vllm/vllm-openai:latest", "port": 8000, "health": "/health",
                     "route": {"paths": ["/v1"]}},
                    {"name": "qdrant-rag", "image": "qdrant/qdrant:latest", "port": 6333, "route": False,
                     "healthcheck": {"test": ["CMD", "true"], "interval": "10s"},
                     "volumes": [{"name": "qdrant-rag-data", "path": "/qdrant/storage"}]},
                    {"name": "postgres-rag", "image": "postgres:15", "route": False,
                     "secret_env": ["POSTGRES_PASSWORD"],
                     "volumes": [{"name": "postgres-rag-data", "path": "/var/lib/postgresql/data"}]},
                    {"name": "rag-ingest-engine", "image": "korczewski/rag-ingest-engine:latest", "route": False,
                     "depends_on": ["qdrant-rag", "postgres-rag"]},
                ],
            },
            "development": {
                "method": "hybrid",
                "containers": [
                    {"name": "qdrant-dev", "image": "qdrant/qdrant:latest", "port": 6333, "publish": [6333],
                     "volumes": [{"name": "qdrant-dev-data", "path": "/qdrant/storage"}]},
                    {"name": "infinity-dev", "image": "michaelf34/infinity:latest", "port": 7997,
                     "publish": [7997]},
                ],
                "local_servers": [
                    {"name": "vllm", "source": "/home/patrick/projects/vllm", "script": "dev", "port": 4100,
                     "health": "/health"},
                    {"name": "open-webui", "source": "/home/patrick/projects/open-webui", "script": "dev",
                     "port": 3005},
                ],
            },
        },
    },
    "dashboard": {
        "layer": "control",
        "description": "Deployment control dashboard",
        "environments": {
            "production": {
                "method": "compose",
                "hostname": "dashboard",
                "containers": [
                    {"name": "vllm-dashboard", "image": "korczewski/vllm-dashboard:latest", "port": 4242,
                     "health": "/health"},
                ],
            },
            "development": {
                "method": "npm",
                "source": "/home/patrick/projects/dashboard",
                "port": 4242,
                "health": "/health",
            },
        },
    },
}


def fresh_services():
    """A deep copy of the base catalog: break it freely."""
    return copy.deepcopy(BASE_SERVICES)


def _split(path):
    if isinstance(path, (list, tuple)):
        return list(path)
    return [int(part) if part.lstrip("-").isdigit() else part for part in str(path).split(".")]


def _walk(root, parts):
    node = root
    for part in parts:
        node = node[part]
    return node


def apply_mutation(services, mutation):
    """Apply one mutation to a services mapping in place.

    A mutation is a mapping with ``op`` and a dotted ``path`` relative to ``platform_services``
    (list indices as numbers, e.g. ``l2p.environments.development.containers.0.port``):

    - ``set``: set ``value`` at ``path`` (creating the last key);
    - ``delete``: remove ``path``;
    - ``append``: append ``value`` to the list at ``path``;
    - ``rename``: rename the last key of ``path`` to ``to``, keeping its value;
    - ``copy``: set ``path`` to a deep copy of the value found at ``from``.
    """
    op = mutation["op"]
    parts = _split(mutation["path"])
    parent = _walk(services, parts[:-1])
    last = parts[-1]
    if op == "set":
        parent[last] = copy.deepcopy(mutation["value"])
    elif op == "delete":
        del parent[last]
    elif op == "append":
        parent[last].append(copy.deepcopy(mutation["value"]))
    elif op == "rename":
        parent[mutation["to"]] = parent.pop(last)
    elif op == "copy":
        parent[last] = copy.deepcopy(_walk(services, _split(mutation["from"])))
    else:
        raise ValueError("unknown mutation op %r" % op)
    return services


def mutated(mutations, services=None):
    """A fresh base catalog (or a deep copy of ``services``) with every mutation applied."""
    result = fresh_services() if services is None else copy.deepcopy(services)
    for mutation in mutations:
        apply_mutation(result, mutation)
    return result


@pytest.fixture
def base_services():
    return fresh_services()


@pytest.fixture
def base_domain():
    return BASE_DOMAIN


@pytest.fixture
def catalog():
    from ansible_collections.korczewski.platform.plugins.module_utils._catalog import Catalog

    return Catalog.load(fresh_services(), BASE_DOMAIN)


@pytest.fixture
def break_catalog():
    """``break_catalog(op, path, value=None, **extra)``: a base catalog with one thing broken."""
    def factory(op, path, value=None, **extra):
        mutation = dict(extra, op=op, path=path)
        if value is not None or op == "set":
            mutation["value"] = value
        return mutated([mutation])
    return factory


@pytest.fixture
def mutate():
    return mutated
