# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""korczewski.platform.service_health run by the real ``ansible`` and ``ansible-playbook`` CLIs
against local HTTP and HTTPS servers (tests/integration/plugins/health_servers.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from health_servers import SERVICE_HOST, free_port  # noqa: E402

REPO_ROOT = str(Path(__file__).resolve().parents[4])
BIN = os.path.dirname(sys.executable)


def _tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


pytestmark = pytest.mark.skipif(_tool("ansible") is None, reason="needs the ansible CLI")


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def run_module(args, *extra):
    """Run the module ad hoc; returns (exit code, result dict, full output)."""
    cmd = [_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-m", "korczewski.platform.service_health", "-a", json.dumps(args)] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    marker = proc.stdout.find(" => ")
    assert marker >= 0, proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout[marker + 4:]), proc.stdout + proc.stderr


def test_check_mode_probes_http_tcp_and_https_with_ca_path(pki, http_server, https_server):
    rc, result, output = run_module({
        "endpoints": [
            {"name": "web", "service": "svc", "environment": "development", "kind": "http",
             "url": "http://127.0.0.1:%d/health" % http_server.port,
             "conditions": ["[STATUS] == 200", "[BODY].status == UP", "len([BODY].items) == 3"]},
            {"name": "port", "kind": "tcp", "port": http_server.port},
            {"name": "proxy", "kind": "https", "url": "https://%s:%d/host" % (SERVICE_HOST, https_server.port),
             "conditions": ["[STATUS] == 200", "[BODY].host == %s:%d" % (SERVICE_HOST, https_server.port),
                            "[CERTIFICATE_EXPIRATION] > 48h"]},
        ],
        "ca_path": pki["ca"],
        "retries": 0,
    }, "--check")
    assert rc == 0, output
    assert result["changed"] is False
    assert result["failed_endpoints"] == []
    web, port, proxy = result["results"]
    assert (web["name"], web["service"], web["environment"], web["ok"], web["status"], web["attempts"]) == (
        "web", "svc", "development", True, 200, 1)
    assert (port["kind"], port["connected"], port["target"]) == ("tcp", True, "127.0.0.1:%d" % http_server.port)
    assert (proxy["ok"], proxy["address"], proxy["host"]) == (True, "127.0.0.1", SERVICE_HOST)
    assert 239 < proxy["certificate_expires_in_hours"] <= 240
    lines = result["summary"].splitlines()
    assert lines[0].split() == ["NAME", "TARGET", "STATUS", "LATENCY", "RESULT"]
    assert [line.split()[0] for line in lines[1:]] == ["web", "port", "proxy"]
    assert all(line.endswith("  ok") for line in lines[1:])


def test_a_missing_ca_matters_only_to_https_endpoints(tmp_path, http_server):
    # Before the first deploy the local CA does not exist: nothing to probe, or only plain HTTP,
    # must not fail on it; an HTTPS endpoint fails naming the file and itself.
    missing = str(tmp_path / "local-ca" / "ca.crt")
    rc, result, output = run_module({"endpoints": [], "ca_path": missing})
    assert rc == 0, output
    assert result["results"] == []
    rc, result, output = run_module({"endpoints": [{"name": "web", "url": "http://127.0.0.1:%d/health" % http_server.port}],
                                     "ca_path": missing, "retries": 0})
    assert rc == 0, output
    assert [r["ok"] for r in result["results"]] == [True]
    rc, result, output = run_module({"endpoints": [{"name": "proxy", "kind": "https", "url": "https://%s:1/" % SERVICE_HOST}],
                                     "ca_path": missing, "retries": 0})
    assert rc != 0, output
    assert result["msg"].startswith("cannot load ca_path %s, which the HTTPS endpoint(s) proxy need: " % missing)


def test_failing_endpoint_fails_the_module_naming_its_condition(http_server):
    closed = free_port()
    rc, result, output = run_module({
        "endpoints": [
            {"name": "fine", "url": "http://127.0.0.1:%d/health" % http_server.port},
            {"name": "gateway", "url": "http://127.0.0.1:%d/status/502" % http_server.port},
            {"name": "gone", "kind": "tcp", "port": closed},
        ],
        "retries": 1, "retry_interval": 0.1,
    })
    assert rc != 0, output
    assert result["failed_endpoints"] == ["gateway", "gone"]
    assert result["msg"].splitlines() == [
        "2 of 3 endpoints failed:",
        "gateway (http://127.0.0.1:%d/status/502): [STATUS] == 200 (got 502)" % http_server.port,
        "gone (127.0.0.1:%d): [CONNECTED] == true (got false)" % closed,
    ]
    assert [(r["name"], r["ok"], r["attempts"]) for r in result["results"]] == [
        ("fine", True, 1), ("gateway", False, 2), ("gone", False, 2)]


def test_report_only_and_malformed_conditions(http_server):
    tag = uuid.uuid4().hex
    flaky = "http://127.0.0.1:%d/flaky?id=%s&fail=99" % (http_server.port, tag)
    rc, result, output = run_module({
        "endpoints": [{"name": "a", "url": "http://127.0.0.1:%d/status/503" % http_server.port}],
        "retries": 0, "fail_on_error": False,
    })
    assert rc == 0, output
    assert result["failed_endpoints"] == ["a"]
    assert result["results"][0]["failed_conditions"] == ["[STATUS] == 200 (got 503)"]

    rc, result, output = run_module({"endpoints": [
        {"name": "first", "url": flaky},
        {"name": "second", "url": flaky, "conditions": ["[STATUS] == 200", "[BODY].x =< 3"]},
        {"name": "third", "kind": "tcp", "port": 1, "conditions": ["[STATUS] == 200"]},
    ]})
    assert rc != 0
    assert result["msg"].splitlines() == [
        "invalid endpoints:",
        "endpoints[1] (second): condition '[BODY].x =< 3': expected '<placeholder> <operator> <value>' "
        "with an operator of == != < <= > >=",
        "endpoints[2] (third): condition '[STATUS] == 200': a tcp probe does not measure [STATUS] "
        "(it measures [CONNECTED], [RESPONSE_TIME])",
    ]
    assert "results" not in result
    # Nothing was probed: the flaky endpoint's first request is still to come.
    rc, result, output = run_module({"endpoints": [{"name": "count", "url": flaky, "conditions": ["[BODY].request == 1"]}],
                                     "retries": 0, "fail_on_error": False})
    assert result["results"][0]["failed_conditions"] == [], output


PLAYBOOK = """
- name: Health of a catalog
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Probe every health target of the catalog
      korczewski.platform.service_health:
        endpoints: "{{ platform_services | korczewski.platform.health_targets('ztest.localhost', https_port=https_port) }}"
        ca_path: "{{ ca_path }}"
        retries: 0
      register: health

    - name: Show the summary
      ansible.builtin.debug:
        msg: "{{ health.summary.splitlines() }}"

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ health | to_json }}"
        dest: "{{ result_path }}"
        mode: "0600"
"""


def test_playbook_probes_what_the_catalog_filter_returns(tmp_path, pki, http_server, https_server):
    services = {"svc": {"layer": "control", "environments": {
        "production": {"method": "compose", "hostname": "svc", "containers": [
            {"name": "ztest-svc", "image": "local/app-standin:1", "port": 8080, "health": "/host"}]},
        "development": {"method": "npm", "source": str(tmp_path), "port": http_server.port, "health": "/health"},
    }}}
    variables = {"platform_services": services, "https_port": https_server.port, "ca_path": pki["ca"],
                 "result_path": str(tmp_path / "result.json")}
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
    (tmp_path / "health.yml").write_text(PLAYBOOK)
    proc = subprocess.run([_tool("ansible-playbook"), "-i", "localhost,", str(tmp_path / "health.yml"),
                           "-e", "@" + str(tmp_path / "vars.yml")],
                          cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert [(r["name"], r["environment"], r["kind"], r["ok"], r["status"]) for r in result["results"]] == [
        ("ztest-svc", "production", "https", True, 200),
        ("svc", "development", "http", True, 200),
    ]
    assert result["results"][0]["url"] == "https://%s:%d/host" % (SERVICE_HOST, https_server.port)
    assert "ztest-svc" in proc.stdout and "https://%s:%d/host" % (SERVICE_HOST, https_server.port) in proc.stdout
