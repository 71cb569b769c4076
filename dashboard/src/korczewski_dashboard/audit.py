# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit log: who did what, when, and what came of it. One JSON line per action in a file
(when configured) and the latest entries in memory for the page."""

from __future__ import annotations

import collections
import json
import os
import time


class AuditLog:

    def __init__(self, path=None, keep=50):
        self.path = path
        self.entries = collections.deque(maxlen=keep)
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as stream:
                for line in stream:
                    try:
                        self.entries.append(json.loads(line))
                    except ValueError:
                        continue

    def record(self, user, action, target, result, detail, client=None):
        entry = {"at": time.time(), "user": user, "action": action, "target": target, "result": result,
                 "detail": detail, "client": client}
        self.entries.append(entry)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as stream:
                stream.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry

    def latest(self):
        return list(reversed(self.entries))
