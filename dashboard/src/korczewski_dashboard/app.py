# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ASGI application for uvicorn (``korczewski_dashboard.app:app``), configured from the environment."""

from __future__ import annotations

from .config import from_environment
from .web import create_app

app = create_app(from_environment())
