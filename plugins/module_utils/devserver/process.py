# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Starting a locally supervised development server, and reading its log.

The rest of the dev-server helpers live beside this module, one job each: ``proc`` reads
``/proc``, ``record`` keeps the pid file and settings record, ``judge`` decides whether they
still name our process, ``stop`` stops processes, ``ports`` watches the port, ``npm`` plans
installs and fingerprints settings.
"""

from __future__ import annotations

import os
import subprocess


def spawn_detached(cmd, cwd, env, log_fd):
    """Start ``cmd`` in a new session (setsid) with stdout/stderr on ``log_fd``, stdin /dev/null.

    No other file descriptor is inherited, so a caller that exits (an Ansible module) is not
    waited for by whoever reads its output. Returns the ``subprocess.Popen`` object; the caller
    may poll it while it still runs and must not wait for it otherwise.
    AnsibleModule.run_command cannot do this: it always waits for the command to finish.
    """
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=subprocess.STDOUT,
        close_fds=True, start_new_session=True)


def tail(path, lines=20, max_bytes=65536):
    """The last ``lines`` lines of a text file (a list of str; empty when unreadable)."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except (IOError, OSError):
        return []
    text = data.decode('utf-8', 'replace')
    return text.splitlines()[-lines:] if lines > 0 else []
