# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A project's files on disk: read with their modes, written so that no reader sees half a file.

Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import os
import tempfile


def read_file(path):
    """(content, mode), or None when there is no file."""
    try:
        with open(path, "r") as handle:
            content = handle.read()
        return content, os.stat(path).st_mode & 0o7777
    except (IOError, OSError):
        return None


def owner_changes(directory, owners):
    """Relative paths among owners ({path: uid}) whose existing file belongs to another uid."""
    changed = []
    for path, uid in sorted(owners.items()):
        try:
            if os.stat(os.path.join(directory, path)).st_uid != uid:
                changed.append(path)
        except OSError:
            continue
    return changed


def write_new(path, content, mode):
    """A new file, created with its mode (a secret is never readable by others, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, mode)


def replace_file(path, wanted):
    """The file as wanted ((content, mode), or None: no file), replaced in one rename."""
    if wanted is None:
        if os.path.lexists(path):
            os.remove(path)
        return
    # mkstemp creates the file 0600: private until it has its own mode.
    fd, temporary = tempfile.mkstemp(prefix=".replace-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(wanted[0])
    os.chmod(temporary, wanted[1])
    os.replace(temporary, path)
