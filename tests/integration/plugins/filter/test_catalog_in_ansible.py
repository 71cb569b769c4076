# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog filters through real Ansible processes: ansible-doc renders every sidecar, and an
ad-hoc run resolves them by FQCN and fails a task with the catalog's errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.korczewski.platform.plugins.filter.catalog import FilterModule

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
BIN_DIR = os.path.dirname(sys.executable)
DOMAIN = "korczewski.de"
FILTERS = FilterModule().filters()


def _run(args, timeout=120):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.oneline")
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_ansible_doc_renders_every_filter():
    proc = _run([os.path.join(BIN_DIR, "ansible-doc"), "-t", "filter", "--json"]
                + ["korczewski.platform.%s" % name for name in sorted(FILTERS)])
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted("korczewski.platform.%s" % name for name in FILTERS)
    for name, doc in docs.items():
        assert doc["doc"]["name"] == name.rsplit(".", 1)[1]
        assert doc["doc"]["collection"] == "korczewski.platform"
        assert doc["return"]["_value"]["description"]
    assert "[WARNING]" not in proc.stderr


# ---------------------------------------------------------------- a real Ansible run


def _adhoc(expression, extra_vars, tmp_path):
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
    proc = _run([os.path.join(BIN_DIR, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                 "-e", "@%s" % vars_file, "-m", "ansible.builtin.debug", "-a", "msg={{ %s }}" % expression])
    return proc


def test_filters_resolve_by_fqcn_in_a_real_ansible_run(base_services, tmp_path):
    proc = _adhoc("{'select': svc | korczewski.platform.catalog_units(domain, layer='applications',"
                  " environment='production') | map(attribute='service') | list,"
                  " 'labels': svc | korczewski.platform.identity_labels(domain, 'auth', 'production'),"
                  " 'errors': svc | korczewski.platform.catalog_errors(domain)}",
                  {"svc": base_services, "domain": DOMAIN}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout[proc.stdout.index("{"):])["msg"]
    assert result == {
        "select": ["auth", "l2p", "payment", "videovault"],
        "labels": {"korczewski.platform.service": "auth", "korczewski.platform.environment": "production",
                   "korczewski.platform.layer": "applications", "korczewski.platform.unit": "auth-production"},
        "errors": [],
    }


def test_errors_through_ansible_name_plain_types_and_fail_the_task(mutate, tmp_path):
    services = mutate([{"op": "set", "path": "auth.environments.production.containers",
                        "value": {"name": "auth-service"}}])
    proc = _adhoc("svc | korczewski.platform.catalog_errors(domain)", {"svc": services, "domain": DOMAIN}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    errors = json.loads(proc.stdout[proc.stdout.index("{"):])["msg"]
    # Ansible passes its own dict subclasses; the message must still say "mapping".
    assert errors == ["platform_services.auth.environments.production.containers: must be a list, got mapping"]
    failed = _adhoc("svc | korczewski.platform.catalog_units(domain)", {"svc": services, "domain": DOMAIN},
                    tmp_path)
    assert failed.returncode != 0
    assert "platform_services is invalid" in failed.stdout + failed.stderr
