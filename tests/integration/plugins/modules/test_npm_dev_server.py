# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for korczewski.platform.npm_dev_server with real npm, node and python processes.

The module runs the way Ansible runs it: its file is executed by Python with the module
arguments as JSON and the collection importable (PYTHONPATH holds a directory that contains
ansible_collections/korczewski/platform). One test goes through the real `ansible` CLI.
Nothing is mocked: the fixture project tests/fixtures/node-dev-app is copied to a temporary
directory and served on a free port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[4]
MODULE = REPO_ROOT / 'plugins' / 'modules' / 'npm_dev_server.py'
FIXTURE = REPO_ROOT / 'tests' / 'fixtures' / 'node-dev-app'


def _collections_dir():
    # Either the checkout sits at .../ansible_collections/korczewski/platform (ansible-test), or
    # the repository's own collections/ directory links back to it.
    if REPO_ROOT.parent.parent.name == 'ansible_collections':
        return REPO_ROOT.parents[2]
    return REPO_ROOT / 'collections'


COLLECTIONS_DIR = _collections_dir()
if str(COLLECTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_DIR))

from ansible_collections.korczewski.platform.plugins.module_utils.devserver import ports as devports  # noqa: E402
from ansible_collections.korczewski.platform.plugins.module_utils.devserver import proc as procfs  # noqa: E402
from ansible_collections.korczewski.platform.plugins.modules import npm_dev_server  # noqa: E402

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith('linux'), reason='needs Linux /proc'),
    pytest.mark.skipif(shutil.which('npm') is None, reason='needs npm'),
]

SECRET = 's3cr3t-Value-4711'


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def health(port, timeout=5):
    with urllib.request.urlopen('http://127.0.0.1:%d/health' % port, timeout=timeout) as response:
        assert response.status == 200
        return json.loads(response.read().decode('utf-8'))


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Harness:
    """One copy of the fixture project, one state_dir, one free port; cleans up after itself."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.app = tmp_path / 'app'
        shutil.copytree(FIXTURE, self.app, ignore=shutil.ignore_patterns('node_modules'))
        self.state_dir = tmp_path / 'state'
        self.port = free_port()
        self.name = 'auth-development'
        self.foreign = []
        self._calls = 0

    @property
    def pid_path(self):
        return self.state_dir / (self.name + '.pid')

    @property
    def record_path(self):
        return self.state_dir / (self.name + '.state.json')

    @property
    def log_path(self):
        return self.state_dir / (self.name + '.log')

    def args(self, **overrides):
        args = dict(
            name=self.name,
            source=str(self.app),
            port=self.port,
            state_dir=str(self.state_dir),
            env={'SERVICE_NAME': 'svc-alpha'},
            secret_env={'API_TOKEN': SECRET},
            wait_timeout=30,
            stop_timeout=5,
        )
        args.update(overrides)
        return dict((k, v) for k, v in args.items() if v is not None)

    def run(self, check=False, diff=True, **overrides):
        """Run the module once; returns its JSON result plus 'rc' and 'raw' (stdout + stderr)."""
        self._calls += 1
        args = self.args(**overrides)
        args.update(_ansible_check_mode=check, _ansible_diff=diff)
        args_file = self.tmp_path / ('args-%d.json' % self._calls)
        args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
        env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_DIR))
        proc = subprocess.run([sys.executable, str(MODULE), str(args_file)], cwd=str(self.tmp_path),
                              env=env, capture_output=True, text=True, timeout=180, check=False)
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError('module printed no JSON (rc %d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
        result['rc'] = proc.returncode
        result['raw'] = proc.stdout + proc.stderr
        return result

    def ok(self, **kwargs):
        result = self.run(**kwargs)
        assert result['rc'] == 0 and not result.get('failed'), result
        assert SECRET not in result['raw']
        return result

    def server_pid(self):
        """Pid of the real node server (npm's grandchild), from the log."""
        pids = re.findall(r'^server pid=(\d+)', self.log_path.read_text(), re.M)
        assert pids, self.log_path.read_text()
        return int(pids[-1])

    def start_foreign_http_server(self, port):
        proc = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1'],
                                cwd=str(self.tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.foreign.append(proc)
        assert wait_until(lambda: devports.tcp_answers(port, ['127.0.0.1']), 15), 'http.server did not start'
        return proc

    def cleanup(self):
        for proc in self.foreign:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait(timeout=10)
        # Whatever still runs inside this test's directory (npm, its children) is killed by session.
        root = str(self.tmp_path)
        for entry in os.listdir('/proc'):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                cwd = os.readlink('/proc/%s/cwd' % entry)
            except OSError:
                continue
            if cwd == root or cwd.startswith(root + os.sep):
                stat = procfs.read_stat(int(entry))
                if stat and stat['session'] != os.getsid(0):
                    try:
                        os.killpg(stat['session'], signal.SIGKILL)
                    except OSError:
                        pass
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.cleanup()


# --- documentation ---------------------------------------------------------------------------

def test_documentation_matches_argument_spec():
    doc = yaml.safe_load(npm_dev_server.DOCUMENTATION)
    yaml.safe_load(npm_dev_server.EXAMPLES)
    yaml.safe_load(npm_dev_server.RETURN)
    spec = npm_dev_server.argument_spec()
    assert set(doc['options']) == set(spec)
    for name, option in spec.items():
        documented = doc['options'][name]
        assert documented['type'] == option['type'], name
        assert documented.get('default') == option.get('default'), name
        assert documented.get('choices') == option.get('choices'), name
        assert documented.get('aliases') == option.get('aliases'), name
        assert bool(documented.get('required')) == bool(option.get('required')), name
    assert spec['secret_env']['no_log'] is True
    assert not spec['env'].get('no_log')
    assert doc['attributes']['check_mode']['support'] == 'full'
    assert doc['attributes']['diff_mode']['support'] == 'full'
    for key in ('pid', 'port', 'log_path', 'pid_path', 'state'):
        assert key in yaml.safe_load(npm_dev_server.RETURN)


# --- start, idempotence, restart -------------------------------------------------------------

def test_start_answers_health_then_second_run_is_unchanged(h):
    first = h.ok()
    assert first['changed'] is True
    assert first['state'] == 'started'
    assert first['port'] == h.port
    assert first['log_path'] == str(h.log_path)
    assert first['pid_path'] == str(h.pid_path)
    assert first['install']['ran'] is True and first['install']['cmd'][1] == 'ci'
    assert (h.app / 'node_modules' / 'dev-banner').exists()
    assert health(h.port) == {'status': 'ok', 'service': 'svc-alpha'}
    assert int(h.pid_path.read_text()) == first['pid']
    assert procfs.read_stat(first['pid'])['session'] == first['pid']  # detached: its own session
    assert 'dev-banner: svc-alpha development server' in h.log_path.read_text()
    assert SECRET not in h.record_path.read_text()
    assert first['diff']['before'] == {'state': 'stopped'}
    assert first['diff']['after']['state'] == 'started'
    assert set(first['diff']['after']['env']) == {'SERVICE_NAME', 'API_TOKEN'}

    second = h.ok()
    assert second['changed'] is False
    assert second['reasons'] == []
    assert second['pid'] == first['pid']
    assert second['install']['ran'] is False
    assert second['diff']['before'] == second['diff']['after']
    assert health(h.port)['service'] == 'svc-alpha'

    # chdir is an alias of source
    third = h.ok(source=None, chdir=str(h.app))
    assert third['changed'] is False and third['pid'] == first['pid']


def test_the_server_gets_host_loopback_and_listens_there_only(h):
    first = h.ok()
    with open('/proc/%d/environ' % h.server_pid(), 'rb') as handle:
        environ = dict(item.split(b'=', 1) for item in handle.read().split(b'\0') if b'=' in item)
    assert environ[b'HOST'] == b'127.0.0.1'
    assert devports.port_holders(h.port) and devports.public_listeners(h.port, first['pid']) == []


def test_the_server_gets_a_minimal_environment_not_the_modules(h, monkeypatch):
    # Under a local connection without become the module runs in the controller's environment.
    monkeypatch.setenv('KP_CONTROLLER_TOKEN', 'controller-only')
    monkeypatch.setenv('SSH_AUTH_SOCK', '/tmp/agent.sock')
    monkeypatch.setenv('LC_TIME', 'C.UTF-8')
    h.ok()
    with open('/proc/%d/environ' % h.server_pid(), 'rb') as handle:
        environ = dict(item.split(b'=', 1) for item in handle.read().split(b'\0') if b'=' in item)
    assert b'KP_CONTROLLER_TOKEN' not in environ and b'SSH_AUTH_SOCK' not in environ
    assert not [k for k in environ if k.startswith(b'ANSIBLE_')], sorted(environ)
    # What it runs with: the catalog's variables and secrets, the account and the locale.
    assert (environ[b'SERVICE_NAME'], environ[b'API_TOKEN'], environ[b'LC_TIME']) == (b'svc-alpha', SECRET.encode(), b'C.UTF-8')
    assert environ[b'PATH'] and environ[b'PORT'] == str(h.port).encode()


def test_a_server_listening_beyond_loopback_is_stopped_and_named(h):
    result = h.run(env={'SERVICE_NAME': 'svc-alpha', 'HOST': '0.0.0.0'})
    assert result['rc'] != 0 and result.get('failed'), result
    assert 'listened on 0.0.0.0 port %d, not on loopback only' % h.port in result['msg'], result['msg']
    assert result['state'] == 'stopped' and result['pid'] is None
    assert wait_until(lambda: not devports.tcp_answers(h.port, ['127.0.0.1'])), 'the server still answers'
    assert not h.pid_path.exists()
    assert SECRET not in result['raw']


def test_env_change_restarts_the_server(h):
    first = h.ok()
    old_server = h.server_pid()
    changed = h.ok(env={'SERVICE_NAME': 'svc-beta'})
    assert changed['changed'] is True
    assert changed['reasons'] == ['env changed (SERVICE_NAME)']
    assert changed['pid'] != first['pid']
    assert health(h.port) == {'status': 'ok', 'service': 'svc-beta'}
    assert wait_until(lambda: not procfs.is_alive(first['pid']) and not procfs.is_alive(old_server))
    before, after = changed['diff']['before'], changed['diff']['after']
    assert before['env']['SERVICE_NAME'] != after['env']['SERVICE_NAME']
    assert before['env']['API_TOKEN'] == after['env']['API_TOKEN']
    assert 'svc-beta' not in json.dumps(changed['diff'])  # values never appear, only digests
    assert h.ok(env={'SERVICE_NAME': 'svc-beta'})['changed'] is False


def test_port_change_restarts_on_the_new_port(h):
    h.ok()
    old_port, new_port = h.port, free_port()
    result = h.ok(port=new_port)
    assert result['changed'] is True
    assert result['reasons'] == ['port changed (%d -> %d)' % (old_port, new_port)]
    assert health(new_port)['service'] == 'svc-alpha'
    assert devports.port_holders(old_port) == []


def test_restarted_always_restarts(h):
    first = h.ok()
    again = h.ok(state='restarted')
    assert again['changed'] is True and again['reasons'] == ['state=restarted']
    assert again['pid'] != first['pid']
    assert health(h.port)['status'] == 'ok'


# --- stop ------------------------------------------------------------------------------------

def test_stop_kills_the_whole_process_group(h):
    started = h.ok()
    npm_pid, server_pid = started['pid'], h.server_pid()
    assert server_pid != npm_pid
    assert procfs.read_stat(server_pid)['session'] == npm_pid
    assert server_pid in procfs.session_members(npm_pid)

    stopped = h.ok(state='stopped', port=None)
    assert stopped['changed'] is True
    assert stopped['state'] == 'stopped' and stopped['pid'] is None
    assert stopped['port'] == h.port  # the recorded port
    assert stopped['diff']['before']['state'] == 'started'
    assert stopped['diff']['after'] == {'state': 'stopped'}
    assert not procfs.is_alive(npm_pid)
    assert not procfs.is_alive(server_pid)
    assert procfs.session_members(npm_pid) == []
    assert devports.port_holders(h.port) == []
    assert not devports.tcp_answers(h.port)
    assert not h.pid_path.exists() and not h.record_path.exists()

    again = h.ok(state='stopped', port=None)
    assert again['changed'] is False and again['reasons'] == []


def test_killing_only_npm_leaves_the_server_and_the_module_still_stops_it(h):
    started = h.ok()
    server_pid = h.server_pid()
    os.kill(started['pid'], signal.SIGKILL)  # what a naive "kill $(cat pidfile)" does
    assert wait_until(lambda: not procfs.is_alive(started['pid']))
    assert procfs.is_alive(server_pid)
    assert health(h.port)['status'] == 'ok'  # the orphaned server still answers

    check = h.ok(state='stopped', check=True)
    assert check['changed'] is True and 'children still running' in check['reasons'][0]
    assert procfs.is_alive(server_pid)

    stopped = h.ok(state='stopped')
    assert stopped['changed'] is True
    assert not procfs.is_alive(server_pid)
    assert not devports.tcp_answers(h.port)


def test_stop_without_state_dir_is_unchanged_and_creates_nothing(h):
    result = h.ok(state='stopped', port=None)
    assert result['changed'] is False
    assert not h.state_dir.exists()


# --- stale pid files -------------------------------------------------------------------------

def test_stale_pid_file_of_a_gone_process_is_cleaned_up(h):
    started = h.ok()
    os.killpg(started['pid'], signal.SIGKILL)  # the whole group dies behind the module's back
    assert wait_until(lambda: procfs.session_members(started['pid']) == [])
    assert h.pid_path.exists()

    stopped = h.ok(state='stopped')
    assert stopped['changed'] is False
    assert stopped['stale_pid_removed'] is True
    assert 'is gone' in stopped['reasons'][0]
    assert not h.pid_path.exists() and not h.record_path.exists()

    h.ok()
    os.killpg(int(h.pid_path.read_text()), signal.SIGKILL)
    assert wait_until(lambda: not devports.tcp_answers(h.port))
    restarted = h.ok()
    assert restarted['changed'] is True
    assert restarted['stale_pid_removed'] is True
    assert health(h.port)['status'] == 'ok'


def test_pid_reused_by_another_program_is_stale_and_left_alone(h):
    h.ok()
    h.ok(state='stopped')
    # Forge the records of a server whose pid now belongs to an unrelated program.
    other = subprocess.Popen(['sleep', '60'], start_new_session=True)
    h.foreign.append(other)
    record = {
        'version': 1, 'name': h.name, 'pid': other.pid,
        'start_time': procfs.read_stat(other.pid)['start_time'] - 1,  # started at another time
        'boot_id': procfs.boot_id(), 'fingerprint': 'x', 'salt': '0' * 32, 'settings': {},
    }
    h.record_path.write_text(json.dumps(record))
    h.pid_path.write_text('%d\n' % other.pid)

    stopped = h.ok(state='stopped')
    assert stopped['changed'] is False and stopped['stale_pid_removed'] is True
    assert 'another program (sleep)' in stopped['reasons'][0]
    assert other.poll() is None  # the unrelated program was not touched
    assert not h.pid_path.exists()

    # Same forged state, then state=started: it starts a fresh server, still not touching `sleep`.
    h.record_path.write_text(json.dumps(record))
    h.pid_path.write_text('%d\n' % other.pid)
    started = h.ok()
    assert started['changed'] is True and started['pid'] != other.pid
    assert other.poll() is None
    assert health(h.port)['status'] == 'ok'


def test_pid_file_without_record_is_not_trusted(h):
    other = subprocess.Popen(['sleep', '60'], start_new_session=True)
    h.foreign.append(other)
    h.state_dir.mkdir()
    h.pid_path.write_text('%d\n' % other.pid)
    stopped = h.ok(state='stopped')
    assert stopped['changed'] is False and stopped['stale_pid_removed'] is True
    assert other.poll() is None
    assert not h.pid_path.exists()


def test_record_without_pid_file_still_names_our_server(h):
    # A run that died between writing the settings record and the pid file: the record proves the pid.
    started = h.ok()
    h.pid_path.unlink()
    again = h.ok()
    assert again['changed'] is False and again['pid'] == started['pid']
    stopped = h.ok(state='stopped')
    assert stopped['changed'] is True and 'running (pid %d)' % started['pid'] in stopped['reasons'][0]
    assert wait_until(lambda: procfs.session_members(started['pid']) == [])
    assert not h.record_path.exists()


# --- port conflicts --------------------------------------------------------------------------

def test_port_held_by_a_foreign_process_is_refused_and_named(h):
    foreign = h.start_foreign_http_server(h.port)
    result = h.run()
    assert result['rc'] != 0 and result['failed'] is True
    assert 'Port %d is in use by pid %d' % (h.port, foreign.pid) in result['msg']
    assert 'http.server' in result['msg']
    assert result['holders'][0]['pid'] == foreign.pid
    assert foreign.poll() is None  # refused, nothing killed
    assert not h.pid_path.exists()
    assert not (h.app / 'node_modules').exists()  # failed before installing anything
    # check mode reports the same conflict
    check = h.run(check=True)
    assert check['failed'] is True and str(foreign.pid) in check['msg']


def test_port_change_to_a_taken_port_keeps_the_running_server(h):
    started = h.ok()
    taken = free_port()
    foreign = h.start_foreign_http_server(taken)
    result = h.run(port=taken)
    assert result['failed'] is True and str(foreign.pid) in result['msg']
    assert procfs.is_alive(started['pid'])
    assert health(h.port)['status'] == 'ok'


# --- check mode ------------------------------------------------------------------------------

def test_check_mode_changes_nothing(h):
    would_start = h.ok(check=True)
    assert would_start['changed'] is True
    assert would_start['pid'] is None and would_start['state'] == 'started'
    assert would_start['install']['ran'] is True  # would install
    assert would_start['diff']['after']['state'] == 'started'
    assert not h.state_dir.exists()
    assert not (h.app / 'node_modules').exists()
    assert not devports.tcp_answers(h.port)

    started = h.ok()
    state_files = dict((p.name, p.read_bytes()) for p in h.state_dir.iterdir())

    would_restart = h.ok(check=True, env={'SERVICE_NAME': 'svc-gamma'}, secret_env={})
    assert would_restart['changed'] is True
    assert 'env changed (API_TOKEN, SERVICE_NAME)' in would_restart['reasons']

    would_stop = h.ok(check=True, state='stopped')
    assert would_stop['changed'] is True

    unchanged = h.ok(check=True)
    assert unchanged['changed'] is False and unchanged['pid'] == started['pid']

    assert dict((p.name, p.read_bytes()) for p in h.state_dir.iterdir()) == state_files
    assert procfs.is_alive(started['pid'])
    assert health(h.port)['service'] == 'svc-alpha'


# --- dependency installs ---------------------------------------------------------------------

def test_npm_ci_runs_when_needed_and_not_again_when_the_lock_is_unchanged(h):
    first = h.ok()
    assert first['install'] == {'ran': True, 'cmd': first['install']['cmd'], 'reason': 'node_modules is missing'}
    assert first['install']['cmd'][1:] == ['ci', '--no-audit', '--no-fund']
    h.ok(state='stopped')

    again = h.ok()
    assert again['install']['ran'] is False  # node_modules present, lock unchanged
    h.ok(state='stopped')

    shutil.rmtree(str(h.app / 'node_modules'))
    missing = h.ok()
    assert missing['install']['ran'] is True and missing['install']['reason'] == 'node_modules is missing'
    assert 'dev-banner: svc-alpha development server' in h.log_path.read_text()

    # The lock file changes (same content, other formatting): npm ci runs and the server restarts.
    lock = h.app / 'package-lock.json'
    lock.write_text(json.dumps(json.loads(lock.read_text()), indent=4) + '\n')
    relocked = h.ok()
    assert relocked['changed'] is True
    assert relocked['install']['reason'] == 'lock file package-lock.json changed since the last install'
    assert 'lock file changed' in relocked['reasons']
    assert relocked['pid'] != missing['pid']
    assert h.ok()['changed'] is False


def test_install_never_and_always(h):
    never = h.ok(install='never')
    assert never['install']['ran'] is False
    assert not (h.app / 'node_modules').exists()
    assert 'dev-banner: not installed' in h.log_path.read_text()

    always = h.ok(install='always')
    assert always['changed'] is True and always['install']['ran'] is True
    assert (h.app / 'node_modules').exists()
    assert h.ok(install='always')['changed'] is True  # always is not idempotent, as documented


def test_npm_install_when_there_is_no_lock_file(h):
    (h.app / 'package-lock.json').unlink()
    first = h.ok()
    assert first['install']['cmd'][1] == 'install'
    assert (h.app / 'package-lock.json').exists()  # npm install wrote one
    second = h.ok()
    assert second['changed'] is False and second['install']['ran'] is False


def test_failing_install_is_reported(h):
    package = json.loads((h.app / 'package.json').read_text())
    package['devDependencies']['dev-banner'] = 'file:tools/does-not-exist'
    (h.app / 'package.json').write_text(json.dumps(package))
    result = h.run()
    assert result['failed'] is True and result['msg'].startswith('npm ci failed with rc')
    assert not h.pid_path.exists()


# --- failures while starting -----------------------------------------------------------------

def test_timeout_stops_what_was_started_and_shows_the_log(h):
    started = time.monotonic()
    result = h.run(script='stall', wait_timeout=3)
    elapsed = time.monotonic() - started
    assert result['failed'] is True
    assert 'did not answer on port %d within 3 seconds' % h.port in result['msg']
    assert 'server: stalling, never listening' in result['msg']
    assert 'server: stalling, never listening' in result['log_tail']
    assert result['state'] == 'stopped' and result['pid'] is None
    assert elapsed < 30
    launched = [int(p) for p in re.findall(r'^server pid=(\d+)', h.log_path.read_text(), re.M)]
    assert launched and not any(procfs.is_alive(pid) for pid in launched)
    assert not h.pid_path.exists() and not h.record_path.exists()


def test_script_that_exits_fails_fast_with_the_log(h):
    started = time.monotonic()
    result = h.run(script='crash', wait_timeout=60)
    assert result['failed'] is True
    assert 'exited with rc 3' in result['msg']
    assert 'node-dev-app: crashing on purpose' in result['msg']
    assert time.monotonic() - started < 30  # did not wait for the full wait_timeout
    assert not h.pid_path.exists()


def test_running_server_that_does_not_answer_is_restarted(h):
    # wait_timeout=0 returns at once: npm runs, but the stalled server never opens the port.
    first = h.ok(script='stall', wait_timeout=0)
    assert first['changed'] is True and procfs.is_alive(first['pid'])
    # Same settings, but not answering: after waiting wait_timeout the module restarts it (which
    # fails again here, and cleans up).
    again = h.run(script='stall', wait_timeout=2)
    assert again['failed'] is True
    assert 'running but not answering on port %d' % h.port in again['reasons']
    assert 'did not answer' in again['msg']
    assert not procfs.is_alive(first['pid'])
    assert procfs.session_members(first['pid']) == []


# --- argument validation ---------------------------------------------------------------------

def test_invalid_arguments(h):
    missing_script = h.run(script='nope')
    assert missing_script['failed'] is True
    assert "no script 'nope' (available: crash, dev, stall)" in missing_script['msg']
    port_conflict = h.run(env={'PORT': '1'})
    assert port_conflict['failed'] is True and 'conflicts with port' in port_conflict['msg']
    bad_name = h.run(name='../escape')
    assert bad_name['failed'] is True and 'name' in bad_name['msg']
    no_port = h.run(port=None)
    assert no_port['failed'] is True and 'port' in no_port['msg']
    assert not h.state_dir.exists() or not any(h.state_dir.glob('*.pid'))


# --- through the real ansible CLI ------------------------------------------------------------

def test_through_ansible_cli_does_not_hang_and_hides_secrets(h):
    ansible = Path(sys.executable).parent / 'ansible'
    if not ansible.exists():
        pytest.skip('ansible CLI not installed next to this Python')
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS='true', ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json',
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR))

    def ansible_run(args):
        proc = subprocess.run([str(ansible), 'localhost', '-m', 'korczewski.platform.npm_dev_server',
                               '-a', json.dumps(h.args(**args)), '--diff'],
                              cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert SECRET not in proc.stdout + proc.stderr
        return json.loads(proc.stdout[proc.stdout.index('{'):])['plays'][0]['tasks'][0]['hosts']['localhost']

    started = ansible_run({})
    assert started['changed'] is True, started
    assert health(h.port)['service'] == 'svc-alpha'
    assert ansible_run({})['changed'] is False
    stopped = ansible_run({'state': 'stopped'})
    assert stopped['changed'] is True
    assert not devports.tcp_answers(h.port)


def test_servers_brings_several_servers_up_in_one_call_and_a_broken_one_fails_alone(h):
    """servers: one module run for the servers of one account; a server that cannot start fails
    naming itself, while the others still come up, and a second run changes nothing."""
    good = dict(name='alpha-development', source=str(h.app), port=free_port(), state_dir=str(h.state_dir),
                env={'SERVICE_NAME': 'svc-alpha'}, secret_env={'API_TOKEN': SECRET}, wait_timeout=30)
    other = dict(good, name='beta-development', port=free_port(), env={'SERVICE_NAME': 'svc-beta'})
    broken = dict(good, name='gamma-development', port=free_port(), script='no-such-script')
    multi = dict(name=None, source=None, port=None, state_dir=None, env=None, secret_env=None,
                 wait_timeout=None, stop_timeout=None)

    result = h.run(servers=[good, broken, other], **multi)
    assert result['rc'] != 0 and result['failed'], result
    assert 'gamma-development' in result['msg'] and 'no-such-script' in result['msg'], result['msg']
    assert [s['name'] for s in result['servers']] == ['alpha-development', 'gamma-development', 'beta-development']
    assert [s['failed'] for s in result['servers']] == [False, True, False]
    assert SECRET not in result['raw']
    assert health(good['port'])['service'] == 'svc-alpha'
    assert health(other['port'])['service'] == 'svc-beta'

    again = h.run(servers=[good, other], **multi)
    assert again['rc'] == 0 and again['changed'] is False, again
    assert all(s['state'] == 'started' and s['pid'] for s in again['servers'])

    stopped = h.run(servers=[dict(good, state='stopped'), dict(other, state='stopped')], **multi)
    assert stopped['rc'] == 0 and stopped['changed'] is True, stopped
    assert not devports.tcp_answers(good['port'], ['127.0.0.1']) and not devports.tcp_answers(other['port'], ['127.0.0.1'])


def test_servers_and_name_are_mutually_exclusive(h):
    result = h.run(servers=[dict(name='x', source=str(h.app), port=free_port())])
    assert result['rc'] != 0 and 'mutually exclusive' in result['msg'], result
