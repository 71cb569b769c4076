# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The database servers as deployed by korczewski.platform.shared_postgres, judged from outside.

Application roles log in over TCP from a throwaway client container on the server's own network,
so pg_hba's host rules and SCRAM are what is tested, never the container-local socket; the
superuser logs in over TCP only from inside its server container (127.0.0.1). Passwords
reach psql only through the environment (``docker exec -e PGPASSWORD``), never a command line.
The stateful checks (recreate, role re-run, password change, backup and restore) run the
collection's real playbooks against Molecule's inventory, in file order.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position
from helpers import docker, inspect  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["all"]

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
SCENARIO = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO = os.path.abspath(os.path.join(SCENARIO, "..", ".."))
VARS_FILE = os.path.join(SCENARIO, "vars", "scenario.yml")
with open(VARS_FILE, encoding="utf-8") as handle:
    SCENARIO_VARS = yaml.safe_load(handle)
SECRETS = SCENARIO_VARS["platform_secret_values"]
QUOTED_DB = "l2p_db"
QUOTED_PASSWORD = SECRETS["shared-postgres"][QUOTED_DB]
CLIENT = "molecule-shared-postgres-client"
PLAYBOOK_TIMEOUT = 600


def load_instance(environment):
    return helpers.facts("shared_postgres-%s.json" % environment)


PROD = load_instance("production")
DEV = load_instance("development")
INSTANCES = {"production": PROD, "development": DEV}


def secret(instance, name):
    """A secret as the platform_secret lookup resolves it: test value first, else the generated file."""
    value = SECRETS.get(instance["container"], {}).get(name)
    if value is not None:
        return value
    with open(os.path.join(instance["credentials_dir"], instance["container"], name), encoding="utf-8") as handle:
        return handle.read().rstrip("\n")


def superuser_sql(instance, sql, database="postgres"):
    """SQL as the superuser over the server's local socket (peer), for looking, not for testing auth."""
    return docker("exec", "-u", "postgres", instance["container"], "psql", "-X", "-A", "-t", "-v",
                  "ON_ERROR_STOP=1", "-d", database, "-c", sql).stdout.strip()


def login(instance, user, database, password, sql="SELECT current_user || '@' || current_database()"):
    """psql over TCP from the client container; returns the CompletedProcess."""
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
    return subprocess.run(
        ["docker", "exec", "-e", "PGPASSWORD", "-e", "PGCONNECT_TIMEOUT", CLIENT, "psql", "-X", "-w", "-A", "-t",
         "-v", "ON_ERROR_STOP=1", "-h", instance["container"], "-U", user, "-d", database, "-c", sql],
        capture_output=True, text=True, env=env, timeout=60, check=False)


def local_login(instance, user, database, password, host="127.0.0.1"):
    """psql over TCP from inside the server container itself (loopback), as the role's checks log in."""
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
    return subprocess.run(
        ["docker", "exec", "-e", "PGPASSWORD", "-e", "PGCONNECT_TIMEOUT", instance["container"], "psql", "-X", "-w",
         "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", user, "-d", database, "-c", "SELECT current_user"],
        capture_output=True, text=True, env=env, timeout=60, check=False)


def hba_lines(instance):
    """The rules of the managed pg_hba.conf on the host, each split into its fields."""
    with open(os.path.join(instance["project_dir"], "conf", "pg_hba.conf"), encoding="utf-8") as handle:
        return [line.split() for line in handle if line.strip() and not line.lstrip().startswith("#")]


def playbook(*args):
    """Run a playbook of this checkout against Molecule's inventory; returns (result, recap dict)."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or os.path.join(EPHEMERAL, "inventory")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
           "-i", os.path.join(REPO, "inventory", "local"), "-e", "@" + VARS_FILE, "-e", "platform_target=all"] + list(args)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env,
                            timeout=PLAYBOOK_TIMEOUT, check=False)
    recap = {}
    match = re.search(r"^\S+\s*:\s*(ok=.*)$", result.stdout.split("PLAY RECAP")[-1], re.MULTILINE)
    if match:
        recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}
    return result, recap


def converge(*args):
    return playbook(os.path.join(SCENARIO, "converge.yml"), "-e", '{"molecule_instances": ["production"]}', *args)


def describe(result):
    return "rc=%s\n%s\n%s" % (result.returncode, result.stdout[-4000:], result.stderr[-2000:])


@pytest.fixture(scope="module")
def client():
    """A psql client container on both servers' networks (TCP, so SCRAM is what answers)."""
    docker("rm", "-f", "--volumes", CLIENT, check=False)
    image = inspect(PROD["container"])["Config"]["Image"]
    prod_net = list(inspect(PROD["container"])["NetworkSettings"]["Networks"])[0]
    dev_net = list(inspect(DEV["container"])["NetworkSettings"]["Networks"])[0]
    docker("run", "-d", "--name", CLIENT, "--network", prod_net, "--entrypoint", "sleep", image, "infinity")
    if dev_net != prod_net:
        docker("network", "connect", dev_net, CLIENT)
    yield CLIENT
    # --volumes: the image declares PGDATA a volume, which would otherwise stay behind anonymous.
    docker("rm", "-f", "--volumes", CLIENT, check=False)


# ------------------------------------------------------------------ the servers


@pytest.mark.parametrize("environment", ["production", "development"])
def test_server_is_healthy_and_labelled(environment):
    instance = INSTANCES[environment]
    info = inspect(instance["container"])
    assert info["State"]["Health"]["Status"] == "healthy"
    labels = info["Config"]["Labels"]
    assert labels["korczewski.platform.service"] == instance["service"]
    assert labels["korczewski.platform.environment"] == environment
    assert labels["korczewski.platform.layer"] == "infrastructure"
    assert labels["com.docker.compose.project"] == instance["project"]


def test_production_publishes_no_port():
    info = inspect(PROD["container"])
    assert not info["HostConfig"]["PortBindings"]
    assert all(not bindings for bindings in (info["NetworkSettings"]["Ports"] or {}).values())
    assert list(info["NetworkSettings"]["Networks"]) == ["platform"]


def test_development_publishes_on_loopback_only():
    info = inspect(DEV["container"])
    bindings = info["HostConfig"]["PortBindings"]
    assert bindings == {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15433"}]}
    assert "platform" not in info["NetworkSettings"]["Networks"], "development must not share production's network"
    with socket.create_connection(("127.0.0.1", 15433), timeout=5):
        pass


@pytest.mark.parametrize("environment", ["production", "development"])
def test_data_lives_in_the_catalog_volume(environment):
    instance = INSTANCES[environment]
    mounts = {m["Destination"]: m for m in inspect(instance["container"])["Mounts"]}
    data = mounts[instance["data_path"]]
    assert data["Type"] == "volume"
    assert data["Name"] == "%s-data" % instance["container"]


@pytest.mark.parametrize("environment", ["production", "development"])
def test_scram_only(environment):
    instance = INSTANCES[environment]
    assert superuser_sql(instance, "SHOW password_encryption") == "scram-sha-256"
    rules = superuser_sql(instance, "SELECT type || ' ' || auth_method FROM pg_hba_file_rules WHERE error IS NULL")
    assert rules
    for rule in rules.splitlines():
        kind, method = rule.split()
        assert method != "trust"
        if kind.startswith("host"):
            assert method in ("scram-sha-256", "reject"), rule
    lines = hba_lines(instance)
    assert lines and all(line[-1] in ("scram-sha-256", "peer", "reject") for line in lines), lines
    assert all(line[-1] in ("scram-sha-256", "reject") for line in lines if line[0].startswith("host")), lines
    assert superuser_sql(instance, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == "0"


@pytest.mark.parametrize("environment", ["production", "development"])
def test_the_superuser_over_tcp_is_loopback_only_before_the_catch_all(environment):
    instance = INSTANCES[environment]
    su = instance["superuser"]
    hosts = [line for line in hba_lines(instance) if line[0] == "host"]
    assert hosts[-1] == ["host", "all", "all", "all", "scram-sha-256"], hosts
    assert hosts[:-1] == [["host", "all", su, "127.0.0.1/32", "scram-sha-256"],
                          ["host", "all", su, "::1/128", "scram-sha-256"],
                          ["host", "all", su, "all", "reject"]], hosts
    # What the server loaded, not only what the file says.
    loaded = superuser_sql(instance, "SELECT array_to_string(user_name, ',') || ' ' || coalesce(address, 'all') || ' ' "
                                     "|| auth_method FROM pg_hba_file_rules WHERE type = 'host' ORDER BY line_number")
    assert loaded.splitlines() == ["%s 127.0.0.1 scram-sha-256" % su, "%s ::1 scram-sha-256" % su,
                                   "%s all reject" % su, "all all scram-sha-256"], loaded
    verifiers = superuser_sql(instance, "SELECT rolname || ' ' || left(rolpassword, 14) FROM pg_authid "
                                        "WHERE rolcanlogin ORDER BY 1").splitlines()
    owners = {db["owner"] for db in instance["databases"]} | {instance["superuser"]}
    assert {line.split()[0] for line in verifiers} == owners
    assert all(line.split()[1] == "SCRAM-SHA-256$" for line in verifiers)


@pytest.mark.parametrize("environment", ["production", "development"])
def test_superuser_password_is_a_private_file_not_environment(host, environment):
    instance = INSTANCES[environment]
    password_file = host.file(os.path.join(instance["project_dir"], "postgres-password"))
    assert password_file.mode == 0o600
    assert password_file.content_string == secret(instance, instance["superuser"])
    assert not host.file(os.path.join(instance["project_dir"], "postgres.env")).exists
    compose = host.file(os.path.join(instance["project_dir"], "compose.yaml")).content_string
    assert "POSTGRES_PASSWORD_FILE" in compose
    assert secret(instance, instance["superuser"]) not in compose
    # The official image's _FILE contract: nothing of the password in the container's configuration.
    inspect = subprocess.run(["docker", "inspect", instance["container"]], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    assert secret(instance, instance["superuser"]) not in inspect


def test_compose_project_is_valid():
    for instance in INSTANCES.values():
        result = subprocess.run(["docker", "compose", "--file", os.path.join(instance["project_dir"], "compose.yaml"),
                                 "config", "--quiet"], capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------ who reaches what


@pytest.mark.parametrize("environment", ["production", "development"])
def test_each_role_reaches_its_own_database_only(client, environment):
    instance = INSTANCES[environment]
    names = [db["name"] for db in instance["databases"]]
    assert sorted(names) == ["auth_db", "l2p_db", "payment_db", "videovault_db"]
    for db in instance["databases"]:
        password = secret(instance, db["name"])
        own = login(instance, db["owner"], db["name"], password)
        assert own.returncode == 0, own.stderr
        assert own.stdout.strip() == "%s@%s" % (db["owner"], db["name"])
        for other in names + ["postgres", "template1"]:
            if other == db["name"]:
                continue
            refused = login(instance, db["owner"], other, password)
            assert refused.returncode != 0, "%s reached %s" % (db["owner"], other)
            assert "CONNECT privilege" in refused.stderr or "permission denied" in refused.stderr, refused.stderr


@pytest.mark.parametrize("environment", ["production", "development"])
def test_wrong_password_is_refused(client, environment):
    instance = INSTANCES[environment]
    for db in instance["databases"]:
        refused = login(instance, db["owner"], db["name"], secret(instance, db["name"]) + "x")
        assert refused.returncode != 0
        assert "password authentication failed" in refused.stderr
    refused = local_login(instance, instance["superuser"], "postgres", "not-the-password")
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr


@pytest.mark.parametrize("environment", ["production", "development"])
def test_the_superuser_is_refused_over_the_network_even_with_its_password(client, environment):
    instance = INSTANCES[environment]
    su = instance["superuser"]
    refused = login(instance, su, "postgres", secret(instance, su))
    assert refused.returncode != 0, refused.stdout
    assert "pg_hba.conf rejects connection" in refused.stderr or "no pg_hba.conf entry" in refused.stderr, refused.stderr
    # An application owner on the same network still gets in ...
    db = instance["databases"][0]
    own = login(instance, db["owner"], db["name"], secret(instance, db["name"]))
    assert own.returncode == 0, own.stderr
    # ... and so does the superuser from inside its container, as the role's password check does.
    local = local_login(instance, su, "postgres", secret(instance, su))
    assert local.returncode == 0, local.stderr
    assert local.stdout.strip() == su


def test_quoted_password_works(client):
    assert QUOTED_PASSWORD == "it's \"a\" $pass word\\"
    result = login(PROD, "l2p_user", QUOTED_DB, QUOTED_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "l2p_user@l2p_db"


def test_quoted_superuser_password_works():
    password = secret(DEV, "postgres")
    assert "'" in password and "$" in password and password.endswith("\\")
    result = local_login(DEV, "postgres", "postgres", password)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------ state over time


def test_check_mode_changes_nothing():
    result, recap = converge("--check")
    assert result.returncode == 0, describe(result)
    assert recap.get("changed") == 0, describe(result)


def test_row_survives_recreation_and_rerun(client):
    password = QUOTED_PASSWORD
    setup = login(PROD, "l2p_user", QUOTED_DB, password,
                  "CREATE TABLE IF NOT EXISTS molecule_probe (note text); "
                  "INSERT INTO molecule_probe VALUES ('survives'); SELECT count(*) FROM molecule_probe")
    assert setup.returncode == 0, setup.stderr
    before = inspect(PROD["container"])["Id"]

    up = subprocess.run(["docker", "compose", "--file", os.path.join(PROD["project_dir"], "compose.yaml"),
                         "up", "--detach", "--force-recreate", "--wait", "--wait-timeout", "180"],
                        capture_output=True, text=True, timeout=240, check=False)
    assert up.returncode == 0, up.stderr
    assert inspect(PROD["container"])["Id"] != before, "the container was not recreated"
    after = login(PROD, "l2p_user", QUOTED_DB, password, "SELECT note FROM molecule_probe")
    assert after.returncode == 0, after.stderr
    assert "survives" in after.stdout.split()

    result, recap = converge()
    assert result.returncode == 0, describe(result)
    assert recap.get("changed") == 0, describe(result)
    again = login(PROD, "l2p_user", QUOTED_DB, password, "SELECT note FROM molecule_probe")
    assert "survives" in again.stdout.split()


def test_password_change_is_applied_and_reported(client):
    old = secret(PROD, "payment_db")
    new = "rotated 'pw' \"with\" $x \\ and spaces"
    secrets = json.loads(json.dumps(SECRETS))
    secrets["shared-postgres"]["payment_db"] = new
    override = json.dumps({"platform_secret_values": secrets})

    result, recap = converge("-e", override)
    assert result.returncode == 0, describe(result)
    assert recap.get("changed") == 1, describe(result)
    assert login(PROD, "payment_user", "payment_db", new).returncode == 0
    assert login(PROD, "payment_user", "payment_db", old).returncode != 0

    result, recap = converge("-e", override)
    assert recap.get("changed") == 0, describe(result)

    # Back to the generated password: changed once more, and the old one works again.
    result, recap = converge()
    assert recap.get("changed") == 1, describe(result)
    assert login(PROD, "payment_user", "payment_db", old).returncode == 0


def test_an_upgraded_pg_hba_is_reloaded_and_the_applications_stay_connected(client):
    """An installation of the previous version (pg_hba.conf ending in the catch-all only, loaded):
    converge writes the new file and signals the server, which neither restarts nor drops a client."""
    hba = os.path.join(PROD["project_dir"], "conf", "pg_hba.conf")
    with open(hba, encoding="utf-8") as handle:
        current = handle.read()
    old = "".join(line for line in current.splitlines(True)
                  if not (line.startswith("host") and PROD["superuser"] in line.split()))
    assert old != current and "host    all       all   all      scram-sha-256" in old
    with open(hba, "w", encoding="utf-8") as handle:
        handle.write(old)
    os.chmod(hba, 0o644)
    docker("kill", "--signal", "SIGHUP", PROD["container"])
    su = PROD["superuser"]
    deadline = time.time() + 30
    while login(PROD, su, "postgres", secret(PROD, su)).returncode != 0:
        assert time.time() < deadline, "the old pg_hba.conf was not loaded"
        time.sleep(1)

    started = inspect(PROD["container"])["State"]["StartedAt"]
    postmaster = superuser_sql(PROD, "SELECT pg_postmaster_start_time()")
    # An application's open session, which a restart would end.
    env = dict(os.environ, PGPASSWORD=QUOTED_PASSWORD)
    subprocess.run(["docker", "exec", "-d", "-e", "PGPASSWORD", CLIENT, "psql", "-X", "-w", "-h", PROD["container"],
                    "-U", "l2p_user", "-d", QUOTED_DB, "-c", "SELECT 'molecule-sleeper', pg_sleep(600)"],
                   env=env, timeout=60, check=True)
    sleeper_sql = ("SELECT pid FROM pg_stat_activity WHERE usename = 'l2p_user' "
                   "AND query LIKE 'SELECT ''molecule-sleeper''%'")
    deadline = time.time() + 30
    while not superuser_sql(PROD, sleeper_sql):
        assert time.time() < deadline, "the application session did not start"
        time.sleep(0.5)
    sleeper = superuser_sql(PROD, sleeper_sql)
    try:
        result, recap = converge()
        assert result.returncode == 0, describe(result)
        assert recap.get("changed", 0) >= 1, describe(result)
        with open(hba, encoding="utf-8") as handle:
            assert handle.read() == current
        refused = login(PROD, su, "postgres", secret(PROD, su))
        assert "pg_hba.conf rejects connection" in refused.stderr, refused.stderr
        assert inspect(PROD["container"])["State"]["StartedAt"] == started, "the server was restarted"
        assert superuser_sql(PROD, "SELECT pg_postmaster_start_time()") == postmaster
        assert superuser_sql(PROD, sleeper_sql) == sleeper, "the application's session was dropped"
        result, recap = converge()
        assert recap.get("changed") == 0, describe(result)
    finally:
        superuser_sql(PROD, "SELECT pg_terminate_backend(pid) FROM (%s) s" % sleeper_sql)


def dumps(directory):
    return set(os.listdir(directory)) if os.path.isdir(directory) else set()


def flat(text):
    """Output with its whitespace runs as single spaces: the YAML callback folds long messages."""
    return " ".join(text.split())


def test_backup_then_restore_into_an_emptied_database(client):
    password = QUOTED_PASSWORD
    backup_dir = PROD["backup_dir"]
    select = "SELECT note FROM molecule_restore"
    setup = login(PROD, "l2p_user", QUOTED_DB, password,
                  "DROP TABLE IF EXISTS molecule_restore; CREATE TABLE molecule_restore (note text); INSERT INTO molecule_restore VALUES ('restored')")
    assert setup.returncode == 0, setup.stderr

    before = set(os.listdir(backup_dir)) if os.path.isdir(backup_dir) else set()
    result, recap = playbook(os.path.join(REPO, "playbooks", "backup.yml"), "--tags", QUOTED_DB)
    assert result.returncode == 0, describe(result)
    new = sorted(set(os.listdir(backup_dir)) - before)
    assert len(new) == 1 and re.match(r"^l2p_db-\d{8}T\d{6}Z\.dump$", new[0]), new  # --tags picked l2p_db only
    assert stat.S_IMODE(os.stat(os.path.join(backup_dir, new[0])).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(backup_dir).st_mode) == 0o700

    # Without a confirmation naming the database nothing happens.
    refused, recap = playbook(os.path.join(REPO, "playbooks", "restore.yml"))
    assert refused.returncode != 0
    assert "Refusing to restore" in refused.stdout
    refused, recap = playbook(os.path.join(REPO, "playbooks", "restore.yml"), "-e", "restore_confirm=yes")
    assert refused.returncode != 0
    assert "Refusing to restore" in refused.stdout

    dropped = login(PROD, "l2p_user", QUOTED_DB, password, "DROP TABLE molecule_restore")
    assert dropped.returncode == 0, dropped.stderr
    assert login(PROD, "l2p_user", QUOTED_DB, password, select).returncode != 0

    login(PROD, "l2p_user", QUOTED_DB, password, "CREATE TABLE molecule_after_backup (note text)")
    before_restore = dumps(backup_dir)
    result, recap = playbook(os.path.join(REPO, "playbooks", "restore.yml"), "-e", "restore_confirm=%s" % QUOTED_DB)
    assert result.returncode == 0, describe(result)
    restored = login(PROD, "l2p_user", QUOTED_DB, password,
                     "SELECT note, pg_get_userbyid(c.relowner) FROM molecule_restore, pg_class c "
                     "WHERE c.relname = 'molecule_restore'")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines() == ["restored|l2p_user"]

    # What the database held just before the restore was dumped first, 0600, named as such, and
    # the run said where.
    (safety,) = sorted(dumps(backup_dir) - before_restore)
    assert re.match(r"^l2p_db-pre-restore-\d{8}T\d{6}Z\.dump$", safety), safety
    safety_path = os.path.join(backup_dir, safety)
    assert stat.S_IMODE(os.stat(safety_path).st_mode) == 0o600
    assert safety_path in flat(result.stdout), describe(result)
    with open(safety_path, "rb") as handle:
        listing = subprocess.run(["docker", "exec", "-i", "-u", "postgres", PROD["container"], "pg_restore", "--list"],
                                 stdin=handle, capture_output=True, timeout=60, check=True).stdout.decode()
    assert "molecule_after_backup" in listing and "molecule_restore" not in listing, listing


def test_restore_reads_only_dumps_under_the_backup_directory(client):
    """A dump outside the backup directory, by path, by `..` or through a symlink, is refused naming
    restore_file before anything changes (no safety dump, no restore)."""
    backup_dir = PROD["backup_dir"]
    (newest,) = sorted(f for f in os.listdir(backup_dir) if re.match(r"^l2p_db-\d{8}T\d{6}Z\.dump$", f))[-1:]
    outside_dir = os.path.join(EPHEMERAL, "outside-the-backups")
    os.makedirs(outside_dir, exist_ok=True)
    outside = os.path.join(outside_dir, newest)
    with open(os.path.join(backup_dir, newest), "rb") as source, open(outside, "wb") as target:
        target.write(source.read())
    sibling = os.path.join(os.path.dirname(backup_dir), newest)
    with open(outside, "rb") as source, open(sibling, "wb") as target:
        target.write(source.read())
    link = os.path.join(backup_dir, "l2p_db-linked.dump")
    os.symlink(outside, link)
    marker = login(PROD, "l2p_user", QUOTED_DB, QUOTED_PASSWORD, "CREATE TABLE molecule_not_restored (note text)")
    assert marker.returncode == 0, marker.stderr
    try:
        for path in (outside, os.path.join(backup_dir, "..", newest), link):
            before = dumps(backup_dir)
            refused, recap = playbook(os.path.join(REPO, "playbooks", "restore.yml"),
                                      "-e", "restore_confirm=%s" % QUOTED_DB, "-e", "restore_file=%s" % path)
            assert refused.returncode != 0, describe(refused)
            assert "restore_file" in refused.stdout and "outside the backup directory" in flat(refused.stdout), \
                describe(refused)
            assert dumps(backup_dir) == before, "a refused restore wrote %s" % (dumps(backup_dir) - before)
            kept = login(PROD, "l2p_user", QUOTED_DB, QUOTED_PASSWORD, "SELECT count(*) FROM molecule_not_restored")
            assert kept.returncode == 0, "a refused restore changed the database: %s" % kept.stderr
    finally:
        os.remove(link)
        os.remove(sibling)
        os.remove(outside)
        login(PROD, "l2p_user", QUOTED_DB, QUOTED_PASSWORD, "DROP TABLE IF EXISTS molecule_not_restored")


def test_backup_retention_keeps_the_newest(client):
    backup_dir = PROD["backup_dir"]
    for dummy in range(3):
        time.sleep(1.1)  # one dump per second: the file name carries the second
        result, recap = playbook(os.path.join(REPO, "playbooks", "backup.yml"),
                                 "-e", "backup_databases=auth_db", "-e", "backup_keep=2")
        assert result.returncode == 0, describe(result)
    assert len([f for f in os.listdir(backup_dir) if f.startswith("auth_db-")]) == 2
    assert any(f.startswith("l2p_db-") for f in os.listdir(backup_dir)), "retention must stay per database"


def test_nothing_left_in_logs():
    """No password reached the server log (statements with passwords are never logged)."""
    logs = docker("logs", PROD["container"]).stdout + docker("logs", PROD["container"]).stderr
    for db in PROD["databases"]:
        assert secret(PROD, db["name"]) not in logs
    assert shlex.quote(QUOTED_PASSWORD) not in logs
