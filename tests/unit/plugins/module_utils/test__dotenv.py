# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one codec for environment values: what the catalog, env files and npm dev servers write.

Env file rendering and parsing are tested in test__catalog.py (with the tricky values).
"""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import env_file_text, env_value
from ansible_collections.korczewski.platform.plugins.modules import npm_dev_server


@pytest.mark.parametrize("value,text", [
    (True, "true"), (False, "false"), (None, ""), (0, "0"), (5500, "5500"), (1.5, "1.5"), ("", ""),
    ("it's", "it's"), (b"caf\xc3\xa9", "caf\u00e9"),
])
def test_env_value(value, text):
    assert env_value(value) == text


def test_env_file_and_dev_server_agree_on_null_and_booleans():
    assert env_file_text({"A": None, "B": True}) == "A=''\nB='true'\n"


def test_npm_dev_server_normalises_with_the_same_codec():
    # A second normalisation in the module is how the two came to differ on null before.
    assert npm_dev_server.env_value is env_value
