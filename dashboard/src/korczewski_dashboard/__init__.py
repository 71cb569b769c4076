# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The korczewski.platform control dashboard."""

from korczewski_dashboard.collection import ensure_importable

__version__ = "0.1.0"

# Every module imports the collection's module_utils; the package makes them importable first.
ensure_importable()
