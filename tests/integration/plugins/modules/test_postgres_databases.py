# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""korczewski.platform.postgres_databases against a real PostgreSQL server (local/postgres:15).

Checks the servers option (several servers in one call, a missing one failing alone) and the
login checks, which all run in one docker exec: passwords with quotes, spaces and shell
characters must log in, a changed one must be detected and set. Project ztest-pgdb, removed with
its volume.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODULE = os.path.join(REPO_ROOT, "plugins", "modules", "postgres_databases.py")
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "collections")
PROJECT = "ztest-pgdb"
SUPERUSER_PASSWORD = "Zt3st-super 'quoted\" $HOME `id` secret"
OWNER_PASSWORD = "Zt3st-owner;echo \"pwned\" 'x' \\n"


pytestmark = pytest.mark.needs_image("local/postgres:15")

COMPOSE = {
    "name": PROJECT,
    "services": {"db": {
        "image": "local/postgres:15",
        "container_name": PROJECT,
        "environment": {"POSTGRES_PASSWORD_FILE": "/run/secrets/pw", "POSTGRES_INITDB_ARGS": "--auth-host=scram-sha-256"},
        "secrets": ["pw"],
        "volumes": ["data:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD", "pg_isready", "-h", "127.0.0.1"], "interval": "1s", "retries": 60}}},
    "secrets": {"pw": {"file": "./pw"}},
    "volumes": {"data": {"name": PROJECT + "-data"}},
}


def compose(directory, *args):
    return subprocess.run(["docker", "compose", "--project-directory", str(directory), "-f", str(directory / "compose.yml")]
                          + list(args), capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pgdb")
    (directory / "compose.yml").write_text(json.dumps(COMPOSE))
    secret = directory / "pw"
    secret.write_text(SUPERUSER_PASSWORD + "\n")
    os.chmod(secret, 0o600)
    up = compose(directory, "up", "--detach", "--wait", "--wait-timeout", "120")
    assert up.returncode == 0, up.stderr
    yield PROJECT
    compose(directory, "down", "--volumes", "--timeout", "0")


def run(tmp_path, **args):
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, MODULE, str(args_file)], env=dict(os.environ, PYTHONPATH=COLLECTIONS_DIR),
                          capture_output=True, text=True, timeout=180, check=False)
    result = json.loads(proc.stdout)
    for secret in (SUPERUSER_PASSWORD, OWNER_PASSWORD):
        assert secret not in proc.stdout + proc.stderr
    return result


def entry(container, password=OWNER_PASSWORD, superuser_password=SUPERUSER_PASSWORD):
    return {"container": container, "superuser_password": superuser_password,
            "databases": [{"name": "ztest_db", "owner": "ztest_user", "password": password}]}


def test_servers_converge_together_and_a_missing_one_fails_alone(server, tmp_path):
    first = run(tmp_path, servers=[entry("ztest-pgdb-missing"), entry(server)])
    assert first.get("failed") and "ztest-pgdb-missing" in first["msg"], first
    by_container = dict((s["container"], s) for s in first["servers"])
    assert by_container["ztest-pgdb-missing"]["failed"] is True
    assert by_container[server]["failed"] is False and by_container[server]["changed"] is True
    assert "database missing" in by_container[server]["databases"][0]["reasons"]
    # The superuser's password with quotes and shell characters logged in: nothing to set.
    assert by_container[server]["superuser_changed"] is False

    again = run(tmp_path, servers=[entry(server)])
    assert not again.get("failed") and again["changed"] is False, again

    login = subprocess.run(["docker", "exec", "-e", "PGPASSWORD=" + OWNER_PASSWORD, server, "psql", "-X", "-w", "-h",
                            "127.0.0.1", "-U", "ztest_user", "-d", "ztest_db", "-tAc", "SELECT 1"],
                           capture_output=True, text=True, check=False)
    assert login.stdout.strip() == "1", login.stderr


def test_a_changed_password_is_found_by_logging_in_and_set(server, tmp_path):
    run(tmp_path, servers=[entry(server)])
    checked = run(tmp_path, _ansible_check_mode=True, servers=[entry(server, password="Zt3st-new owner pw")])
    assert checked["changed"] is True
    assert checked["servers"][0]["databases"][0]["reasons"] == ["password differs from the vault"]
    changed = run(tmp_path, servers=[entry(server, password="Zt3st-new owner pw")])
    assert changed["changed"] is True
    assert run(tmp_path, servers=[entry(server, password="Zt3st-new owner pw")])["changed"] is False
    wrong_superuser = run(tmp_path, _ansible_check_mode=True, container=server, superuser_password="Zt3st-not it",
                          databases=entry(server, password="Zt3st-new owner pw")["databases"])
    assert wrong_superuser["superuser_changed"] is True and wrong_superuser["changed"] is True


def psql(server, sql, database="postgres", user=None, password=None):
    argv = ["docker", "exec"]
    if password is not None:
        argv += ["-e", "PGPASSWORD=" + password]
    argv += [server, "psql", "-X", "-w", "-tA", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]
    argv += ["-h", "127.0.0.1", "-U", user] if user else ["-U", "postgres"]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_an_adopted_owner_hands_every_object_to_the_catalogs_owner_and_keeps_its_login(server, tmp_path):
    # A hand-run installation's database, owned by a role of another name than the catalog's owner.
    for sql in ("CREATE ROLE ztest_handrun LOGIN PASSWORD 'Zt3st-handrun-pw'",
                "CREATE DATABASE ztest_adopted OWNER ztest_handrun"):
        assert psql(server, sql).returncode == 0
    made = psql(server, "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('a'), ('b');",
                "ztest_adopted", "ztest_handrun", "Zt3st-handrun-pw")
    assert made.returncode == 0, made.stderr
    args = {"container": server, "adopted_owners": {"ztest_adopted": "ztest_handrun"},
            "databases": [{"name": "ztest_adopted", "owner": "ztest_adopted_user", "password": OWNER_PASSWORD}]}

    checked = run(tmp_path, _ansible_check_mode=True, **args)
    assert checked["changed"] is True and "ztest_adopted_user gets the objects of ztest_handrun" in checked["databases"][0]["reasons"]
    assert psql(server, "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'", "ztest_adopted").stdout.strip() == "ztest_handrun"

    first = run(tmp_path, **args)
    assert not first.get("failed") and first["changed"] is True, first
    assert psql(server, "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'", "ztest_adopted").stdout.strip() == "ztest_adopted_user"
    # The catalog's owner reads and writes what the hand-run role had; the hand-run role still does too.
    wrote = psql(server, "INSERT INTO notes (body) VALUES ('c') RETURNING id", "ztest_adopted", "ztest_adopted_user", OWNER_PASSWORD)
    assert wrote.returncode == 0 and wrote.stdout.strip().splitlines()[0] == "3", wrote.stderr
    old = psql(server, "SELECT count(*) FROM notes", "ztest_adopted", "ztest_handrun", "Zt3st-handrun-pw")
    assert old.returncode == 0 and old.stdout.strip() == "3", old.stderr

    again = run(tmp_path, **args)
    assert again["changed"] is False, again
