#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: npm_dev_server

short_description: Run a development server with C(npm run <script>) in the background

version_added: 0.1.0

description:
  - Starts, stops or restarts a development server that is launched with C(npm run <script>) in a
    project directory, such as the auth (port 5500) and payment (port 3004) development environments.
  - The server runs detached in its own session and process group, with stdout and stderr going to
    a log file. A pid file, the log file and a settings record live in O(state_dir).
  - Starting waits, at most O(wait_timeout) seconds, until the server answers on O(port). When it
    does not, whatever was started is stopped again and the module fails with the last log lines.
  - The server gets C(HOST=127.0.0.1) unless O(env) sets C(HOST), and must listen on loopback only
    (127.0.0.1 or ::1). A server that listens on a wildcard or another address is stopped and the
    module fails naming the address.
  - The module is idempotent. A server that already runs with the same settings (script, port,
    environment, source directory and lock file hash) is left alone. When the settings differ, the
    server is restarted.
  - Stopping signals the whole process group (SIGTERM, then SIGKILL after O(stop_timeout) seconds),
    so children of npm, such as the real C(node) server, stop too.
  - A pid file whose process is gone, or whose pid now belongs to another program (the process
    start time differs from the recorded one, it leads no session of its own, or another account
    than the pid file's owns it), is stale. The module treats it as not running and
    removes it.
  - The module refuses to start when another process, which this module does not manage for
    O(name), listens on O(port). The error names that process (pid and command line).
  - O(servers) brings several servers of one account to their state in one call, one after
    another; a server that fails does not stop the others, and the module then fails naming each.

author:
  - korczewski.platform developers (@korczewski)

requirements:
  - Linux on the managed host (the module reads C(/proc)).
  - Node.js and npm on the managed host.

attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode reports what would change and touches nothing, not even O(state_dir).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows the server state and its settings. Environment values are shown as salted
        digests, never in clear text.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix

options:
  name:
    description:
      - Identity of the development server. It names the pid, log and state files in O(state_dir),
        so each O(name) is one server.
      - Letters, digits, V(.), V(_) and V(-), starting with a letter or digit.
      - Required unless O(servers) is given; mutually exclusive with it.
    type: str
  source:
    description:
      - Project directory that holds C(package.json). C(npm) runs there.
      - Required with O(name).
    type: path
    aliases:
      - chdir
  servers:
    description:
      - Several servers in one call, instead of O(name) and its options. Each entry takes the options
        of one server; what an entry leaves out comes from the defaults documented for the options.
      - Servers are handled in list order; the per-server results are in RV(servers).
    type: list
    elements: dict
    suboptions:
      name:
        description: As O(name).
        type: str
        required: true
      source:
        description: As O(source).
        type: path
        required: true
        aliases:
          - chdir
      state:
        description: As O(state).
        type: str
        default: started
        choices:
          - started
          - stopped
          - restarted
      script:
        description: As O(script).
        type: str
        default: dev
      port:
        description: As O(port).
        type: int
      env:
        description: As O(env).
        type: dict
        default: {}
      secret_env:
        description: As O(secret_env).
        type: dict
        default: {}
      state_dir:
        description: As O(state_dir).
        type: path
        default: ~/.local/state/korczewski-platform/npm
      wait_timeout:
        description: As O(wait_timeout).
        type: int
        default: 60
      stop_timeout:
        description: As O(stop_timeout).
        type: int
        default: 10
      install:
        description: As O(install).
        type: str
        default: auto
        choices:
          - auto
          - always
          - never
      npm_executable:
        description: As O(npm_executable).
        type: path
  state:
    description:
      - V(started) makes sure the server runs with the given settings. It starts the server when it
        does not run and restarts it when its settings changed.
      - V(stopped) makes sure the server does not run.
      - V(restarted) always (re)starts the server. This is not idempotent.
    type: str
    default: started
    choices:
      - started
      - stopped
      - restarted
  script:
    description:
      - The C(package.json) script to run, as in C(npm run <script>).
    type: str
    default: dev
  port:
    description:
      - TCP port the server listens on. The module sets the environment variable E(PORT) to it and
        waits until the port answers.
      - Required when O(state=started) or O(state=restarted).
    type: int
  env:
    description:
      - Extra environment variables for the server (and for C(npm ci)/C(npm install)).
      - Of the module's own environment the server keeps only the account (E(PATH), E(HOME), E(USER),
        E(LOGNAME), E(SHELL)), the locale and time zone (E(LANG), E(LC_*), E(TZ)), E(TMPDIR), the proxy
        variables and E(NODE_EXTRA_CA_CERTS), E(SSL_CERT_FILE), E(SSL_CERT_DIR); C(npm ci)/C(npm install) get
        the whole of it. E(PORT) is set from O(port); an O(env) entry E(PORT) that differs from O(port) is an error.
      - Put secrets in O(secret_env) instead; values here appear in logs like any option.
      - Boolean values become V(true) or V(false) and null an empty string, as in the catalog and its env files.
    type: dict
    default: {}
  secret_env:
    description:
      - Environment variables whose values are secrets, such as E(DATABASE_URL); merged over O(env).
      - Never logged. As with every C(no_log) option, Ansible masks each occurrence of these values
        in the module's output.
    type: dict
    default: {}
  state_dir:
    description:
      - Directory for the pid file C(<name>.pid), the log file C(<name>.log) (the previous one is kept
        as C(<name>.log.1)), the settings record C(<name>.state.json), the install record
        C(<name>.install.json) and the lock file C(<name>.lock).
      - Created with mode V(0700) when missing.
    type: path
    default: ~/.local/state/korczewski-platform/npm
  wait_timeout:
    description:
      - Seconds to wait for the server to answer on O(port) after starting it.
      - On timeout the module stops what it started and fails with the last lines of the log.
      - V(0) does not wait at all.
    type: int
    default: 60
  stop_timeout:
    description:
      - Seconds to wait after SIGTERM before the process group gets SIGKILL.
    type: int
    default: 10
  install:
    description:
      - Whether to install dependencies before starting.
      - V(auto) runs C(npm ci) when C(node_modules) is missing although the lock file lists
        packages, when no install was recorded in O(state_dir) for this O(source), or when the lock
        file (C(npm-shrinkwrap.json) or C(package-lock.json)) changed since the last install. It runs
        C(npm install) instead when there is no lock file; then a changed C(package.json) triggers
        it.
      - V(always) installs before every start, and therefore always restarts the server.
      - V(never) does not install.
      - Installs run with C(--no-audit --no-fund).
    type: str
    default: auto
    choices:
      - auto
      - always
      - never
  npm_executable:
    description:
      - Path of the C(npm) executable. Its directory is put first in E(PATH), so that a C(node)
        installed next to it (nvm, tarball installs) is found.
      - By default C(npm) is looked up in E(PATH).
    type: path

notes:
  - The script must keep running in the foreground. When C(npm) exits before the port answers, the
    start fails.
  - The listener on O(port) must belong to the server's own session. A port published by another
    program on behalf of the script (for example C(docker-proxy)) counts as a foreign process.
  - The settings record stores salted hashes of the settings, never the environment values.

seealso:
  - name: npm run-script
    description: How npm runs package scripts.
    link: https://docs.npmjs.com/cli/commands/npm-run-script
  - name: npm ci
    description: Clean install from the lock file.
    link: https://docs.npmjs.com/cli/commands/npm-ci
"""

EXAMPLES = r"""
- name: Run the auth service's development server on port 5500
  korczewski.platform.npm_dev_server:
    name: auth-development
    source: /srv/dev/auth
    port: 5500
    env:
      NODE_ENV: development
      DATABASE_URL: "{{ auth_dev_database_url }}"
  register: auth_dev

- name: Show where its log is
  ansible.builtin.debug:
    msg: "auth dev server pid {{ auth_dev.pid }}, log {{ auth_dev.log_path }}"

- name: Run the payment development server with a custom npm and a longer start-up budget
  korczewski.platform.npm_dev_server:
    name: payment-development
    chdir: /srv/dev/payment
    script: dev
    port: 3004
    wait_timeout: 180
    npm_executable: /opt/node-v20/bin/npm

- name: Run both development servers of one account in one call
  korczewski.platform.npm_dev_server:
    servers:
      - name: auth-development
        source: /srv/dev/auth
        port: 5500
      - name: payment-development
        source: /srv/dev/payment
        port: 3004
        wait_timeout: 180

- name: Stop the payment development server (and every process it spawned)
  korczewski.platform.npm_dev_server:
    name: payment-development
    source: /srv/dev/payment
    state: stopped
"""

RETURN = r"""
pid:
  description:
    - Process id of the server's session leader (the C(npm) process), also its process group id.
    - V(null) when the server does not run (or would not run yet, in check mode).
  returned: always
  type: int
  sample: 48213
port:
  description: The port the server listens on (O(port), or the recorded port when stopping).
  returned: always
  type: int
  sample: 5500
log_path:
  description: Log file with the server's stdout and stderr.
  returned: always
  type: str
  sample: /home/dev/.local/state/korczewski-platform/npm/auth-development.log
pid_path:
  description: Pid file of the server.
  returned: always
  type: str
  sample: /home/dev/.local/state/korczewski-platform/npm/auth-development.pid
state_path:
  description: Settings record (fingerprint) of the running server.
  returned: always
  type: str
  sample: /home/dev/.local/state/korczewski-platform/npm/auth-development.state.json
state:
  description: State of the server after the module ran (in check mode, the state it would have).
  returned: always
  type: str
  sample: started
cmd:
  description: The command that runs the server.
  returned: when O(state) is V(started) or V(restarted)
  type: list
  elements: str
  sample: [/usr/bin/npm, run, dev]
reasons:
  description: Why the module changed (or, in check mode, would change) something. Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["env changed (DATABASE_URL)"]
install:
  description: What happened about dependencies.
  returned: always
  type: dict
  contains:
    ran:
      description: Whether an install ran (in check mode, whether it would run).
      type: bool
      sample: true
    cmd:
      description: The install command.
      type: list
      elements: str
      sample: [/usr/bin/npm, ci, --no-audit, --no-fund]
    reason:
      description: Why the install ran.
      type: str
      sample: node_modules is missing
stale_pid_removed:
  description:
    - Whether a stale pid file (and its settings record) was found and removed.
    - In check mode, whether one was found (and would be removed).
  returned: always
  type: bool
  sample: false
log_tail:
  description: The last lines of the log file, when starting failed.
  returned: failure
  type: list
  elements: str
  sample: ["Error: Cannot find module 'vite'"]
servers:
  description:
    - With O(servers), one result per server in list order, each with the keys above for one server
      plus C(name), C(changed), C(failed) and, when it failed, C(msg).
    - The top-level keys of a single server are then not returned.
  returned: when O(servers) is given
  type: list
  elements: dict
  sample: [{"name": "auth-development", "changed": false, "failed": false, "state": "started", "pid": 48213}]
"""

import os
import re
import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import env_value
from ansible_collections.korczewski.platform.plugins.module_utils.common.each_result import exit_each
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import npm
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.batch import run_one
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.judge import ORPHANED, RUNNING, judge_files
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.ports import (
    describe_holder,
    foreign_port_message,
    port_status,
    public_listeners,
    wait_ready,
)
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import boot_id, proc_available, read_stat
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.process import spawn_detached, tail
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.record import (
    Paths,
    atomic_write,
    lock,
    remove_state,
    write_state,
)
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.stop import terminate_session


NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
LOG_TAIL_LINES = 20
# The judgement's words, as this module has always reported them.
STATUS = {RUNNING: 'started', ORPHANED: 'orphaned'}


class DevServer(object):

    def __init__(self, module):
        self.module = module
        params = module.params
        self.name = params['name']
        self.state = params['state']
        self.script = params['script']
        self.port = params['port']
        self.install_mode = params['install']
        self.wait_timeout = params['wait_timeout']
        self.stop_timeout = params['stop_timeout']
        self.source = os.path.realpath(params['source'])
        self.state_dir = os.path.abspath(params['state_dir'])
        self.npm = None
        self.user_env = {}
        self.paths = Paths(os.path.join(self.state_dir, self.name))
        self.log_path = self.paths.log
        self._lock_fd = None
        self.reasons = []
        self.result = dict(changed=False, pid=None, port=self.port, log_path=self.paths.log, pid_path=self.paths.pid,
                           state_path=self.paths.record, state='stopped', reasons=self.reasons,
                           install=dict(ran=False, cmd=None, reason=None), stale_pid_removed=False)

    # -- helpers ----------------------------------------------------------------------------

    def fail(self, msg, **kwargs):
        self.result.update(kwargs)
        self.result['reasons'] = self.reasons
        self.module.fail_json(msg=msg, **self.result)

    def lock(self):
        """Create state_dir and serialise runs for this name (never in check mode)."""
        if self.module.check_mode or self._lock_fd is not None:
            return
        try:
            self._lock_fd = lock(self.paths, self.state_dir)
        except OSError as exc:
            self.fail('Cannot use state_dir %s: %s' % (self.state_dir, to_native(exc)))

    def validate(self):
        if not NAME_RE.match(self.name):
            self.fail("name %r may only contain letters, digits, '.', '_' and '-', and must start "
                      "with a letter or digit" % self.name)
        if not proc_available():
            self.fail('npm_dev_server needs Linux /proc on the managed host')
        if self.wait_timeout < 0 or self.stop_timeout < 0:
            self.fail('wait_timeout and stop_timeout must not be negative')
        if self.port is not None and not 0 < self.port < 65536:
            self.fail('port must be between 1 and 65535, got %d' % self.port)
        merged = dict(self.module.params['env'] or {})
        merged.update(self.module.params['secret_env'] or {})
        try:
            self.user_env = env = npm.server_env(dict((to_text(k), env_value(v)) for k, v in merged.items()), self.port)
        except ValueError as exc:
            self.fail(to_native(exc))
        self.settings = npm.Settings(self.script, self.port, self.source, env)

    def validate_source(self):
        try:
            self.manifest, self.manifest_sha256 = npm.read_manifest(self.source, self.script)
        except ValueError as exc:
            self.fail(to_native(exc))
        executable = self.module.params['npm_executable']
        if executable:
            if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
                self.fail('npm_executable %s is not an executable file' % executable)
            self.npm = executable
        else:
            self.npm = self.module.get_bin_path('npm', required=True)

    def child_environ_update(self):
        return npm.environ_update(self.user_env, self.npm if self.module.params['npm_executable'] else None)

    # -- install ----------------------------------------------------------------------------

    def install_plan(self):
        """(command, reason) of the install to run before starting, or (None, None)."""
        return npm.install_plan(self.install_mode, self.npm, self.source, self.manifest, self.manifest_sha256,
                                self.paths.install)

    def run_install(self, cmd, reason):
        rc, out, err = self.module.run_command(
            cmd, cwd=self.source, environ_update=self.child_environ_update(), check_rc=False)
        if rc != 0:
            self.fail('npm %s failed with rc %d (%s)' % (cmd[1], rc, reason),
                      rc=rc, stdout_lines=out.splitlines()[-LOG_TAIL_LINES:],
                      stderr_lines=err.splitlines()[-LOG_TAIL_LINES:])
        atomic_write(self.paths.install, npm.install_record(self.source, cmd))

    # -- current state ----------------------------------------------------------------------

    def inspect(self):
        """What runs now: dict(status=started|orphaned|stopped, pid, record, stale=str|None),
        from the one judgement of a dev server's files (devserver.judge)."""
        verdict = judge_files(self.paths)
        return dict(status=STATUS.get(verdict['status'], 'stopped'), pid=verdict['pid'], record=verdict['record'],
                    stale=verdict['stale'])

    def clean_files(self):
        return remove_state(self.paths)

    def stop(self, pid, child=None):
        outcome = terminate_session(pid, timeout=self.stop_timeout, child=child)
        if outcome['remaining']:
            self.fail('Could not stop process group %d: pids %s survived SIGKILL'
                      % (pid, ', '.join(str(p) for p in outcome['remaining'])))
        self.clean_files()
        return outcome

    # -- start ------------------------------------------------------------------------------

    def start(self, salt, lock_sha):
        cmd = [self.npm, 'run', self.script]
        if os.path.exists(self.log_path):
            os.replace(self.log_path, self.log_path + '.1')
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(log_fd, ('=== npm_dev_server %s: %s in %s, port %s, at %s ===\n' % (
                self.name, ' '.join(cmd), self.source, self.port, npm.now())).encode('utf-8'))
            environ = npm.server_environ(os.environ, self.user_env, self.npm if self.module.params['npm_executable'] else None)
            child = spawn_detached(cmd, self.source, environ, log_fd)
        except OSError as exc:
            self.fail('Cannot start %s: %s' % (' '.join(cmd), to_native(exc)))
        finally:
            os.close(log_fd)

        stat = read_stat(child.pid)
        write_state(self.paths, self.settings.record(
            self.name, child.pid, stat['start_time'] if stat else None, boot_id(), cmd, self.log_path, lock_sha, salt))
        self.result.update(pid=child.pid, cmd=cmd, state='started')

        if self.wait_timeout == 0:
            return
        outcome, info = wait_ready(child.pid, self.port, self.wait_timeout, child=child)
        # A dev server holds development secrets and runs unreviewed code: nothing but this host
        # may reach it, whatever the framework's default bind address is.
        public = public_listeners(self.port, child.pid) if outcome == 'ready' else []
        if outcome == 'ready' and not public:
            return
        self.stop(child.pid, child=child)
        self.result.update(pid=None, state='stopped')
        if public:
            self.fail('%s listened on %s port %d, not on loopback only (127.0.0.1 or ::1): it is stopped. Bind it to '
                      'HOST (127.0.0.1 unless env sets HOST) or 127.0.0.1 in its npm script.'
                      % (self.name, ', '.join(sorted(set(h['address'] for h in public))), self.port))
        log_tail = tail(self.log_path, LOG_TAIL_LINES)
        msg = npm.start_failure(outcome, info, cmd, self.port, self.wait_timeout,
                                ', '.join(describe_holder(h) for h in info) if outcome == 'foreign' else None)
        self.fail('%s. Last log lines (%s):\n%s' % (msg, self.log_path, '\n'.join(log_tail)),
                  log_tail=log_tail)

    # -- entry points -----------------------------------------------------------------------

    def before_view(self, current):
        view = dict(state=current['status'])
        if current['status'] != 'stopped' and current['record']:
            view.update(current['record'].get('settings') or {})
        return view

    def ensure_stopped(self, current):
        self.result['port'] = self.port
        if current['record'] and self.port is None:
            self.result['port'] = (current['record'].get('settings') or {}).get('port')
        before = self.before_view(current)
        if current['status'] != 'stopped':
            self.result['changed'] = True
            self.reasons.append('%s (pid %d)' % (
                'running' if current['status'] == 'started' else 'leader gone, children still running',
                current['pid']))
            if not self.module.check_mode:
                self.stop(current['pid'])
        elif current['stale']:
            self.result['stale_pid_removed'] = True
            self.reasons.append('stale: %s' % current['stale'])
            if not self.module.check_mode:
                self.clean_files()
        if self.module._diff:
            self.result['diff'] = dict(before=before, after=dict(state='stopped'))

    def ensure_started(self, current):
        self.validate_source()
        record = current['record'] or {}
        salt = record.get('salt') if current['status'] == 'started' else None
        if not isinstance(salt, str) or not re.match(r'^[0-9a-f]{32}$', salt):
            salt = os.urandom(16).hex()
        _lock_path, lock_sha = npm.find_lock(self.source)
        install_cmd, install_reason = self.install_plan()
        desired = self.settings.view(lock_sha, salt)
        self.result['cmd'] = [self.npm, 'run', self.script]
        self.result['install'] = dict(ran=bool(install_cmd), cmd=install_cmd, reason=install_reason)

        reasons = self.reasons
        reasons.extend(npm.change_reasons(self.state, current['status'], current['stale'], current['pid'], record,
                                          self.settings.fingerprint(lock_sha, salt), desired))
        if install_reason:
            reasons.append('install: %s' % install_reason)

        own_sid = current['pid'] if current['status'] != 'stopped' else None
        if not reasons:
            # Same settings and running: it should answer on the port (wait if it is still starting).
            outcome, info = wait_ready(current['pid'], self.port, self.wait_timeout)
            if outcome == 'ready':
                self.result.update(pid=current['pid'], state='started')
                if self.module._diff:
                    self.result['diff'] = dict(before=self.before_view(current),
                                               after=dict(desired, state='started'))
                return
            reasons.append('running but not answering on port %d' % self.port)

        self.result['stale_pid_removed'] = bool(current['stale'])
        status, foreign = port_status(self.port, own_sid, fallback_connect=True)
        if status == 'foreign':
            self.fail(foreign_port_message(self.port, foreign, self.name), holders=[
                dict(pid=h['pid'], cmdline=h['cmdline'], address=h['address']) for h in foreign])

        self.result['changed'] = True
        if self.module._diff:
            self.result['diff'] = dict(before=self.before_view(current), after=dict(desired, state='started'))
        if self.module.check_mode:
            self.result['state'] = 'started'
            return

        if current['status'] != 'stopped':
            self.stop(current['pid'])
        else:
            self.clean_files()
        if install_cmd:
            self.run_install(install_cmd, install_reason)
        _lock_path, lock_sha = npm.find_lock(self.source)
        self.start(salt, lock_sha)

    def run(self):
        self.validate()
        if self.state == 'stopped':
            if os.path.isdir(self.state_dir):
                self.lock()
            self.ensure_stopped(self.inspect())
        else:
            self.lock()
            self.ensure_started(self.inspect())
        self.result['reasons'] = self.reasons
        self.module.exit_json(**self.result)


def run_servers(module):
    results = []
    for params in module.params['servers']:
        if params['state'] in ('started', 'restarted') and params['port'] is None:
            result, is_failed = dict(msg='state is %s but all of the following are missing: port' % params['state']), True
        else:
            result, is_failed = run_one(module, params, lambda one: DevServer(one).run())
        result.update(name=params['name'], failed=is_failed, changed=bool(result.get('changed')))
        results.append(result)
    exit_each(module, results, 'name', 'dev servers')


def server_spec():
    return dict(
        name=dict(type='str', required=True),
        source=dict(type='path', required=True, aliases=['chdir']),
        state=dict(type='str', default='started', choices=['started', 'stopped', 'restarted']),
        script=dict(type='str', default='dev'),
        port=dict(type='int'),
        env=dict(type='dict', default={}),
        secret_env=dict(type='dict', default={}, no_log=True),
        state_dir=dict(type='path', default='~/.local/state/korczewski-platform/npm'),
        wait_timeout=dict(type='int', default=60),
        stop_timeout=dict(type='int', default=10),
        install=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
        npm_executable=dict(type='path'),
    )


def argument_spec():
    spec = server_spec()
    spec['name'] = dict(type='str')
    spec['source'] = dict(type='path', aliases=['chdir'])
    spec['servers'] = dict(type='list', elements='dict', options=server_spec())
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_one_of=[('name', 'servers')],
        mutually_exclusive=[('name', 'servers')],
        required_by={'name': 'source'},
        required_if=[
            ('state', 'started', ['port', 'servers'], True),
            ('state', 'restarted', ['port', 'servers'], True),
        ],
        supports_check_mode=True,
    )
    if module.params['servers'] is not None:
        run_servers(module)
    try:
        DevServer(module).run()
    except Exception as exc:  # report unexpected errors as a module failure, not a traceback dump
        module.fail_json(msg='npm_dev_server failed: %s' % to_native(exc), exception=traceback.format_exc())


if __name__ == '__main__':
    main()
