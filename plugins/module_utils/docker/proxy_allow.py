# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The socket proxy's ALLOW_PATHS grammar (tests/images/docker-socket-proxy), checked before any
file is written: the proxy refuses a malformed entry at its start, which would show only as a
container that exits. Both proxies (Traefik's and the dashboard's) ask this alone.

Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import re

# METHODS:PATH, upper-case methods joined by commas, a path regex of these characters only (the
# proxy adds the anchors and groups the regex, so an entry cannot inject haproxy configuration).
ALLOW_ENTRY_RE = re.compile(r"^[A-Z]+(,[A-Z]+)*:/[][A-Za-z0-9_./{},()|?*+-]*$")
CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def allow_list_errors(entries, variable):
    """One message per problem of an allow list, naming the variable and the entry."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, (list, tuple)):
        return ["%s must be a list of METHODS:/path-regex entries, got %r" % (variable, entries)]
    if not entries:
        return ["%s must not be empty: the proxy would then fall back to its coarse sections" % variable]
    errors = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str) or not ALLOW_ENTRY_RE.match(entry):
            errors.append("%s[%d] %r is not METHODS:/path-regex (upper-case methods joined by commas, a path of "
                          "letters, digits and _./{},()|?*+[]-)" % (variable, index, entry))
    return errors


def container_name_errors(name, variable):
    if not isinstance(name, str) or not CONTAINER_NAME_RE.match(name):
        return ["%s %r is not a container name (a letter or digit, then letters, digits, _ . -)" % (variable, name)]
    return []
