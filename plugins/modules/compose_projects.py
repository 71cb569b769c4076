#!/usr/bin/python
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


DOCUMENTATION = r"""
module: compose_projects

short_description: Bring many compose projects to their state in one call, concurrently and in order

version_added: 0.1.0

description:
  - The one apply path of the platform. Writes each project's compose file and extra files
    atomically with their modes, validates a changed compose file with C(docker compose config
    --quiet) before it replaces the old one, and runs C(docker compose up --detach --wait
    --remove-orphans) only for projects whose files changed or whose containers do not run as
    declared (missing, stopped, unhealthy, orphaned).
  - Projects run concurrently with at most O(workers) at once. A project starts after every
    project of a lower O(projects[].order) and every project it O(projects[].depends_on) has
    finished. A project whose explicit dependency failed is skipped (see the list mode note).
  - A project that does not become healthy fails with a report naming each container that is not
    healthy, its state and health, the output of its last health probe and its last log lines,
    with secret-looking values and the values of secret files masked.
  - The external networks the projects join are created by the docker_engine role; when one is
    missing the module fails naming it before any project changes.
  - C(changed) per project comes from what really changed, files (content or mode) and containers
    (created, removed, recreated, started or stopped, by C(docker compose ps)).
  - The compose file is written as JSON, which is YAML, the same way on every run.

author:
  - korczewski.platform developers (@korczewski)

extends_documentation_fragment:
  - korczewski.platform.attributes
  - korczewski.platform.docker_cli
  - korczewski.platform.list_mode

requirements:
  - Docker with the Compose v2 plugin (C(docker compose)) on the managed host, or for
    O(engine=swarm) a Docker engine that is a swarm manager.

attributes:
  check_mode:
    support: full
    details:
      - Nothing is written below a project directory and no compose command that changes anything
        runs. The new files are staged in a temporary directory, validated there, and
        C(docker compose --dry-run up) of the new files says what would change (RV(projects[].actions)).
  diff_mode:
    support: full
    details:
      - One before/after entry per changed file. Secret files show variable names only, each value
        as C(<hidden>) or C(<hidden, changed>).

options:
  projects:
    description: The compose projects to bring to their state.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Compose project name (C(--project-name)); unique in the list.
        type: str
        required: true
      project_dir:
        description: Directory of the project's files; created with O(projects[].directory_mode) when missing.
        type: path
        required: true
      definition:
        description:
          - The compose project as a mapping, for example the output of the
            C(korczewski.platform.compose_project) filter. Relative paths in it resolve against
            O(projects[].project_dir).
          - Required when O(projects[].state=present). Without it, V(stopped) only stops the
            project's containers and leaves its files alone.
        type: dict
      compose_file:
        description: File name of the compose file inside O(projects[].project_dir).
        type: str
        default: compose.yml
      compose_mode:
        description: Mode of the compose file.
        type: str
        default: "0640"
      directory_mode:
        description: Mode of O(projects[].project_dir) when the module creates it.
        type: str
        default: "0750"
      files:
        description:
          - Extra files of the project, such as a C(secrets.env) env file or a password file the
            compose file mounts.
          - The project's C(secrets/) directory holds the files listed here only; another file in it (a secret
            the catalog no longer names) is removed in the same run.
        type: list
        elements: dict
        default: []
        suboptions:
          path:
            description: Path relative to O(projects[].project_dir), without C(..).
            type: str
            required: true
          content:
            description: The file's content. Never logged. Required when O(projects[].files[].state=present).
            type: str
          state:
            description:
              - V(absent) removes the file (a configuration that was switched off). A directory the module
                creates for a file is V(0755) when the file is readable by others (a container's non-root
                user reads it through a bind mount), V(0750) otherwise.
            type: str
            default: present
            choices: [present, absent]
          mode:
            description: The file's mode; default V(0600) for secret files, V(0640) otherwise.
            type: str
          owner:
            description:
              - Numeric uid that owns the file, so that a container's non-root user reads a V(0600) secret the
                compose file mounts (a compose secret is a bind mount, which keeps the host's owner and mode).
                Default the account running the module.
            type: int
          secret:
            description: Whether the content is secret; its values are masked in diffs and failure reports.
            type: bool
            default: true
      order:
        description: Layer order; every project of a lower order finishes before this one starts.
        type: int
        default: 0
      restart_on_change:
        description:
          - Paths among O(projects[].files) that the containers read only when they start, such as a
            static configuration or a certificate. When one of them changed, the project's containers are
            restarted (and waited for) after they converge, unless this call created or recreated them.
        type: list
        elements: str
        default: []
      reload_on_change:
        description:
          - Paths among O(projects[].files) that the containers re-read when their main process gets
            O(projects[].reload_signal), such as PostgreSQL's C(pg_hba.conf) on C(SIGHUP). When one of
            them changed, that signal goes to the project's running containers (C(docker compose kill
            --signal)) instead of a restart, so their clients stay connected; then the module waits
            until the project is healthy again (a container that did not survive the signal is
            started again).
          - Nothing is signalled when this call created or recreated the containers, or restarts them
            anyway (O(restart), O(projects[].restart_on_change)).
          - With O(engine=swarm) the services are restarted instead; a task cannot be signalled
            through the manager.
        type: list
        elements: str
        default: []
      reload_signal:
        description: The signal of O(projects[].reload_on_change).
        type: str
        default: SIGHUP
      depends_on:
        description: Names of projects in the list that must come up first; if one fails, this one is skipped.
        type: list
        elements: str
        default: []
      state:
        description:
          - V(present) writes the files and brings the project up healthy.
          - V(stopped) writes the files and stops the project's containers (volumes and containers kept).
          - V(absent) removes the project's containers and networks and the files listed here and the
            compose file; volumes are always kept.
        type: str
        default: present
        choices: [present, stopped, absent]
      wait_timeout:
        description: Seconds C(docker compose up --wait) waits for the project to become healthy.
        type: int
        default: 180
      switch:
        description:
          - Compose services that an up which would recreate their running, healthy container updates
            by a health-gated switch instead (the catalog's C(update_plan), that is what Traefik routes
            in production and can run twice at once).
          - A copy C(<service>-next) (container C(<name>-next), the same labels, so Traefik balances
            both) starts from the new files beside the old container; once it is healthy the old one
            is drained (its health check fails on the file its C(korczewski.platform.drain) label
            names, so Traefik stops routing to it) and recreated under its name while the copy
            serves; then the copy is drained and removed. Services of one project switch together.
          - When a copy does not become healthy within O(projects[].wait_timeout) it is removed, the
            old containers never stopped, the project's previous files are written back and the
            project fails naming the copies, their last health probe and log lines.
          - A copy left by an interrupted run is found by the next one. When it is healthy the switch
            goes on from it, else it is removed first.
        type: list
        elements: str
        default: []
      in_place:
        description:
          - Why each compose service outside O(projects[].switch) is recreated in place when it
            changes, reported per container in RV(projects[].in_place).
        type: dict
        default: {}
      rollback:
        description:
          - Apply the release the project kept on the host instead of O(projects[].definition) and
            O(projects[].files), as C(playbooks/rollback.yml) does, through the same switch.
          - After an apply changed a project's files and it came up healthy, the files it had before are
            kept in C(<project_dir>/.previous) (0700, each file with its mode) with the ids of the images
            its containers ran; each image gets a reference C(korczewski-platform-previous:<project>-<service>-<id>)
            of its own, so a tag pulled again or an image prune does not take it away. A kept file's
            image reference that now names another image is replaced by that reference.
          - The release a rollback replaces is kept in turn, and the project is marked rolled back
            (C(<project_dir>/.rolled-back.json)); a later apply of the catalog keeps what runs and warns
            with what differs (RV(projects[].held)), until the catalog matches again or O(roll_forward).
          - Fails naming the directory when the project keeps no release. Only with O(engine=compose).
        type: bool
        default: false
  restart:
    description:
      - Names of projects in O(projects) whose containers are restarted (and waited for) after they
        converge, for handlers after a change of a file the containers read at start.
      - A project whose containers were created or recreated in this call is not restarted again.
    type: list
    elements: str
    default: []
  takeover:
    description:
      - Take over the projects' container names from containers that do not belong to the project
        (a hand-run C(docker run) container or another compose project), as C(playbooks/adopt.yml) does.
      - Each such container is renamed C(<name>-adopting) and stopped before the project comes up. Once
        the project is healthy it is removed (never its volumes); when the project does not become
        healthy, the project's new containers of those names are removed and the old containers get
        their names back and run again, and the project fails saying so. Before an old container is
        removed, its new one joins the old one's other networks (RV(projects[].bridged)). A C(<name>-adopting) container
        left by an interrupted run is finished or undone the same way.
      - Without it, a foreign container holding a name makes C(docker compose up) fail, and nothing of
        it is touched.
      - Only with O(engine=compose).
    type: bool
    default: false
  workers:
    description: How many projects are applied at the same time.
    type: int
    default: 4
  engine:
    description:
      - The container engine that runs the projects. V(compose) is Docker Compose v2 on this host.
      - V(swarm) deploys each project as a Docker Swarm stack of the same name from this host,
        which must be a manager of an active swarm. Secret files become Swarm secrets (a secrets
        env file one secret per variable, which the container reads through C(<NAME>_FILE)) and
        are never written; a service with a named volume or a bind mount is pinned to this node;
        a GPU reservation becomes a placement on nodes labelled C(korczewski.platform.gpu=true);
        ports are published in host mode and loopback-only ones dropped; services use
        C(endpoint_mode=dnsrr). Stopping scales the services to zero; the stack, its volumes
        and secrets stay.
    type: str
    default: compose
    choices: [compose, swarm]
  log_lines:
    description: Log lines of each failing container in the failure report.
    type: int
    default: 30
  switch_settle:
    description:
      - Seconds a switch waits after a container joined or left Traefik's rotation (healthy, or
        drained) before the next step, so Traefik has applied it (its provider throttle is 2 s).
    type: float
    default: 3.0
  roll_forward:
    description:
      - Apply the catalog to projects that were rolled back (O(projects[].rollback)) instead of keeping
        what runs; their rollback mark goes once they are healthy.
    type: bool
    default: false

seealso:
  - name: docker compose up
    description: The command this module runs per changed or stopped project.
    link: https://docs.docker.com/reference/cli/docker/compose/up/
"""

EXAMPLES = r"""
- name: Bring the database server and an application up, the application after the database
  korczewski.platform.compose_projects:
    projects:
      - name: shared-postgres-production
        project_dir: /var/lib/korczewski-platform/projects/shared-postgres-production
        definition: "{{ postgres_definition }}"
        files:
          - path: postgres-password
            content: "{{ lookup('korczewski.platform.platform_secret', 'shared-postgres/superuser') }}"
        order: 0
      - name: auth-production
        project_dir: /var/lib/korczewski-platform/projects/auth-production
        definition: "{{ platform_services | korczewski.platform.compose_project(platform_domain, 'auth', 'production', env_file='secrets.env') }}"
        files:
          - path: secrets.env
            content: "{{ auth_secrets | korczewski.platform.env_file }}"
        order: 1
        depends_on: [shared-postgres-production]

- name: Restart Traefik after its static configuration changed (a handler)
  korczewski.platform.compose_projects:
    projects: "{{ traefik_projects }}"
    restart: [traefik-production]
"""

RETURN = r"""
projects:
  description: One result per project, in the order they were given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Project name.
      type: str
    changed:
      description: Whether files or containers of this project changed (or would change in check mode).
      type: bool
    failed:
      description: Whether the project failed; RV(projects[].msg) says why.
      type: bool
    skipped:
      description: Present and true when the project was not applied because a dependency failed.
      type: bool
      returned: when skipped
    msg:
      description: The failure report, secrets masked.
      type: str
      returned: when failed or skipped
    files_changed:
      description: Relative paths of the files whose content or mode changed (or would change).
      type: list
      elements: str
    up:
      description: Whether C(docker compose up) ran.
      type: bool
    reason:
      description: Why C(docker compose up) ran.
      type: str
      returned: when up ran
    restarted:
      description: Whether the project's containers were restarted (O(restart) or O(projects[].restart_on_change)).
      type: bool
    reloaded:
      description: Whether the project's containers were signalled to re-read their configuration (O(projects[].reload_on_change)).
      type: bool
    recreated:
      description: Containers created or recreated in this call.
      type: list
      elements: str
    switched:
      description: Containers updated by a health-gated switch (O(projects[].switch)) in this call.
      type: list
      elements: str
    switch_seconds:
      description: Seconds from starting the copies to the last copy removed.
      type: float
      returned: when containers were switched
    switch_failed:
      description: The containers whose switch was undone because their copies did not become healthy.
      type: list
      elements: str
      returned: when a switch was undone
    in_place:
      description: Containers that existed and were recreated in place, each with why it does not switch.
      type: dict
    rollback:
      description:
        - With O(projects[].rollback), C(to_release_kept_at) (when the release was kept) and C(pinned)
          (each service whose file's image reference moved on, run from the kept image instead).
      type: dict
      returned: with O(projects[].rollback)
    held:
      description:
        - A project that was rolled back and kept as it runs although the catalog differs,
          C(rolled_back_at) and C(differences) (one line per service; image references named, other
          settings by key only). The call warns with the same.
      type: dict
      returned: when a rolled-back project was kept
    rolled_forward:
      description: The project was rolled back before; this call applied the catalog again and removed the mark.
      type: bool
      returned: when a rollback mark was removed
    taken_over:
      description: With O(takeover), the container names taken over (or, in check mode, to be taken over) from other containers.
      type: list
      elements: str
    bridged:
      description:
        - With O(takeover), the networks of the old containers that the new ones joined beside their own, so
          that what is not taken over yet still reaches them by name (C(docker network disconnect) them
          once it is, as C(playbooks/adopt.yml) does).
      type: list
      elements: dict
    restored:
      description: With O(takeover), when the project failed, the old containers that run again under their names.
      type: list
      elements: str
      returned: when a takeover was undone
    actions:
      description: In check mode, what C(docker compose --dry-run up) of the new files would do, such as C(Container auth-service Recreate).
      type: list
      elements: str
    containers_before:
      description: Containers before, by name, with C(id), C(state) and C(health).
      type: dict
    containers_after:
      description: Containers after, by name, with C(id), C(state) and C(health).
      type: dict
failed_projects:
  description: Names of the projects that failed or were skipped.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.korczewski.platform.plugins.module_utils.compose.apply import ProjectApply
from ansible_collections.korczewski.platform.plugins.module_utils.compose.engine import ENGINES, EngineError
# Each engine registers itself where it is defined; importing it is what makes it selectable.
from ansible_collections.korczewski.platform.plugins.module_utils.swarm.engine import SwarmEngine  # noqa: F401 pylint: disable=unused-import
from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import (
    PlanError,
    external_networks,
    missing_networks_message,
    prerequisites,
    run_ordered,
    secret_values,
    signal_problem,
)

FILE_OPTIONS = dict(
    path=dict(type='str', required=True),
    content=dict(type='str', no_log=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    mode=dict(type='str'),
    owner=dict(type='int'),
    secret=dict(type='bool', default=True),
)

PROJECT_OPTIONS = dict(
    name=dict(type='str', required=True),
    project_dir=dict(type='path', required=True),
    definition=dict(type='dict'),
    compose_file=dict(type='str', default='compose.yml'),
    compose_mode=dict(type='str', default='0640'),
    directory_mode=dict(type='str', default='0750'),
    files=dict(type='list', elements='dict', default=[], options=FILE_OPTIONS),
    order=dict(type='int', default=0),
    restart_on_change=dict(type='list', elements='str', default=[]),
    reload_on_change=dict(type='list', elements='str', default=[]),
    reload_signal=dict(type='str', default='SIGHUP'),
    depends_on=dict(type='list', elements='str', default=[]),
    state=dict(type='str', default='present', choices=['present', 'stopped', 'absent']),
    wait_timeout=dict(type='int', default=180),
    switch=dict(type='list', elements='str', default=[]),
    in_place=dict(type='dict', default={}),
    rollback=dict(type='bool', default=False),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            projects=dict(type='list', elements='dict', required=True, options=PROJECT_OPTIONS),
            restart=dict(type='list', elements='str', default=[]),
            workers=dict(type='int', default=4),
            takeover=dict(type='bool', default=False),
            engine=dict(type='str', default='compose', choices=['compose', 'swarm']),
            log_lines=dict(type='int', default=30),
            docker_cli=dict(type='str', default='docker'),
            switch_settle=dict(type='float', default=3.0),
            roll_forward=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    projects = module.params['projects']
    errors = []
    for spec in projects:
        if spec['rollback'] and spec['state'] != 'present':
            errors.append("project %s: rollback brings a project up, its state must be present" % spec['name'])
        elif spec['state'] == 'present' and not spec['definition'] and not spec['rollback']:
            errors.append("project %s needs a definition to be present" % spec['name'])
        for entry in spec['files']:
            if entry['state'] == 'present' and entry['content'] is None:
                errors.append("project %s: file %s needs a content to be present" % (spec['name'], entry['path']))
                continue
            if entry['secret'] and entry['content']:
                # Each value of a secret env file is masked too, not only the whole file.
                module.no_log_values.update(secret_values(entry['content']))
    for spec in projects:
        for option in ('restart_on_change', 'reload_on_change'):
            stray = sorted(set(spec[option]) - set(entry['path'] for entry in spec['files']))
            if stray:
                errors.append("project %s: %s names paths that are not in its files: %s"
                              % (spec['name'], option, ", ".join(stray)))
        problem = signal_problem(spec['reload_signal'])
        if problem:
            errors.append("project %s: reload_signal: %s" % (spec['name'], problem))
    unknown = sorted(set(module.params['restart']) - set(p['name'] for p in projects))
    if unknown:
        errors.append("restart names projects that are not in the list: %s" % ", ".join(unknown))
    try:
        prerequisites(projects)
    except PlanError as exc:
        errors.extend(exc.args[0])
    if module.params['takeover'] and module.params['engine'] != 'compose':
        errors.append("takeover works with engine compose only, not %s" % module.params['engine'])
    if errors:
        module.fail_json(msg="; ".join(errors))
    for spec in projects:
        spec['takeover'] = module.params['takeover']
        spec['roll_forward'] = module.params['roll_forward']

    engine = ENGINES[module.params['engine']](docker=module.params['docker_cli'], log_lines=module.params['log_lines'])
    try:
        projects = [engine.adapt(spec) for spec in projects]
        missing = engine.missing_networks(external_networks(projects))
    except EngineError as exc:
        module.fail_json(msg=str(exc))
    if missing:
        module.fail_json(msg=missing_networks_message(missing), missing_networks=missing)
    restart = set(module.params['restart'])

    def work(spec):
        return ProjectApply(engine, spec, check_mode=module.check_mode, want_diff=module._diff,
                            restart=spec['name'] in restart, settle=module.params['switch_settle']).run()

    try:
        by_name = run_ordered(projects, work, workers=module.params['workers'])
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="applying the projects failed: %s" % exc)

    results, diffs = [], []
    for spec in projects:
        result = by_name[spec['name']]
        diffs.extend(result.pop('diff', []))
        results.append(result)
    for result in results:
        if result.get('warning'):
            module.warn(result.pop('warning'))
    failed = [r['name'] for r in results if r.get('failed') or r.get('skipped')]
    output = dict(changed=any(r.get('changed') for r in results), projects=results, failed_projects=failed)
    if module._diff:
        output['diff'] = diffs
    if failed:
        output['msg'] = "\n\n".join(r.get('msg', r['name']) for r in results if r.get('failed') or r.get('skipped'))
        module.fail_json(**output)
    module.exit_json(**output)


if __name__ == '__main__':
    main()
