# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An image update of auth and l2p under steady load: the switch beside a recreate in place.

On the deployed local platform (`make site` first). Each row changes the image of auth-service,
l2p-app and l2p-api to a new tag (the same image under another name, so what is measured is the
replacement, not a start of other code) and back, while tests/load/steady.py sends 25 requests a
second, each on a new connection, to auth's /health and l2p's / and /api through Traefik:

  - recreate: plain `docker compose up -d --wait` of the project with the image changed, one
    project after the other (what an update did before the switch, and what a compose script does)
  - switch:   `ansible-playbook site.yml --tags auth,l2p -e platform_images=...` (the health-gated switch)

Per row and service: failed requests, the longest gap between two successful answers, and the
switch time (the command's start to the last old container gone). Prints a Markdown table.
    python3 benchmarks/update.py            (make bench-update)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "load"))

import steady  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = os.environ.get("INVENTORY", "inventory/local")
VENV = os.environ.get("VENV", os.path.join(ROOT, ".venv"))
TAG = "local/app-standin:bench-update"
CONTAINERS = {"auth-production": ["auth-service"], "l2p-production": ["l2p-app", "l2p-api"]}
IMAGE_KEYS = ("auth", "l2p_frontend", "l2p_backend")
URLS = {"auth": "https://auth.platform.localhost:18443/health", "l2p": "https://l2p.platform.localhost:18443/",
        "l2p /api": "https://l2p.platform.localhost:18443/api"}
RATE = 25


def docker(*args):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("docker %s failed: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout.strip()


def inspect(name, template):
    return docker("inspect", "--format", template, name)


def ids():
    return dict((n, inspect(n, "{{.Id}}")) for names in CONTAINERS.values() for n in names)


class Gone(threading.Thread):
    """The seconds from its start until none of the given container ids exists any more."""

    def __init__(self, old):
        super(Gone, self).__init__(daemon=True)
        self.old = set(old)
        self.started = time.monotonic()
        self.seconds = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            present = set(docker("ps", "--all", "--no-trunc", "--format", "{{.ID}}").split())
            if not self.old & present:
                self.seconds = time.monotonic() - self.started
                return
            time.sleep(0.1)


def serving(timeout=60):
    """Wait until every URL answers: a row starts from a platform that serves, not from the end of
    the row before (Traefik adds a recreated container a moment after Docker calls it healthy)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(200 <= steady.get(url)[0] < 400 for url in URLS.values()):
            return
        time.sleep(0.2)
    sys.exit("the platform does not serve %s; run make site first" % ", ".join(URLS.values()))


def under_load(command):
    serving()
    before = ids()
    with steady.SteadyLoad(URLS, rate=RATE) as load:
        time.sleep(1)
        gone = Gone(before.values())
        gone.start()
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        time.sleep(1)
        gone.stop.set()
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(command[:3]), (proc.stdout + proc.stderr)[-3000:]))
    return load.report(), gone.seconds


def recreate(image, step):
    """The compose projects up in place with the containers' image replaced, one after another
    (each step its own file: the commands are built before the first runs)."""
    script = []
    for project, names in CONTAINERS.items():
        directory = inspect(names[0], '{{index .Config.Labels "com.docker.compose.project.working_dir"}}')
        with open(os.path.join(directory, "compose.yml")) as handle:
            definition = json.load(handle)
        for spec in definition["services"].values():
            if spec.get("container_name") in names:
                spec["image"] = image
        path = os.path.join(directory, ".bench-update-%d.json" % step)
        with open(path, "w") as handle:
            json.dump(definition, handle)
        script.append("docker compose --project-name %s --project-directory %s --file %s up --detach --wait"
                      % (project, directory, path))
    return ["sh", "-c", " && ".join(script)]


def site(images):
    return [os.path.join(VENV, "bin", "ansible-playbook"), "-i", INVENTORY, "site.yml", "--tags", "auth,l2p",
            "-e", json.dumps({"platform_images": images})]


def main():
    with open(os.path.join(ROOT, INVENTORY, "group_vars", "all", "platform.yml")) as handle:
        images = yaml.safe_load(handle)["platform_images"]
    base = inspect("auth-service", "{{.Config.Image}}")
    # An image of its own id: compose recreates a container only when the image it names changed.
    build = subprocess.run(["docker", "build", "-q", "-t", TAG, "-"], input="FROM %s\nLABEL bench=update\n" % base,
                           capture_output=True, text=True, check=False)
    if build.returncode != 0:
        sys.exit("building %s failed: %s" % (TAG, build.stderr))
    changed = dict(images, **dict((k, TAG) for k in IMAGE_KEYS))
    rows = []
    try:
        for label, command in (("recreate to %s" % TAG, recreate(TAG, 1)), ("recreate back", recreate(base, 2)),
                               ("switch to %s" % TAG, site(changed)), ("switch back", site(images))):
            started = time.monotonic()
            report, gone = under_load(command)
            rows.append((label, time.monotonic() - started - 2, gone, report))
            if os.environ.get("BENCH_DETAILS"):
                print(label, json.dumps(report, indent=1), file=sys.stderr)
    finally:
        for names in CONTAINERS.values():
            directory = inspect(names[0], '{{index .Config.Labels "com.docker.compose.project.working_dir"}}')
            for step in (1, 2):
                if os.path.exists(os.path.join(directory, ".bench-update-%d.json" % step)):
                    os.remove(os.path.join(directory, ".bench-update-%d.json" % step))
        subprocess.run(["docker", "image", "rm", TAG], capture_output=True, check=False)
    print("| update (%d req/s each) | command s | old containers gone s | %s |"
          % (RATE, " | ".join("%s failed / requests, longest gap s" % name for name in URLS)))
    print("|---|---|---|%s" % ("---|" * len(URLS)))
    for label, seconds, gone, report in rows:
        print("| %s | %.1f | %s | %s |" % (label, seconds, "%.1f" % gone if gone is not None else "-", " | ".join(
            "%d / %d, %.2f" % (report[n]["failed"], report[n]["requests"], report[n]["longest_gap"]) for n in URLS)))


if __name__ == "__main__":
    main()
