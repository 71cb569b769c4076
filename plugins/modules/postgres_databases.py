#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_databases
short_description: Converge a database server's application databases, owner roles and superuser password in one call
version_added: 0.1.0
author:
  - korczewski.platform developers (@korczewski)
extends_documentation_fragment:
  - korczewski.platform.attributes
  - korczewski.platform.docker_cli
  - korczewski.platform.list_mode
description:
  - Reads what the PostgreSQL server in O(container) holds for the wanted databases with one
    read-only query, logs in over TCP (SCRAM, as applications do) as each owner and as the
    superuser with the vault's passwords, all at once, and changes only what differs, so
    C(changed) is honest.
  - Each database is owned by its own login role without other privileges; C(PUBLIC) and the
    other owners lose C(CONNECT) on it; its owner keeps it.
  - Passwords reach psql on standard input or through the exec's environment, never on a command
    line; the statements that set them are kept out of the server log.
  - Runs psql inside the container as the C(postgres) OS user through C(docker exec), so the
    server needs no published port.
  - O(servers) converges several servers in one call, concurrently (see the list mode note).
attributes:
  check_mode:
    support: full
    details: The state query and the login checks run in check mode too; they change nothing.
  diff_mode:
    support: none
options:
  container:
    description:
      - Name of the running database server container.
      - Required unless O(servers) is given; mutually exclusive with it.
    type: str
  servers:
    description:
      - Several servers in one call, instead of O(container) and its options; each entry takes
        O(container), O(databases), O(superuser), O(superuser_password) and
        O(restrict_maintenance_databases). The per-server results are in RV(servers).
    type: list
    elements: dict
    suboptions:
      container:
        description: As O(container).
        type: str
        required: true
      databases:
        description: As O(databases).
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Database name.
            type: str
            required: true
          owner:
            description: The login role that owns the database.
            type: str
            required: true
          password:
            description: The owner's password.
            type: str
            required: true
      superuser:
        description: As O(superuser).
        type: str
        default: postgres
      superuser_password:
        description: As O(superuser_password).
        type: str
      restrict_maintenance_databases:
        description: As O(restrict_maintenance_databases).
        type: bool
        default: false
      adopted_owners:
        description: As O(adopted_owners).
        type: dict
        default: {}
  databases:
    description: The application databases this call converges; other databases are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Database name.
        type: str
        required: true
      owner:
        description: The login role that owns the database.
        type: str
        required: true
      password:
        description: The owner's password (from the vault or the credential store).
        type: str
        required: true
  superuser:
    description: The server's superuser role.
    type: str
    default: postgres
  superuser_password:
    description:
      - When given, the superuser's password is kept equal to it (the image reads its password only
        when it initialises an empty data directory).
    type: str
  adopted_owners:
    description:
      - Database name to the role that owned it in a hand-run installation, as C(playbooks/adopt.yml)
        records them (C(platform_adopted_owners)). For each of O(databases) named here whose old role
        exists, the owner gets every object of the old role in that database (C(REASSIGN OWNED)) and
        the old role becomes a member of the owner, so it keeps its login and its access.
      - Changes only while the old role still owns something there or is not yet a member.
    type: dict
    default: {}
  restrict_maintenance_databases:
    description: Revoke C(CONNECT) on C(postgres) and C(template1) from C(PUBLIC).
    type: bool
    default: false
seealso:
  - module: korczewski.platform.compose_projects
"""

EXAMPLES = r"""
- name: Keep the production server's application databases and superuser password as the vault says
  korczewski.platform.postgres_databases:
    container: shared-postgres
    superuser_password: "{{ lookup('korczewski.platform.platform_secret', 'shared-postgres/superuser') }}"
    databases:
      - name: auth_db
        owner: auth_user
        password: "{{ lookup('korczewski.platform.platform_secret', 'auth/production/database') }}"
    restrict_maintenance_databases: true

- name: The databases of one service on the production and the development server, in one call
  korczewski.platform.postgres_databases:
    servers:
      - container: shared-postgres
        databases:
          - {name: auth_db, owner: auth_user, password: "{{ lookup('korczewski.platform.platform_secret', 'auth/production/database') }}"}
      - container: postgres-dev
        databases:
          - {name: auth_db, owner: auth_user, password: "{{ lookup('korczewski.platform.platform_secret', 'auth/development/database') }}"}
"""

RETURN = r"""
databases:
  description: One entry per wanted database, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Database name.
      type: str
    owner:
      description: Owner role.
      type: str
    changed:
      description: Whether the database or its owner was (or would be) converged.
      type: bool
    reasons:
      description: What differed, such as C(database missing) or C(password differs from the vault).
      type: list
      elements: str
superuser_changed:
  description: Whether the superuser's password was (or would be) set.
  returned: always
  type: bool
maintenance_revoked:
  description: Maintenance databases whose C(CONNECT) was (or would be) revoked from C(PUBLIC).
  returned: always
  type: list
  elements: str
servers:
  description:
    - With O(servers), one result per server in list order, each with RV(databases),
      RV(superuser_changed) and RV(maintenance_revoked) of that server plus C(container), C(changed),
      C(failed) and, when it failed, C(msg). The top-level keys of a single server are then not returned.
  returned: when O(servers) is given
  type: list
  elements: dict
  sample: [{"container": "shared-postgres", "changed": false, "failed": false, "databases": [], "superuser_changed": false, "maintenance_revoked": []}]
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.korczewski.platform.plugins.module_utils.common.each_result import exit_each
from ansible_collections.korczewski.platform.plugins.module_utils.postgres.provision import (
    ProvisionError,
    PsqlRunner,
    database_script,
    plan,
    superuser_script,
)

DATABASE_OPTIONS = dict(
    name=dict(type='str', required=True),
    owner=dict(type='str', required=True),
    password=dict(type='str', required=True, no_log=True),
)
SERVER_OPTIONS = dict(
    container=dict(type='str', required=True),
    databases=dict(type='list', elements='dict', default=[], options=DATABASE_OPTIONS),
    superuser=dict(type='str', default='postgres'),
    superuser_password=dict(type='str', no_log=True),
    restrict_maintenance_databases=dict(type='bool', default=False),
    adopted_owners=dict(type='dict', default={}),
)


def converge(params, runner, check_mode):
    wanted = params['databases']
    passwords = dict((d['name'], d['password']) for d in wanted)
    # The state and every login it calls for in one docker exec: the exec costs more than the logins.
    logins = [(d['owner'], d['name'], d['password']) for d in wanted]
    always = []
    if params['superuser_password'] is not None:
        always.append(len(logins))
        logins.append((params['superuser'], 'postgres', params['superuser_password']))
    state, works = runner.state_and_logins(wanted, logins, always)
    password_ok = set(wanted[i]['name'] for i, ok in works.items() if ok and i < len(wanted))
    superuser_changed = params['superuser_password'] is not None and not works[always[0]]

    steps = plan(state, password_ok)
    revoke = state['maintenance_public_connect'] if params['restrict_maintenance_databases'] else []
    if not check_mode:
        if superuser_changed:
            runner.run_script(superuser_script(params['superuser_password']), [('role', params['superuser'])],
                              'setting the superuser password')
        for step in steps:
            if step['apply']:
                runner.run_script(database_script(step, passwords[step['name']]),
                                  [('db', step['name']), ('role', step['owner'])],
                                  'converging %s' % step['name'])
        for database in revoke:
            runner.revoke_public_connect(database)
    adopted = params.get('adopted_owners') or {}
    for step in steps:
        old = adopted.get(step['name'])
        # In check mode a database the run would create does not exist yet: nothing of it to adopt.
        exists = not check_mode or any(d['name'] == step['name'] and d['db_exists'] for d in state['databases'])
        if old and old != step['owner'] and exists and runner.adopt_owner(step['name'], old, step['owner'], check_mode):
            step['apply'] = True
            step['reasons'].append("%s gets the objects of %s" % (step['owner'], old))

    databases = [dict(name=s['name'], owner=s['owner'], changed=s['apply'], reasons=s['reasons']) for s in steps]
    changed = superuser_changed or bool(revoke) or any(s['apply'] for s in steps)
    return dict(changed=changed, databases=databases, superuser_changed=superuser_changed,
                maintenance_revoked=list(revoke))


def duplicate_names(databases):
    names = [d['name'] for d in databases]
    return sorted(set(n for n in names if names.count(n) > 1))


def converge_server(params, docker_cli, check_mode):
    """One entry of servers: its result, never an exception."""
    duplicates = duplicate_names(params['databases'])
    try:
        if duplicates:
            raise ProvisionError("databases lists %s more than once" % ", ".join(duplicates))
        result = converge(params, PsqlRunner(params['container'], docker=docker_cli), check_mode)
        result['failed'] = False
    except ProvisionError as exc:
        result = dict(changed=False, failed=True, msg=str(exc))
    result['container'] = params['container']
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type='str'),
            servers=dict(type='list', elements='dict', options=SERVER_OPTIONS),
            databases=dict(type='list', elements='dict', default=[], options=DATABASE_OPTIONS),
            superuser=dict(type='str', default='postgres'),
            superuser_password=dict(type='str', no_log=True),
            restrict_maintenance_databases=dict(type='bool', default=False),
            adopted_owners=dict(type='dict', default={}),
            docker_cli=dict(type='str', default='docker'),
        ),
        required_one_of=[('container', 'servers')],
        mutually_exclusive=[('container', 'servers')],
        supports_check_mode=True,
    )
    docker_cli, check_mode = module.params['docker_cli'], module.check_mode
    if module.params['servers'] is not None:
        servers = module.params['servers']
        # Each server waits on its own docker execs: side by side they cost one server's time.
        with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
            results = list(pool.map(lambda entry: converge_server(entry, docker_cli, check_mode), servers))
        exit_each(module, results, 'container', 'database servers')
    result = converge_server(module.params, docker_cli, check_mode)
    del result['container']
    if result.pop('failed'):
        module.fail_json(msg=result['msg'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
