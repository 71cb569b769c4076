# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What npm_dev_server decides before it touches a process: whether ``npm ci``/``npm install``
must run, and whether the running server's settings are the wanted ones (a salted fingerprint,
so the settings record never holds a secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from ansible_collections.korczewski.platform.plugins.module_utils.devserver.record import RECORD_VERSION, load_json

LOCK_FILES = ('npm-shrinkwrap.json', 'package-lock.json')
INSTALL_OPTS = ['--no-audit', '--no-fund']


def now():
    return time.strftime('%Y-%m-%dT%H:%M:%S%z')


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(65536), b''):
            digest.update(chunk)
    return digest.hexdigest()


def find_lock(source):
    """(path, sha256) of the source's lock file, or (None, None)."""
    for name in LOCK_FILES:
        path = os.path.join(source, name)
        if os.path.isfile(path):
            return path, sha256_file(path)
    return None, None


def node_modules_expected(manifest, lock_path):
    """Whether an install leaves a node_modules directory (it does not without dependencies)."""
    if lock_path:
        lock = load_json(lock_path) or {}
        packages = lock.get('packages')
        if isinstance(packages, dict):
            return any(key.startswith('node_modules/') for key in packages)
        return bool(lock.get('dependencies'))
    return any(isinstance(manifest, dict) and manifest.get(field)
               for field in ('dependencies', 'devDependencies', 'optionalDependencies'))


def install_plan(mode, npm, source, manifest, manifest_sha256, install_path):
    """(command, reason) of the install to run before starting, or (None, None).

    ``mode`` is the module's ``install`` option; ``install_path`` the record of the last install.
    """
    if mode == 'never':
        return None, None
    lock_path, lock_sha = find_lock(source)
    cmd = [npm, 'ci' if lock_path else 'install'] + INSTALL_OPTS
    if mode == 'always':
        return cmd, 'install=always'
    if node_modules_expected(manifest, lock_path) and not os.path.isdir(os.path.join(source, 'node_modules')):
        return cmd, 'node_modules is missing'
    record = load_json(install_path)
    if record is None or record.get('source') != source:
        return cmd, 'no install recorded for %s' % source
    if lock_path:
        if record.get('lock_sha256') != lock_sha:
            return cmd, 'lock file %s changed since the last install' % os.path.basename(lock_path)
    elif record.get('manifest_sha256') != manifest_sha256:
        return cmd, 'package.json changed since the last install (no lock file)'
    return None, None


def install_record(source, cmd):
    """The record of an install that just succeeded, as JSON text."""
    lock_path, lock_sha = find_lock(source)
    return json.dumps(dict(
        source=source,
        lock_file=os.path.basename(lock_path) if lock_path else None,
        lock_sha256=lock_sha,
        manifest_sha256=sha256_file(os.path.join(source, 'package.json')),
        command=cmd[1],
        installed_at=now(),
    ), indent=2, sort_keys=True) + '\n'


class Settings:
    """The settings a server runs with: script, port, source, environment (secrets included)."""

    def __init__(self, script, port, source, env):
        self.script = script
        self.port = port
        self.source = source
        self.env = env

    def view(self, lock_sha, salt):
        """Settings without secrets: env values become salted digests."""
        env = {}
        for key, value in sorted(self.env.items()):
            if key == 'PORT':
                continue
            mac = hmac.new(salt.encode('ascii'), ('%s=%s' % (key, value)).encode('utf-8'), hashlib.sha256)
            env[key] = 'sha256:' + mac.hexdigest()[:16]
        return dict(script=self.script, port=self.port, source=self.source, env=env, lock_sha256=lock_sha)

    def fingerprint(self, lock_sha, salt):
        canonical = json.dumps(dict(script=self.script, port=self.port, source=self.source,
                                    env=self.env, lock_sha256=lock_sha), sort_keys=True)
        return hmac.new(salt.encode('ascii'), canonical.encode('utf-8'), hashlib.sha256).hexdigest()

    def record(self, name, pid, start_time, boot_id, cmd, log_path, lock_sha, salt):
        """The settings record of a server just started (the proof :mod:`devserver.judge` reads)."""
        return dict(
            version=RECORD_VERSION, name=name, pid=pid, start_time=start_time, boot_id=boot_id, cmd=cmd,
            started_at=now(), log_path=log_path, salt=salt,
            fingerprint=self.fingerprint(lock_sha, salt), settings=self.view(lock_sha, salt))


def describe_difference(old, new):
    """Why the settings views ``old`` and ``new`` differ, as reasons (secrets never shown)."""
    reasons = []
    for key in ('script', 'port', 'source'):
        if old.get(key) != new.get(key):
            reasons.append('%s changed (%s -> %s)' % (key, old.get(key), new.get(key)))
    old_env = old.get('env') or {}
    new_env = new.get('env') or {}
    keys = sorted(k for k in set(old_env) | set(new_env) if old_env.get(k) != new_env.get(k))
    if keys:
        reasons.append('env changed (%s)' % ', '.join(keys))
    if old.get('lock_sha256') != new.get('lock_sha256'):
        reasons.append('lock file changed')
    return reasons or ['settings changed']


def read_manifest(source, script):
    """(manifest, sha256) of ``source``'s package.json, checked to have ``script``; ValueError
    with the reason otherwise."""
    path = os.path.join(source, 'package.json')
    if not os.path.isdir(source):
        raise ValueError('source %s is not a directory' % source)
    try:
        with open(path, 'rb') as f:
            manifest = json.loads(f.read().decode('utf-8'))
    except (IOError, OSError) as exc:
        raise ValueError('Cannot read %s: %s' % (path, exc))
    except ValueError as exc:
        raise ValueError('%s is not valid JSON: %s' % (path, exc))
    scripts = manifest.get('scripts') if isinstance(manifest, dict) else None
    if not isinstance(scripts, dict) or script not in scripts:
        available = ', '.join(sorted(scripts)) if isinstance(scripts, dict) and scripts else 'none'
        raise ValueError('package.json in %s has no script %r (available: %s)' % (source, script, available))
    return manifest, sha256_file(path)


def server_env(merged, port):
    """The server's environment from ``merged`` (env and secret_env, values already text) and
    ``port`` (becomes PORT); ValueError with the reason for a bad key or a conflicting PORT."""
    env = {}
    for key, value in merged.items():
        if not key or '=' in key or '\0' in key:
            raise ValueError('env key %r is not a valid environment variable name' % key)
        env[key] = value
    if port is not None:
        if 'PORT' in env and env['PORT'] != str(port):
            raise ValueError('env.PORT (%s) conflicts with port (%d); leave PORT out of env' % (env['PORT'], port))
        env['PORT'] = str(port)
    return env


def start_failure(outcome, info, cmd, port, wait_timeout, holder_names):
    """Why a server that was just started did not become ready (``ports.wait_ready``'s outcome)."""
    what = ' '.join(cmd[1:])
    if outcome == 'died':
        return '%s exited with rc %s before port %d answered' % (what, info, port)
    if outcome == 'foreign':
        return 'While %s was starting, port %d was taken by %s; stopped it again' % (what, port, holder_names)
    return '%s did not answer on port %d within %d seconds; stopped it again' % (what, port, wait_timeout)


def change_reasons(state, status, stale, pid, record, fingerprint, desired):
    """Why a server must be (re)started: ``status`` is npm_dev_server's (started|orphaned|stopped),
    ``fingerprint`` the wanted settings' fingerprint, ``desired`` their view. Empty: it runs as wanted."""
    reasons = []
    if state == 'restarted':
        reasons.append('state=restarted')
    if status == 'stopped':
        reasons.append('not running' + (' (stale: %s)' % stale if stale else ''))
    elif status == 'orphaned':
        reasons.append('npm (pid %d) is gone but its children still run' % pid)
    elif record.get('fingerprint') != fingerprint:
        reasons.extend(describe_difference(record.get('settings') or {}, desired))
    return reasons


# What a server keeps of the module's environment: the account, the locale and the time zone, and
# how this host reaches the network (proxies, extra CAs). Not the rest: under a local connection
# without become the module runs in the controller's own environment (its agents, tokens, vault
# and cloud variables), which a dev tree's scripts must not read.
SERVER_ENVIRON_KEEP = ('PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR',
                       'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY',
                       'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR')


def server_environ(base, env, npm_executable=None):
    """The whole environment of a server's process: the kept part of base (the module's own,
    locale variables LC_* included), then environ_update."""
    result = dict((k, v) for k, v in base.items() if k in SERVER_ENVIRON_KEEP or k.startswith('LC_'))
    result.setdefault('PATH', os.defpath)
    result.update(environ_update(env, npm_executable))
    return result


def environ_update(env, npm_executable=None):
    """What the server's and install's processes get on top of this process's environment: the
    server's variables, HOST (127.0.0.1 unless they set it), and the directory of an explicit npm
    executable first on PATH (npm runs node and scripts from there)."""
    update = dict(env)
    # Frameworks read HOST for the address they bind (Vite, Next, CRA, Nuxt): loopback unless the
    # catalog says otherwise, and a server listening elsewhere is stopped (npm_dev_server).
    update.setdefault('HOST', '127.0.0.1')
    if npm_executable:
        npm_dir = os.path.dirname(os.path.abspath(npm_executable))
        update['PATH'] = os.pathsep.join([npm_dir, os.environ.get('PATH', os.defpath)])
    return update
