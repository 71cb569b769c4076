# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integration tier: tests that start real processes (npm dev servers, docker compose,
ansible) on this machine; ``make integration``. The shared fixtures (import path, base catalog)
come from tests/conftest.py; the test inventories under inventories/ serve the Molecule scenarios.
"""

from __future__ import annotations

import os
import sys

# The collection's import path, also when this tier is run on its own from another directory.
COLLECTIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "collections")
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)
