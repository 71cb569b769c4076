# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPUs: a container's request against the host's platform_gpus, in validation and in the
rendered Compose project."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, CatalogError

DOMAIN = "korczewski.de"
VLLM = "vllm-rag.environments.production.containers.1"
GPUS_PATH = "platform_services.vllm-rag.environments.production.containers[1].gpus"


def with_request(mutate, request):
    return mutate([{"op": "set", "path": VLLM + ".gpus", "value": request}])


def vllm_spec(catalog):
    return catalog.compose_project("vllm-rag", "production")["services"]["vllm-rag"]


def devices(spec):
    return spec["deploy"]["resources"]["reservations"]["devices"]


def test_gpu_host_renders_the_device_reservation(base_services):
    spec = vllm_spec(Catalog.load(base_services, DOMAIN, gpus="all"))
    assert devices(spec) == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]
    # Only the container that asks for GPUs reserves them.
    qdrant = Catalog.load(base_services, DOMAIN, gpus="all").compose_project("vllm-rag", "production")["services"]["qdrant-rag"]
    assert "deploy" not in qdrant


@pytest.mark.parametrize("request_, host, expected", [
    (2, 4, {"count": 2}),
    (1, ["0", "1"], {"count": 1}),
    (["1"], ["0", "1"], {"device_ids": ["1"]}),
    ([0, 1], 2, {"device_ids": ["0", "1"]}),
    ("all", 2, {"count": "all"}),
    (3, "all", {"count": 3}),
])
def test_counts_and_device_ids_that_fit_the_host(mutate, request_, host, expected):
    catalog = Catalog.load(with_request(mutate, request_), DOMAIN, gpus=host)
    assert devices(vllm_spec(catalog)) == [dict(expected, driver="nvidia", capabilities=["gpu"])]


@pytest.mark.parametrize("host", [[], 0, None, "none"])
def test_host_without_gpus_refuses_the_container_naming_it(base_services, host):
    catalog, errors, dummy = Catalog.check(base_services, DOMAIN, gpus=host)
    assert catalog is None
    assert errors == [GPUS_PATH + ": container 'vllm-rag' asks for GPUs (all), but this host declares none "
                      "(platform_gpus); declare them, or set platform_gpu_fallback: cpu to run it without"]


def test_explicit_cpu_fallback_runs_it_without_a_reservation_and_warns(base_services):
    catalog, errors, warnings = Catalog.check(base_services, DOMAIN, gpus=[], gpu_fallback="cpu")
    assert errors == []
    assert GPUS_PATH + ": container 'vllm-rag' asks for GPUs (all), but this host declares none: it runs " \
        "without them (platform_gpu_fallback: cpu)" in warnings
    assert "deploy" not in vllm_spec(catalog)


@pytest.mark.parametrize("request_, host, message", [
    (4, 2, "asks for 4 GPUs, but this host declares 2 (platform_gpus)"),
    (3, ["0", "1"], "asks for 3 GPUs, but this host declares devices 0, 1 (platform_gpus)"),
    (["2"], ["0", "1"], "asks for GPU device(s) 2, which this host does not declare (platform_gpus: devices 0, 1)"),
    (["0", "5"], 2, "asks for GPU device(s) 5, which this host does not declare (platform_gpus: 2)"),
])
def test_requests_beyond_the_host_are_errors(mutate, request_, host, message):
    dummy, errors, dummy = Catalog.check(with_request(mutate, request_), DOMAIN, gpus=host)
    assert errors == ["%s: container 'vllm-rag' %s" % (GPUS_PATH, message)]


def test_unknown_host_validates_but_cannot_render_a_gpu_container(base_services):
    # Lookups (units, health targets) need no host; rendering does, and says what is missing.
    catalog = Catalog.load(base_services, DOMAIN)
    assert catalog.units(tags=["vllm-rag"])
    with pytest.raises(CatalogError) as raised:
        vllm_spec(catalog)
    assert str(raised.value).startswith(GPUS_PATH + ": container 'vllm-rag' asks for GPUs (all), but this host declares none")
    # Units without GPU containers render anywhere.
    assert catalog.compose_project("auth", "production")["services"]["auth-service"]


@pytest.mark.parametrize("value", [0, -1, True, "some", [], ["0", "0"], [None], {"count": 1}, 1.5])
def test_bad_requests_name_the_path(mutate, value):
    dummy, errors, dummy = Catalog.check(with_request(mutate, value), DOMAIN, gpus="all")
    assert errors == ["%s: must be all, a positive number of GPUs or a non-empty list of distinct device ids, got %r"
                      % (GPUS_PATH, value)]


def test_bad_host_declarations_name_the_variable(base_services):
    dummy, errors, dummy = Catalog.check(base_services, DOMAIN, gpus="many", gpu_fallback="gpu")
    assert "platform_gpu_fallback: unknown fallback 'gpu' (expected one of: none, cpu)" in errors
    assert ("platform_gpus: must be none, all, a positive number of GPUs or a non-empty list of distinct device ids, "
            "got 'many'") in errors
