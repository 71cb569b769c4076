# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a takeover must not lose, as data to compare: per database and table its row count and a
digest of its content, per media file its size and digest; and whether roles still log in.

    python3 tests/handrun/snapshot.py --container shared-postgres --media DIR > snap.json

Runs psql in the database container (docker exec, as the postgres superuser over its socket);
passwords for the login checks travel in the exec's environment, never on a command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess

TABLES_SQL = ("SELECT table_schema || '.' || table_name FROM information_schema.tables "
              "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")


def _psql(container, database, sql, env=None, user="postgres", host=None):
    # As the postgres OS user: the collection's server lets the superuser in over its socket by peer.
    argv = ["docker", "exec", "--user", "postgres"]
    for name in sorted(env or {}):
        argv += ["--env", name]
    argv += [container, "psql", "-X", "-w", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", database, "-c", sql]
    if host:
        argv += ["-h", host]
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, **(env or {})))


def _query(container, database, sql):
    proc = _psql(container, database, sql)
    if proc.returncode != 0:
        raise RuntimeError("psql in %s (%s) failed: %s" % (container, database, proc.stderr.strip()))
    return proc.stdout.splitlines()


def databases(container):
    """{database: {schema.table: {rows, digest}}} of every database but postgres and the templates."""
    names = _query(container, "postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1")
    result = {}
    for name in names:
        tables = {}
        for table in _query(container, name, TABLES_SQL):
            quoted = ".".join('"%s"' % part.replace('"', '""') for part in table.split(".", 1))
            sql = ("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                   "FROM %s t" % quoted)
            [line] = _query(container, name, sql)
            rows, digest = (line.split(" ", 1) + [""])[:2]
            tables[table] = {"rows": int(rows), "digest": digest}
        result[name] = tables
    return result


def files(media):
    """{relative path: {size, sha256}} of every file below media."""
    found = {}
    for directory, dummy, names in os.walk(media):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            found[os.path.relpath(path, media)] = {"size": os.path.getsize(path), "sha256": digest}
    return found


def snapshot(container, media):
    return {"databases": databases(container), "files": files(media) if media else {}}


def logins(container, items):
    """For each {user, database, password}: whether it logs in over TCP (SCRAM) in the container."""
    works = []
    for item in items:
        proc = _psql(container, item["database"], "SELECT 1", env={"PGPASSWORD": item["password"]}, user=item["user"],
                     host="127.0.0.1")
        works.append(proc.returncode == 0 and proc.stdout.strip() == "1")
    return works


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--container", default="shared-postgres")
    parser.add_argument("--media")
    parser.add_argument("--logins", help="a JSON file: [{user, database, password}]")
    args = parser.parse_args()
    if args.logins:
        with open(args.logins, encoding="utf-8") as handle:
            print(json.dumps(logins(args.container, json.load(handle))))
    else:
        print(json.dumps(snapshot(args.container, args.media), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
