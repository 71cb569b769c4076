# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a database server must hold for its applications, and the SQL that makes it so.

The plan is a pure function of the server's state (STATE_SQL's answer) and of which passwords
logged in; the runner executes psql in the server container through the docker CLI. Passwords
reach psql as a psql variable on stdin or in the exec's environment, never on a command line.
Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import LABEL_CONTAINER as CONTAINER_LABEL

# Read-only; prints one JSON document. psql variable `spec`: [{"name": database, "owner": role}].
STATE_SQL = r"""
SELECT json_build_object(
  'databases', coalesce((
    SELECT json_agg(json_build_object(
      'name', w.name,
      'owner', w.owner,
      'role_exists', r.oid IS NOT NULL,
      'role_login', coalesce(r.rolcanlogin, false),
      'role_attrs_ok', coalesce(r.rolcanlogin AND NOT (r.rolsuper OR r.rolcreatedb OR r.rolcreaterole
                                OR r.rolreplication OR r.rolbypassrls), false),
      'db_exists', d.oid IS NOT NULL,
      'db_owner_ok', coalesce(d.datdba = r.oid, false),
      'public_connect', coalesce(has_database_privilege('public', d.oid, 'CONNECT'), false),
      'owner_connect', CASE WHEN d.oid IS NULL OR r.oid IS NULL THEN false
                            ELSE has_database_privilege(r.oid, d.oid, 'CONNECT') END,
      'foreign_connect', coalesce((
        SELECT json_agg(o.owner ORDER BY o.owner)
        FROM json_to_recordset(:'spec'::json) AS o(name text, owner text)
        JOIN pg_roles ro ON ro.rolname = o.owner
        WHERE o.owner <> w.owner AND d.oid IS NOT NULL AND NOT ro.rolsuper
          AND has_database_privilege(ro.oid, d.oid, 'CONNECT')), '[]'::json)
    ) ORDER BY w.name)
    FROM json_to_recordset(:'spec'::json) AS w(name text, owner text)
    LEFT JOIN pg_roles r ON r.rolname = w.owner
    LEFT JOIN pg_database d ON d.datname = w.name), '[]'::json),
  'maintenance_public_connect', coalesce((
    SELECT json_agg(datname ORDER BY datname) FROM pg_database
    WHERE datname IN ('postgres', 'template1') AND has_database_privilege('public', oid, 'CONNECT')),
    '[]'::json)
);
"""

# Read-only, for a takeover's plan: every database with its owner, one JSON document.
OWNERS_SQL = r"""
SELECT json_build_object('databases', coalesce((
  SELECT json_agg(json_build_object('name', d.datname, 'owner', pg_get_userbyid(d.datdba)) ORDER BY d.datname)
  FROM pg_database d WHERE NOT d.datistemplate AND d.datname <> 'postgres'), '[]'::json));
"""

# Run in the adopted database: the catalog's owner gets every object of the hand-run owner, which
# keeps its login and its access as a member of the catalog's owner. Says whether it changes (or, with
# apply false in check mode, would change) anything.
ADOPT_OWNER_SQL = r"""
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :'old') AS has_old \gset
\if :has_old
SELECT (EXISTS (SELECT FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = :'old'))
     OR EXISTS (SELECT FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = :'old'))
     OR EXISTS (SELECT FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = :'old'))
     OR EXISTS (SELECT FROM pg_type WHERE typowner = (SELECT oid FROM pg_roles WHERE rolname = :'old')
                AND typrelid = 0 AND typnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema')))
     OR NOT pg_has_role(:'old', :'new', 'MEMBER')) AS todo \gset
\if :todo
\if :apply
REASSIGN OWNED BY :"old" TO :"new";
GRANT :"new" TO :"old";
\endif
\echo changed
\endif
\endif
"""

# Statements that set a password must never reach the server log.
QUIET = """\\set ON_ERROR_STOP on
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
SET log_min_duration_statement = -1;
"""

DATABASE_SQL = r"""
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS create_role \gset
\if :create_role
CREATE ROLE :"role" WITH LOGIN;
\endif
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
%(password)s
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') AS create_db \gset
\if :create_db
CREATE DATABASE :"db" WITH OWNER :"role";
\endif
ALTER DATABASE :"db" OWNER TO :"role";
REVOKE CONNECT ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"role";
%(revokes)s
"""


# Runs in the server container: one line per login, "<index> ok" or "<index> fail <psql's error>",
# for each index in $KP_LOGINS. eval only names a variable; the values are expanded, never parsed as shell.
LOGIN_LOOP_SH = r"""
for i in $KP_LOGINS; do
  eval "u=\${KP_USER_$i} d=\${KP_DB_$i} p=\${KP_PW_$i}"
  if err=$(PGPASSWORD="$p" PGCONNECT_TIMEOUT=10 psql -X -q -w -h 127.0.0.1 -U "$u" -d "$d" -c 'SELECT 1' 2>&1 >/dev/null); then
    echo "$i ok"
  else
    echo "$i fail $(printf '%s' "$err" | tr '\n' ' ')"
  fi
done
"""

# Every login of KP_USER_0.. KP_USER_<KP_N - 1>.
LOGINS_SH = r"""
KP_LOGINS=$(i=0; while [ "$i" -lt "$KP_N" ]; do printf '%s ' "$i"; i=$((i + 1)); done)
""" + LOGIN_LOOP_SH

# STATE_SQL, then the indexes of the spec entries whose owner needs_login_check() would try (a
# line "KP_CHECKS <index> ..."), in one psql run: the state as its first line of output.
STATE_CHECKS_SQL = STATE_SQL.rstrip().rstrip(";") + r""" AS kp_state \gset
\echo :kp_state
SELECT coalesce(string_agg((w.i - 1)::text, ' ' ORDER BY w.i), '') AS kp_checks
FROM json_array_elements(:'spec'::json) WITH ORDINALITY AS w(item, i)
JOIN json_array_elements((:'kp_state'::json)->'databases') AS s(db) ON s.db->>'name' = w.item->>'name'
WHERE (s.db->>'role_login')::boolean AND (s.db->>'db_exists')::boolean AND (s.db->>'owner_connect')::boolean \gset
\echo KP_CHECKS :kp_checks
"""

# The state and, in the same docker exec, the logins it calls for (those of KP_CHECKS and
# KP_ALWAYS): the state query reads stdin; the exec costs more than psql and the logins.
STATE_LOGINS_SH = r"""
out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres -v spec="$KP_SPEC" -f -) || exit $?
printf '%s\n' "$out"
KP_LOGINS="$(printf '%s\n' "$out" | sed -n 's/^KP_CHECKS *//p') $KP_ALWAYS"
""" + LOGIN_LOOP_SH


class ProvisionError(Exception):
    pass


def psql_literal_variable(name, value):
    """`\\set name '...'`: psql meta-command arguments in single quotes take C-like escapes; the
    SQL then uses :'name', which psql sends as a properly escaped literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "\\set %s '%s'\n" % (name, escaped)


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def database_script(item, password):
    """The psql script that converges one database and its owner (psql variables db and role)."""
    set_password = ""
    if item["set_password"]:
        set_password = "ALTER ROLE :\"role\" WITH PASSWORD :'pw' VALID UNTIL 'infinity';"
    revokes = "\n".join('REVOKE CONNECT ON DATABASE :"db" FROM %s;' % quote_ident(other)
                        for other in item["foreign_connect"])
    return QUIET + psql_literal_variable("pw", password) + DATABASE_SQL % {"password": set_password, "revokes": revokes}


def superuser_script(password):
    return QUIET + psql_literal_variable("pw", password) + "ALTER ROLE :\"role\" WITH PASSWORD :'pw';\n"


def plan(state, password_ok):
    """Per wanted database: whether its owner's password must be set and whether anything of it
    must be converged. state: STATE_SQL's answer; password_ok: names whose owner logged in."""
    result = []
    for db in state["databases"]:
        set_password = db["name"] not in password_ok
        apply = set_password or not (db["role_attrs_ok"] and db["db_exists"] and db["db_owner_ok"]
                                     and db["owner_connect"] and not db["public_connect"]) \
            or len(db["foreign_connect"]) > 0
        reasons = []
        if not db["role_exists"]:
            reasons.append("role missing")
        elif not db["role_attrs_ok"]:
            reasons.append("role attributes differ")
        if not db["db_exists"]:
            reasons.append("database missing")
        elif not db["db_owner_ok"]:
            reasons.append("owner differs")
        if db["db_exists"] and db["public_connect"]:
            reasons.append("PUBLIC may connect")
        if db["foreign_connect"]:
            reasons.append("other owners may connect: %s" % ", ".join(db["foreign_connect"]))
        if set_password and db["role_exists"]:
            reasons.append("password differs from the vault")
        result.append({"name": db["name"], "owner": db["owner"], "set_password": set_password,
                       "apply": apply, "foreign_connect": list(db["foreign_connect"]), "reasons": reasons})
    return result


def needs_login_check(db):
    return db["role_login"] and db["db_exists"] and db["owner_connect"]


class PsqlRunner(object):
    """psql inside the server container as the postgres OS user, through `docker exec`."""

    def __init__(self, container, docker="docker", timeout=60):
        self.container = container
        self.docker = docker
        self.timeout = timeout
        self._target = None

    def target(self):
        """The container to exec in: on a swarm the server's task container, which carries the
        catalog's container name as a label (its own name is generated), else the name itself."""
        if self._target is None:
            try:
                proc = subprocess.run([self.docker, "ps", "--quiet", "--filter", "status=running", "--filter",
                                       "label=%s=%s" % (CONTAINER_LABEL, self.container)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, timeout=self.timeout, check=False, universal_newlines=True)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ProvisionError("cannot run %s: %s" % (self.docker, exc))
            found = proc.stdout.split() if proc.returncode == 0 else []
            self._target = found[0] if found else self.container
        return self._target

    def _exec(self, psql_args, stdin=None, env=None):
        return self._docker_exec(["psql", "-X", "-q", "-A", "-t"] + psql_args, stdin, env)

    def _docker_exec(self, command, stdin=None, env=None):
        argv = [self.docker, "exec", "-i", "--user", "postgres"]
        # `--env NAME` without a value passes the client's value: it never shows in a process list.
        for name in sorted(env or {}):
            argv += ["--env", name]
        argv += [self.target()] + command
        environ = dict(os.environ)
        environ.update(env or {})
        try:
            proc = subprocess.run(argv, input=stdin or "", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=environ, timeout=self.timeout, check=False, universal_newlines=True)
        except subprocess.TimeoutExpired:
            raise ProvisionError("%s in %s timed out after %ss" % (command[0], self.container, self.timeout))
        except OSError as exc:
            raise ProvisionError("cannot run %s: %s" % (self.docker, exc))
        return proc.returncode, proc.stdout, proc.stderr

    def _read_failed(self, what, err):
        if "is not running" in err or "No such container" in err:
            raise ProvisionError("the database server %s does not run: deploy it first "
                                 "(playbooks/shared_postgres.yml or site.yml)" % self.container)
        raise ProvisionError("reading %s of %s failed: %s" % (what, self.container, err.strip()))

    def _json(self, sql, what, variables=()):
        """The one JSON document a read-only query prints, read in the postgres database."""
        args = ["-v", "ON_ERROR_STOP=1", "-d", "postgres"]
        for name, value in variables:
            args += ["-v", "%s=%s" % (name, value)]
        rc, out, err = self._exec(args + ["-f", "-"], stdin=sql)
        if rc != 0:
            self._read_failed(what, err)
        try:
            return json.loads(out)
        except ValueError:
            raise ProvisionError("%s of %s is not JSON: %r" % (what, self.container, out[:200]))

    def state(self, databases):
        spec = json.dumps([{"name": d["name"], "owner": d["owner"]} for d in databases])
        return self._json(STATE_SQL, "the state", [("spec", spec)])

    @staticmethod
    def _login_env(logins):
        env = {"KP_N": str(len(logins))}
        for index, (user, database, password) in enumerate(logins):
            env.update({"KP_USER_%d" % index: user, "KP_DB_%d" % index: database, "KP_PW_%d" % index: password})
        return env

    def _login_answers(self, logins, lines, indexes):
        """{index: whether it logged in} for the logins of indexes, from the "<index> ok|fail" lines."""
        answers = dict(line.split(" ", 1) for line in lines if " " in line)
        works = {}
        for index in indexes:
            user = logins[index][0]
            answer = answers.get(str(index), "")
            if answer == "ok":
                works[index] = True
            elif "password authentication failed" in answer:
                works[index] = False
            else:
                raise ProvisionError("logging in to %s as %s failed for another reason than the password: %s"
                                     % (self.container, user, answer.partition(" ")[2].strip()))
        return works

    def logins_work(self, logins):
        """For each (user, database, password): whether it logs in over TCP (SCRAM, as applications
        do). One docker exec runs every login; names and passwords travel in the exec's environment."""
        if not logins:
            return []
        rc, out, err = self._docker_exec(["sh", "-c", LOGINS_SH], env=self._login_env(logins))
        lines = out.splitlines()
        if rc != 0 or len(dict(line.split(" ", 1) for line in lines if " " in line)) != len(logins):
            raise ProvisionError("checking logins on %s failed: %s" % (self.container, (err or out).strip()))
        works = self._login_answers(logins, lines, range(len(logins)))
        return [works[index] for index in range(len(logins))]

    def state_and_logins(self, databases, logins, always=()):
        """:meth:`state` and, in the same docker exec, the logins of the databases whose owner
        needs_login_check() would try plus those of always (indexes into logins; logins[i] is
        databases[i]'s owner for every database). Returns (state, {index: whether it logged in}).
        Should the check list psql found differ from needs_login_check()'s, the logins that
        function calls for run in a second exec, so the answer is always the same."""
        spec = json.dumps([{"name": d["name"], "owner": d["owner"]} for d in databases])
        env = self._login_env(logins)
        env.update(KP_SPEC=spec, KP_ALWAYS=" ".join(str(i) for i in always))
        rc, out, err = self._docker_exec(["sh", "-c", STATE_LOGINS_SH], stdin=STATE_CHECKS_SQL, env=env)
        lines = out.splitlines()
        if rc != 0 or not lines:
            self._read_failed("the state", err)
        try:
            state = json.loads(lines[0])
        except ValueError:
            raise ProvisionError("the state of %s is not JSON: %r" % (self.container, out[:200]))
        index_of = dict((d["name"], index) for index, d in enumerate(databases))
        wanted = set(index_of[db["name"]] for db in state["databases"] if needs_login_check(db)) | set(always)
        checked = set(int(i) for line in lines if line.startswith("KP_CHECKS") for i in line.split()[1:]) | set(always)
        if checked != wanted:
            order = sorted(wanted)
            return state, dict(zip(order, self.logins_work([logins[i] for i in order])))
        return state, self._login_answers(logins, lines[1:], sorted(wanted))

    def run_script(self, script, variables, what):
        args = ["-d", "postgres"]
        for name, value in variables:
            args += ["-v", "%s=%s" % (name, value)]
        rc, _out, err = self._exec(args + ["-f", "-"], stdin=script)
        if rc != 0:
            raise ProvisionError("%s on %s failed: %s" % (what, self.container, err.strip()))

    def owners(self):
        """OWNERS_SQL's answer: the server's databases and their owners."""
        return self._json(OWNERS_SQL, "the databases")

    def adopt_owner(self, database, old, new, check_mode=False):
        """Whether the catalog's owner new must get (or got) every object of old in database."""
        rc, out, err = self._exec(["-v", "ON_ERROR_STOP=1", "-d", database, "-v", "old=" + old, "-v", "new=" + new,
                                   "-v", "apply=%s" % ("false" if check_mode else "true"), "-f", "-"],
                                  stdin=ADOPT_OWNER_SQL)
        if rc != 0:
            raise ProvisionError("giving %s the objects of %s in %s failed: %s" % (new, old, database, err.strip()))
        return "changed" in out.split()

    def revoke_public_connect(self, database):
        rc, _out, err = self._exec(["-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c",
                                    "REVOKE CONNECT ON DATABASE %s FROM PUBLIC" % quote_ident(database)])
        if rc != 0:
            raise ProvisionError("revoking CONNECT on %s failed: %s" % (database, err.strip()))
