# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by every test tier: the import path of the collection and the base catalog.

The base catalog is the production inventory's own catalog (inventory/production/group_vars/all/
services.yml) with its ``{{ platform_images.x }}``-style references rendered from the inventory's
platform.yml, plus the few deliberate test variations listed in ``TEST_VARIATIONS``. So a change
of the production catalog reaches the tests, and no hand copy drifts from it. Tests break one
thing at a time on a deep copy (``base_services`` fixture, ``mutate`` helper).
"""

from __future__ import annotations

import copy
import os
import sys

import pytest
import yaml
from jinja2 import StrictUndefined, meta
from jinja2.nativetypes import NativeEnvironment

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# collections/ansible_collections/korczewski/platform links back to the repository root, so the
# checkout imports as ansible_collections.korczewski.platform without an install step.
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "collections")
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)

PRODUCTION_VARS = os.path.join(REPO_ROOT, "inventory", "production", "group_vars", "all")
BASE_DOMAIN = "korczewski.de"


def render_inventory_catalog(group_vars_dir):
    """platform_services of an inventory, its Jinja references resolved from platform.yml the way
    Ansible resolves them (native types: a port stays an integer). Only plain variable references
    are supported; a lookup or an unknown name fails loudly."""
    with open(os.path.join(group_vars_dir, "platform.yml"), encoding="utf-8") as stream:
        variables = yaml.safe_load(stream)
    with open(os.path.join(group_vars_dir, "services.yml"), encoding="utf-8") as stream:
        services = yaml.safe_load(stream)["platform_services"]
    env = NativeEnvironment(undefined=StrictUndefined)
    resolved = {}

    def variable(name):
        if name not in resolved:
            resolved[name] = render(variables[name])
        return resolved[name]

    def render(node):
        if isinstance(node, dict):
            return {key: render(value) for key, value in node.items()}
        if isinstance(node, list):
            return [render(value) for value in node]
        if isinstance(node, str) and "{{" in node:
            names = meta.find_undeclared_variables(env.parse(node))
            return env.from_string(node).render({name: variable(name) for name in names})
        return node

    return render(services)


def _named(items, name):
    for item in items:
        if item["name"] == name:
            return item
    raise LookupError("the unit tests' variation of the production catalog expects '%s' in %s/services.yml"
                      % (name, PRODUCTION_VARS))


def _vllm_rag_variation(services):
    """The vLLM stack as the model tests exercise it: a catalog healthcheck that wins over the
    derived one (qdrant-rag), a dependency list without infinity-embeddings, and development
    members without a health path, so Docker-only and TCP probes are covered too."""
    environments = services["vllm-rag"]["environments"]
    production = environments["production"]["containers"]
    production.remove(_named(production, "infinity-embeddings"))
    qdrant = _named(production, "qdrant-rag")
    del qdrant["health"]
    qdrant["healthcheck"] = {"test": ["CMD", "true"], "interval": "10s"}
    for container in production:
        if "depends_on" in container:
            container["depends_on"] = [d for d in container["depends_on"] if d != "infinity-embeddings"]
    development = environments["development"]
    for name in ("qdrant-dev", "infinity-dev"):
        container = _named(development["containers"], name)
        del container["health"]
        # A grace period belongs to a healthcheck; without the health path only qdrant-dev keeps one.
        if "healthcheck" not in container:
            container.pop("start_period", None)
    del _named(development["local_servers"], "open-webui")["health"]


TEST_VARIATIONS = (_vllm_rag_variation,)


def _base_services():
    services = render_inventory_catalog(PRODUCTION_VARS)
    for variation in TEST_VARIATIONS:
        variation(services)
    return services


BASE_SERVICES = _base_services()


def _production_host():
    """The production host's GPU declaration (platform_gpus, platform_gpu_fallback), as the
    playbooks hand it to the catalog: the base catalog renders as it does on that host."""
    with open(os.path.join(PRODUCTION_VARS, "platform.yml"), encoding="utf-8") as stream:
        variables = yaml.safe_load(stream)
    return {"gpus": variables.get("platform_gpus", []), "gpu_fallback": variables.get("platform_gpu_fallback")}


PRODUCTION_HOST = _production_host()


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
def production_services():
    """The production inventory's catalog as rendered, without the test variations."""
    return render_inventory_catalog(PRODUCTION_VARS)


@pytest.fixture
def production_host():
    """Catalog.load keywords for the production host: its platform_gpus and fallback."""
    return dict(PRODUCTION_HOST)


@pytest.fixture
def base_domain():
    return BASE_DOMAIN


@pytest.fixture
def catalog():
    from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog

    return Catalog.load(fresh_services(), BASE_DOMAIN, **PRODUCTION_HOST)


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
