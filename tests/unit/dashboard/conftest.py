# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's pure logic: its package lives in dashboard/src."""

from __future__ import annotations

import os
import sys

DASHBOARD_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "dashboard", "src")
if os.path.abspath(DASHBOARD_SRC) not in sys.path:
    sys.path.insert(0, os.path.abspath(DASHBOARD_SRC))
