# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.postgres.provision import (
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
