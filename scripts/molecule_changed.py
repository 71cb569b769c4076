# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which Molecule scenarios test the files changed since the merge base with the main branch.

    python3 scripts/molecule_changed.py [--base main] [--order "docker_engine traefik ..."]

Prints one line per chosen scenario with the changed files that chose it, then, on the last line,
``SCENARIOS=<names>`` (empty when nothing a scenario tests changed). scripts/molecule_changed.sh
runs them with ``make molecule``. The mapping is :func:`choose`, plain data in, plain data out:

- ``roles/<role>/``: the scenario named after the role; a role whose only implementation is
  app_service (a named role: tasks/main.yml includes app_service ``tasks_from: service``) is tested
  by ``named_roles``; app_service itself also by ``named_roles`` (every named role runs it).
- ``molecule/<scenario>/``: that scenario, and every scenario whose files name it
  (``../app_service/converge.yml``).
- a repository path a scenario names (``${MOLECULE_PROJECT_DIRECTORY}/inventory/local``,
  ``../../playbooks/plays/traefik.yml``): that scenario.
- files every scenario shares (``.config/molecule/``, ``molecule/_shared/``): every scenario.
- the collection's code that every role runs (``plugins/``, ``playbooks/``, ``site.yml``, the test
  images): ``app_service``, whose converge is the whole of site.yml.
- anything else (documentation, unit tests, the dashboard, benchmarks): no scenario.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

SHARED = (".config/molecule/", "molecule/_shared/")
WHOLE_PLATFORM = "app_service"
WHOLE_PLATFORM_PATHS = ("plugins/", "playbooks/", "site.yml", "tests/images/", "meta/runtime.yml", "galaxy.yml")
NAMED_ROLES = "named_roles"
# ${MOLECULE_PROJECT_DIRECTORY}/x or ../../x: a repository path; ../x/: another scenario's directory.
REPO_REFERENCE = re.compile(r"(?:\$\{MOLECULE_PROJECT_DIRECTORY\}/|(?<![./\w])\.\./\.\./)([\w./-]+)")
SCENARIO_REFERENCE = re.compile(r"(?<![./\w])\.\./([\w-]+)/")


def references(text, scenarios):
    """(repository paths, other scenarios) a scenario file names."""
    paths = set(match.rstrip("/.") for match in REPO_REFERENCE.findall(text))
    others = set(name for name in SCENARIO_REFERENCE.findall(text) if name in scenarios)
    return paths, others


def _under(path, prefix):
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def choose(changed, scenarios, repo_paths, scenario_uses, named_roles):
    """The scenarios that test the changed files, in the order of ``scenarios``.

    changed: repository-relative paths. scenarios: every scenario name, in run order.
    repo_paths: {scenario: repository paths its files name}. scenario_uses: {scenario: other
    scenarios whose files it uses}. named_roles: roles implemented by app_service alone.
    Returns [(scenario, {why: [path, ...]})]; documentation (``*.md``) chooses nothing."""
    chosen = {}

    def pick(scenario, why, path):
        if scenario in scenarios:
            paths = chosen.setdefault(scenario, {}).setdefault(why, [])
            if path not in paths:
                paths.append(path)

    def scenario_and_users(name, why, path):
        pick(name, why, path)
        for user in scenarios:
            if name in scenario_uses.get(user, ()):
                pick(user, "%s, through the %s scenario's playbooks" % (why, name), path)

    for path in changed:
        parts = path.split("/")
        if path.endswith(".md"):
            continue
        if any(_under(path, prefix) for prefix in SHARED):
            for scenario in scenarios:
                pick(scenario, "shared by every scenario", path)
            continue
        if parts[0] == "roles" and len(parts) > 2:
            role = parts[1]
            if role in named_roles:
                pick(NAMED_ROLES, "the named role %s" % role, path)
            else:
                scenario_and_users(role, "the %s role" % role, path)
            if role == WHOLE_PLATFORM:
                pick(NAMED_ROLES, "app_service, which every named role runs", path)
        elif parts[0] == "molecule" and len(parts) > 2:
            scenario_and_users(parts[1], "the %s scenario" % parts[1], path)
        for scenario in scenarios:
            if any(_under(path, named) for named in repo_paths.get(scenario, ())):
                pick(scenario, "named by the %s scenario" % scenario, path)
        if any(_under(path, prefix) for prefix in WHOLE_PLATFORM_PATHS):
            pick(WHOLE_PLATFORM, "run by every role (app_service deploys the whole platform)", path)
    return [(scenario, chosen[scenario]) for scenario in scenarios if scenario in chosen]


def _git(root, *args):
    return subprocess.run(["git", "-C", root] + list(args), capture_output=True, text=True, check=True).stdout


def changed_files(root, base):
    """Files changed since the merge base with base: committed, staged, unstaged and untracked."""
    merge_base = _git(root, "merge-base", base, "HEAD").strip()
    tracked = _git(root, "diff", "--name-only", merge_base).splitlines()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(tracked) | set(untracked))


def discover(root, order):
    """(scenarios in run order, repository paths per scenario, scenarios used per scenario, named roles)."""
    molecule = os.path.join(root, "molecule")
    found = sorted(name for name in os.listdir(molecule) if os.path.isfile(os.path.join(molecule, name, "molecule.yml")))
    scenarios = [name for name in order if name in found] + [name for name in found if name not in order]
    repo_paths, scenario_uses = {}, {}
    for scenario in scenarios:
        paths, uses = set(), set()
        for directory, dummy, files in os.walk(os.path.join(molecule, scenario)):
            for name in files:
                if name.endswith((".yml", ".yaml", ".py")):
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        more_paths, more_uses = references(handle.read(), scenarios)
                    paths |= more_paths
                    uses |= more_uses - {scenario}
        repo_paths[scenario], scenario_uses[scenario] = paths, uses
    named = set()
    roles = os.path.join(root, "roles")
    for role in sorted(os.listdir(roles)):
        main = os.path.join(roles, role, "tasks", "main.yml")
        if role != WHOLE_PLATFORM and os.path.isfile(main):
            with open(main, encoding="utf-8") as handle:
                text = handle.read()
            if "korczewski.platform.app_service" in text and re.search(r"tasks_from:\s*service\b", text):
                named.add(role)
    return scenarios, repo_paths, scenario_uses, named


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", default=os.environ.get("BASE", "main"), help="branch to compare with (default main)")
    parser.add_argument("--order", default="", help="scenario run order, space separated (the Makefile's SCENARIOS)")
    args = parser.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        changed = changed_files(root, args.base)
    except subprocess.CalledProcessError as error:
        print("cannot compare with %s: %s" % (args.base, error.stderr.strip()), file=sys.stderr)
        return 2
    scenarios, repo_paths, scenario_uses, named = discover(root, args.order.split())
    chosen = choose(changed, scenarios, repo_paths, scenario_uses, named)
    if not changed:
        print("nothing changed since the merge base with %s" % args.base)
    elif not chosen:
        print("%d file(s) changed since the merge base with %s; no Molecule scenario tests them" % (len(changed), args.base))
    for scenario, reasons in chosen:
        print("%s:" % scenario)
        for why, paths in reasons.items():
            more = " (+%d more)" % (len(paths) - 3) if len(paths) > 3 else ""
            print("  %s: %s%s" % (why, ", ".join(paths[:3]), more))
    print("SCENARIOS=%s" % " ".join(scenario for scenario, dummy in chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
