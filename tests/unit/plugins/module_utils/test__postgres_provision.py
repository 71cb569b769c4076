# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.postgres.provision import (
    ProvisionError,
    PsqlRunner,
    database_script,
    needs_login_check,
    plan,
    psql_literal_variable,
    superuser_script,
)


def db(name="auth_db", owner="auth_user", **changes):
    state = {"name": name, "owner": owner, "role_exists": True, "role_login": True, "role_attrs_ok": True,
             "db_exists": True, "db_owner_ok": True, "public_connect": False, "owner_connect": True,
             "foreign_connect": []}
    state.update(changes)
    return state


def test_a_converged_database_with_a_working_password_needs_nothing():
    [step] = plan({"databases": [db()]}, {"auth_db"})
    assert step == {"name": "auth_db", "owner": "auth_user", "set_password": False, "apply": False,
                    "foreign_connect": [], "reasons": []}


def test_each_difference_is_applied_and_named():
    state = {"databases": [
        db("a_db", "a_user", role_exists=False, role_login=False, role_attrs_ok=False, db_exists=False,
           db_owner_ok=False, owner_connect=False),
        db("b_db", "b_user", public_connect=True),
        db("c_db", "c_user", foreign_connect=["a_user"]),
        db("d_db", "d_user"),
        db("e_db", "e_user", role_attrs_ok=False),
    ]}
    steps = dict((s["name"], s) for s in plan(state, {"b_db", "c_db", "e_db"}))
    assert steps["a_db"]["apply"] and steps["a_db"]["set_password"]
    assert steps["a_db"]["reasons"] == ["role missing", "database missing"]
    assert steps["b_db"]["apply"] and not steps["b_db"]["set_password"]
    assert steps["b_db"]["reasons"] == ["PUBLIC may connect"]
    assert steps["c_db"]["foreign_connect"] == ["a_user"] and steps["c_db"]["apply"]
    assert steps["d_db"]["reasons"] == ["password differs from the vault"] and steps["d_db"]["set_password"]
    assert steps["e_db"]["reasons"] == ["role attributes differ"]


def test_only_a_role_that_can_log_in_to_its_existing_database_is_login_checked():
    assert needs_login_check(db())
    assert not needs_login_check(db(db_exists=False))
    assert not needs_login_check(db(role_login=False))
    assert not needs_login_check(db(owner_connect=False))


def test_password_becomes_one_psql_variable_whatever_it_holds():
    assert psql_literal_variable("pw", "it's\\a\nb\r") == "\\set pw 'it\\'s\\\\a\\nb\\r'\n"


def test_scripts_set_the_password_only_when_planned_and_revoke_other_owners():
    step = {"name": "auth_db", "owner": "auth_user", "set_password": False, "foreign_connect": ["l2p_user"]}
    script = database_script(step, "s3cret")
    assert "WITH PASSWORD" not in script
    assert 'REVOKE CONNECT ON DATABASE :"db" FROM "l2p_user";' in script
    assert script.index("SET log_statement = 'none';") < script.index("\\set pw")
    step["set_password"] = True
    assert "ALTER ROLE :\"role\" WITH PASSWORD :'pw' VALID UNTIL 'infinity';" in database_script(step, "s3cret")
    assert superuser_script("x").endswith("ALTER ROLE :\"role\" WITH PASSWORD :'pw';\n")


class FakeRunner(PsqlRunner):
    """docker exec answered from a list: (rc, stdout, stderr) per call, the calls recorded."""

    def __init__(self, answers):
        super(FakeRunner, self).__init__("shared-postgres")
        self._target = "shared-postgres"
        self.answers, self.calls = list(answers), []

    def _docker_exec(self, command, stdin=None, env=None):
        self.calls.append((command, stdin, dict(env or {})))
        return self.answers.pop(0)


WANTED = [{"name": "auth_db", "owner": "auth_user"}, {"name": "l2p_db", "owner": "l2p_user"}]
LOGINS = [("auth_user", "auth_db", "pw1"), ("l2p_user", "l2p_db", "pw2"), ("postgres", "postgres", "su")]
STATE = {"databases": [db(), db("l2p_db", "l2p_user", db_exists=False)], "maintenance_public_connect": []}


def test_state_and_the_logins_it_calls_for_come_from_one_exec():
    runner = FakeRunner([(0, json.dumps(STATE) + "\nKP_CHECKS 0\n0 ok\n2 fail password authentication failed\n", "")])
    state, works = runner.state_and_logins(WANTED, LOGINS, always=[2])
    assert state == STATE and works == {0: True, 2: False}
    [(command, stdin, env)] = runner.calls
    assert command[:2] == ["sh", "-c"] and "KP_CHECKS" in stdin
    # Secrets travel in the environment only; the spec names databases and owners.
    assert env["KP_PW_0"] == "pw1" and env["KP_ALWAYS"] == "2" and json.loads(env["KP_SPEC"]) == WANTED
    assert not any("pw1" in part for part in command)


def test_a_check_list_other_than_needs_login_check_s_runs_its_logins_again():
    runner = FakeRunner([(0, json.dumps(STATE) + "\nKP_CHECKS 0 1\n0 ok\n1 ok\n", ""), (0, "0 ok\n", "")])
    assert runner.state_and_logins(WANTED, LOGINS)[1] == {0: True}
    assert runner.calls[1][2]["KP_N"] == "1" and runner.calls[1][2]["KP_USER_0"] == "auth_user"


def test_a_login_failing_for_another_reason_and_a_missing_server_are_errors():
    runner = FakeRunner([(0, json.dumps(STATE) + "\nKP_CHECKS 0\n0 fail too many connections\n", "")])
    with pytest.raises(ProvisionError, match="another reason than the password: too many connections"):
        runner.state_and_logins(WANTED, LOGINS)
    runner = FakeRunner([(1, "", "Error response from daemon: No such container: shared-postgres")])
    with pytest.raises(ProvisionError, match="does not run: deploy it first"):
        runner.state_and_logins(WANTED, LOGINS)
