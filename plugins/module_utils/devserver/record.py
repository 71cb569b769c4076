# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A development server's files in its state directory: where they are, how they are read and
written. The judgement of what they prove is :mod:`devserver.judge`.

For a server ``<name>`` the state directory holds ``<name>.pid`` (the pid, for people and other
tools), ``<name>.state.json`` (the settings record: pid, start time, boot id, settings without
secrets; the proof that the process is ours), ``<name>.log``, ``<name>.install.json`` and
``<name>.lock``. app_service keeps one state directory per developer account
(``<state_dir>/<user>/``); npm_dev_server alone defaults to ``<state_dir>`` itself.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux
    fcntl = None

RECORD_VERSION = 1
PID_SUFFIX = '.pid'
RECORD_SUFFIX = '.state.json'


class Paths:
    """The files of one server: ``base`` is ``<state dir>/<name>``."""

    def __init__(self, base):
        self.base = base
        self.pid = base + PID_SUFFIX
        self.record = base + RECORD_SUFFIX
        self.log = base + '.log'
        self.install = base + '.install.json'
        self.lock = base + '.lock'


def atomic_write(path, data, mode=0o600):
    """Write ``data`` (str or bytes) to ``path`` atomically (temporary file + rename)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise


def remove_file(path):
    """Remove ``path``; True when it existed."""
    try:
        os.unlink(path)
        return True
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise


def read_pid_file(path):
    """The pid stored in ``path`` (first line), None when missing, or 'invalid'."""
    try:
        with open(path) as f:
            first = f.readline().strip()
    except (IOError, OSError) as exc:
        if getattr(exc, 'errno', None) == errno.ENOENT:
            return None
        return 'invalid'
    try:
        pid = int(first)
    except ValueError:
        return 'invalid'
    return pid if pid > 0 else 'invalid'


def load_json(path):
    """The JSON object in ``path``, or None when it is missing, unreadable or not an object."""
    try:
        with open(path, 'rb') as f:
            data = json.loads(f.read().decode('utf-8'))
    except (IOError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_state(paths):
    """What the files of one server say, unjudged: ``{pid_file, record, record_unreadable}``.

    ``pid_file`` is as :func:`read_pid_file` returns it; ``record`` the settings record (a dict)
    or None; ``record_unreadable`` is True when a record file exists but is no JSON object;
    ``owner`` the uid owning the pid file (else the record).
    """
    record = load_json(paths.record)
    return {'pid_file': read_pid_file(paths.pid), 'record': record,
            'record_unreadable': record is None and os.path.exists(paths.record),
            'owner': file_owner(paths.pid, paths.record)}


def file_owner(*paths):
    """The uid owning the first of ``paths`` that exists (the account that ran the server), or None."""
    for path in paths:
        try:
            return os.stat(path).st_uid
        except OSError:
            continue
    return None


def write_state(paths, record):
    """Write the settings record, then the pid file: a pid file never exists without the record
    that proves its pid (a crash in between leaves the record alone, which still proves it)."""
    atomic_write(paths.record, json.dumps(record, indent=2, sort_keys=True) + '\n')
    atomic_write(paths.pid, '%d\n' % record['pid'], mode=0o644)


def remove_state(paths):
    """Remove the pid file and the settings record; True when either existed."""
    removed = remove_file(paths.pid)
    return remove_file(paths.record) or removed


def lock(paths, state_dir):
    """Create ``state_dir`` and hold the server's lock file (runs for one name are serialised);
    returns the open descriptor, released when the process ends. OSError when it cannot."""
    if not os.path.isdir(state_dir):
        os.makedirs(state_dir, 0o700)
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _bases(state_dir, name):
    bases = [os.path.join(state_dir, name)]
    bases.extend(os.path.join(state_dir, user, name) for user in _user_dirs(state_dir))
    return bases


def _user_dirs(state_dir):
    try:
        users = sorted(os.listdir(state_dir))
    except OSError:
        return []
    return [user for user in users if os.path.isdir(os.path.join(state_dir, user))]


def find_paths(state_dir, name):
    """The files of server ``name`` under ``state_dir`` (itself or one account's subdirectory):
    the first place holding its pid file or settings record, else ``<state_dir>/<name>``."""
    bases = _bases(state_dir, name)
    for base in bases:
        if os.path.exists(base + PID_SUFFIX) or os.path.exists(base + RECORD_SUFFIX):
            return Paths(base)
    return Paths(bases[0])


def recorded_names(state_dir):
    """``{name: Paths}`` of every server with a pid file or settings record under ``state_dir``
    (itself and the accounts' subdirectories; the first place found wins, as in :func:`find_paths`)."""
    found = {}
    for directory in [state_dir] + [os.path.join(state_dir, user) for user in _user_dirs(state_dir)]:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in names:
            for suffix in (PID_SUFFIX, RECORD_SUFFIX):
                if entry.endswith(suffix) and not entry.startswith('.') and len(entry) > len(suffix):
                    name = entry[:-len(suffix)]
                    found.setdefault(name, Paths(os.path.join(directory, name)))
    return found
