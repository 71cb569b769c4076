# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The local postgres image's entrypoint honours POSTGRES_PASSWORD_FILE like the official one:
a root-owned 0600 compose secret is read before the server drops to the postgres user, and the
password is in neither the container's configuration nor the server's environment.

Runs local/postgres:15 with this checkout's entrypoint mounted over the image's, so the script
is tested before the image is rebuilt. Project ztest-apply-pg, removed with its volume.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

ENTRYPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "images", "postgres", "docker-entrypoint.sh")
PROJECT = "ztest-apply-pg"
PASSWORD = "Zt3st-pg-'quoted\"-Secret"


pytestmark = pytest.mark.needs_image("local/postgres:15")

COMPOSE = """{
  "name": "%(project)s",
  "services": {"db": {
    "image": "local/postgres:15",
    "container_name": "%(project)s",
    "environment": {"POSTGRES_PASSWORD_FILE": "/run/secrets/pw", "POSTGRES_INITDB_ARGS": "--auth-host=scram-sha-256"},
    "secrets": ["pw"],
    "volumes": ["%(entrypoint)s:/usr/local/bin/docker-entrypoint.sh:ro", "data:/var/lib/postgresql/data"],
    "healthcheck": {"test": ["CMD", "pg_isready", "-h", "127.0.0.1"], "interval": "1s", "retries": 60}}},
  "secrets": {"pw": {"file": "./pw"}},
  "volumes": {"data": {"name": "%(project)s-data"}}
}
"""


def compose(directory, *args):
    return subprocess.run(["docker", "compose", "--project-directory", str(directory), "-f", str(directory / "compose.yml")]
                          + list(args), capture_output=True, text=True, check=False)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "compose.yml").write_text(COMPOSE % {"project": PROJECT, "entrypoint": os.path.realpath(ENTRYPOINT)})
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    os.chmod(secret, 0o600)
    yield tmp_path
    compose(tmp_path, "down", "--volumes", "--timeout", "0")


def test_password_comes_from_a_root_only_file_and_stays_out_of_the_environment(project):
    up = compose(project, "up", "--detach", "--wait", "--wait-timeout", "120")
    assert up.returncode == 0, up.stderr + subprocess.run(["docker", "logs", PROJECT], capture_output=True, text=True, check=False).stderr
    # Log in over TCP, where only SCRAM is accepted, with the file's password.
    login = subprocess.run(["docker", "exec", "-e", "PGPASSWORD=" + PASSWORD, PROJECT, "psql", "-X", "-w", "-h", "127.0.0.1",
                            "-U", "postgres", "-d", "postgres", "-tAc", "SELECT 1"], capture_output=True, text=True, check=False)
    assert login.stdout.strip() == "1", login.stderr
    wrong = subprocess.run(["docker", "exec", "-e", "PGPASSWORD=wrong", PROJECT, "psql", "-X", "-w", "-h", "127.0.0.1",
                            "-U", "postgres", "-d", "postgres", "-tAc", "SELECT 1"], capture_output=True, text=True, check=False)
    assert wrong.returncode != 0
    inspect = subprocess.run(["docker", "inspect", PROJECT], capture_output=True, text=True, check=True).stdout
    assert "Zt3st-pg" not in inspect
    for _attempt in range(20):
        environ = subprocess.run(["docker", "exec", PROJECT, "cat", "/proc/1/environ"], capture_output=True, text=True, check=False)
        if environ.returncode == 0:
            break
        time.sleep(0.5)
    assert "Zt3st-pg" not in environ.stdout
    assert "POSTGRES_PASSWORD_FILE" not in environ.stdout
