# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures the plugin integration tests share: the loopback HTTP and HTTPS test servers with a
throwaway CA (tests/integration/plugins/health_servers.py). The import path of the collection
comes from tests/conftest.py."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from health_servers import Server, write_pki  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return write_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def http_server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def https_server(pki):
    server = Server(tls=pki)
    yield server
    server.stop()
