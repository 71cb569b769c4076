# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the Docker API client spells a swarm filter (the engine reads one JSON object of lists)."""

from __future__ import annotations

import json

from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import _filters


def test_filters_are_one_json_object_of_lists():
    query = _filters({"service": ("abc",), "desired-state": ["running"]})
    assert list(query) == ["filters"]
    assert json.loads(query["filters"]) == {"desired-state": ["running"], "service": ["abc"]}


def test_no_filters_means_no_query():
    assert _filters(None) is None
    assert _filters({}) is None
