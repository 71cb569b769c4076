# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog of one run (catalog/resolve.py) and the builder's extras (compose/specs.py)."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LAYERS
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.resolve import (
    PROJECTS_DIR,
    SECRETS_MODE,
    resolve,
    select,
)
from ansible_collections.korczewski.platform.plugins.module_utils.compose.specs import apply_extras, merge


def test_every_unit_in_vertical_order_with_its_orders_and_directory(catalog):
    resolved = resolve(catalog, state_dir="/s")
    assert [(u["service"], u["environment"]) for u in resolved["units"]] == [
        (u["service"], u["environment"]) for u in catalog.units()]
    for unit in resolved["units"]:
        assert unit["order"] == LAYERS.index(unit["layer"])
        assert unit["order"] + unit["stop_order"] == len(LAYERS) - 1
        assert unit["service"] in unit["tags"] and unit["layer"] in unit["tags"]
        if catalog.service(unit["service"]).provides != "proxy":
            assert unit["project_dir"] == "/s/%s/%s" % (PROJECTS_DIR, unit["project"])
    assert resolved["secrets_mode"] == SECRETS_MODE == "0600"
    assert resolved["providers"]["database"] == catalog.provider("database").name


def test_no_state_dir_no_project_dir_and_an_invalid_catalog_has_no_units(catalog):
    assert {u["project_dir"] for u in resolve(catalog)["units"]} == {None}
    invalid = resolve(None, ["x: bad"], [])
    assert invalid["valid"] is False and invalid["units"] == [] and invalid["errors"] == ["x: bad"]


def test_select_keeps_the_order_and_filters_by_service(catalog):
    resolved = resolve(catalog)
    chosen = select(resolved, environment="production", service=["auth", "traefik"])["units"]
    assert [(u["service"], u["environment"]) for u in chosen] == [("traefik", "production"), ("auth", "production")]


def test_merge_is_combine_recursive():
    assert merge({"a": {"x": 1, "y": [1]}, "b": 1}, {"a": {"y": [2], "z": 3}, "c": 4}) == {
        "a": {"x": 1, "y": [2], "z": 3}, "b": 1, "c": 4}
    assert list(merge({"a": 1, "b": 2}, {"a": 3, "c": 4})) == ["a", "b", "c"]
    assert merge({"a": {"y": [1]}}, {"a": {"y": [2]}}, list_merge="append") == {"a": {"y": [1, 2]}}


def test_extras_add_services_lists_files_and_entry_keys():
    spec = {"name": "p", "definition": {"name": "p", "services": {"s": {"image": "i", "volumes": ["v:/v"]}}},
            "files": [{"path": "secrets.env", "state": "absent"}], "wait_timeout": 180}
    out = apply_extras(spec, {"services": {"t": {"image": "j"}}, "append": {"s": {"volumes": ["./c:/c"]}},
                              "files": [{"path": "c", "content": "x"}], "wait_timeout": 5})
    assert out["definition"]["services"] == {"s": {"image": "i", "volumes": ["v:/v", "./c:/c"]}, "t": {"image": "j"}}
    assert [f["path"] for f in out["files"]] == ["secrets.env", "c"] and out["wait_timeout"] == 5
    assert spec["definition"]["services"]["s"]["volumes"] == ["v:/v"]
    assert apply_extras(spec, None) is spec
