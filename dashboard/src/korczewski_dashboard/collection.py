# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes ``ansible_collections.korczewski.platform`` importable, so the dashboard runs the
collection's own catalog, discovery, rule and health code instead of a copy of it.

Looked up in order: already importable (an installed collection, or ``PYTHONPATH``), the
directory in ``DASHBOARD_COLLECTIONS_PATH``, then the checkout this package sits in
(``<repo>/collections`` links back to the repository root). The image copies
``plugins/module_utils`` to ``/opt/collections/ansible_collections/korczewski/platform``.
"""

from __future__ import annotations

import importlib.util
import os
import sys

_MODULE = "ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog"


def _candidates():
    configured = os.environ.get("DASHBOARD_COLLECTIONS_PATH")
    if configured:
        yield configured
    here = os.path.dirname(os.path.abspath(__file__))
    # dashboard/src/korczewski_dashboard -> repository root
    yield os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))), "collections")
    yield "/opt/collections"


def _importable():
    try:
        return importlib.util.find_spec(_MODULE) is not None
    except ImportError:
        return False


def ensure_importable():
    if _importable():
        return
    for path in _candidates():
        if os.path.isdir(os.path.join(path, "ansible_collections", "korczewski", "platform")):
            sys.path.insert(0, path)
            for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
                del sys.modules[name]
            if _importable():
                return
            sys.path.remove(path)
    raise ImportError("korczewski.platform is not importable: set DASHBOARD_COLLECTIONS_PATH to the directory "
                      "holding ansible_collections/korczewski/platform")
