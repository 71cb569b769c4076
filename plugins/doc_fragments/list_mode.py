# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    # How the modules that take many items in one call (one task instead of a loop) report
    # failures; the module documents its list option (O(servers), O(projects)) itself.
    DOCUMENTATION = r"""
options: {}
notes:
  - List mode. Every item of the list is brought to its state in this one call, and its result is returned per
    item. An item that fails does not stop the others; when all are done the module fails, naming each item that
    failed and why.
"""
