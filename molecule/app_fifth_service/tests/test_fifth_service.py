# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A service the collection has no code for ("notes"), deployed from a test inventory alone."""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position

FACTS = helpers.facts("platform-facts.json")
HTTPS = FACTS["https_port"]
HOST = "notes.%s" % FACTS["domain"]


def curl(url, pin=True):
    proc = helpers.curl(url, ca_cert=FACTS["ca_cert"], pin=(HTTPS,) if pin else ())
    assert proc.returncode == 0, "%s: %s" % (url, proc.stderr)
    return json.loads(proc.stdout)


def test_the_catalog_has_only_the_fifth_application():
    assert {u["service"] for u in FACTS["units"]} == {"notes"}


def test_production_replicas_are_load_balanced_behind_traefik_with_their_database():
    seen = set()
    for dummy in range(12):
        health = curl("https://%s:%d/health" % (HOST, HTTPS))
        assert health["database"] == "reachable", health
        assert health["service"] == "notes" and health["environment"] == "production"
        seen.add(health["instance"])
    assert len(seen) == 2, seen


def test_production_secret_reaches_the_container_and_stays_private(host):
    env_file = host.file(os.path.join(FACTS["project_root"], "notes-production", "secrets.env"))
    assert env_file.mode == 0o600
    assert "NOTES_SIGNING_KEY=" in env_file.content_string
    ids = helpers.docker("ps", "-q", "--filter", "label=korczewski.platform.service=notes",
                         "--filter", "label=korczewski.platform.environment=production").stdout.split()
    assert len(ids) == 2
    for cid in ids:
        env = helpers.docker("exec", cid, "printenv", "NOTES_SIGNING_KEY").stdout.strip()
        assert len(env) == 32


def test_development_runs_as_npm_dev_server_on_loopback_with_the_dev_database():
    health = curl("http://127.0.0.1:5600/health", pin=False)
    assert health == {"status": "ok", "service": "notes", "database": "reachable"}
