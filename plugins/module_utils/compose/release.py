# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release a project keeps on the host, for playbooks/rollback.yml.

After an apply changed a project's files and it came up healthy, the files it had before (the
compose file, its secrets file, ...) are kept in ``<project_dir>/.previous`` (0700; each file with
its mode) with the ids of the images its containers ran. Each of those images gets a reference of
its own (``korczewski-platform-previous:<project>-<service>-<id>``), so neither a moved tag nor an
image prune takes it away. A rollback applies the kept files, naming the kept image where the
file's own reference now names another one, and keeps what it replaced as the previous release
(a second rollback goes forward again). It leaves a mark: while the mark is there, an apply of
the catalog does not silently undo the rollback; it reports what differs and keeps what runs,
until the catalog matches again or the run asks to roll forward.

The engine runs every command (compose.engine). Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile

from ansible_collections.korczewski.platform.plugins.module_utils.compose.files import read_file, write_new

PREVIOUS_DIR = ".previous"
RELEASE_FILE = "release.json"
ROLLED_BACK_FILE = ".rolled-back.json"
KEPT_REPOSITORY = "korczewski-platform-previous"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kept_reference(project, service, image_id):
    return "%s:%s-%s-%s" % (KEPT_REPOSITORY, project, service, image_id.split(":")[-1][:12])


def _services(definition):
    return (definition or {}).get("services") or {}


def differences(running, catalog):
    """What the catalog's definition changes in the running one, one line per service (image
    references named, other settings by key: a value may be a secret)."""
    lines = []
    have, want = _services(running), _services(catalog)
    for service in sorted(set(have) | set(want)):
        if service not in want:
            lines.append("service %s runs but is not in the catalog" % service)
            continue
        if service not in have:
            lines.append("service %s is in the catalog but does not run" % service)
            continue
        old, new = have[service] or {}, want[service] or {}
        if old.get("image") != new.get("image"):
            lines.append("service %s: image %s, the catalog has %s" % (service, old.get("image"), new.get("image")))
        keys = sorted(k for k in set(old) | set(new) if k != "image" and old.get(k) != new.get(k))
        if keys:
            lines.append("service %s: settings differ: %s" % (service, ", ".join(keys)))
    top = sorted(k for k in set(running or {}) | set(catalog or {}) if k != "services" and (running or {}).get(k) != (catalog or {}).get(k))
    if top:
        lines.append("project settings differ: %s" % ", ".join(top))
    return lines


class Release(object):
    """The kept release and the rollback mark of one project directory."""

    def __init__(self, engine, project, directory):
        self.engine = engine
        self.project = project
        self.directory = directory

    def _path(self, *parts):
        return os.path.join(self.directory, *parts)

    def previous(self):
        """{files: {path: (content, mode) or None}, images: {service: {reference, id, kept}}, kept_at},
        or None when the project keeps no release."""
        record = read_file(self._path(PREVIOUS_DIR, RELEASE_FILE))
        if record is None:
            return None
        release = json.loads(record[0])
        files = {}
        for path, mode in release["files"].items():
            files[path] = None if mode is None else read_file(self._path(PREVIOUS_DIR, "files", path))
            if mode is not None and files[path] is None:
                raise ValueError("the kept release of %s lacks its file %s" % (self.project, path))
        return dict(release, files=files)

    def images_of(self, containers):
        """What keep() needs of the containers running the release, asked before they change:
        [(service, image id)]."""
        ids = self.engine.container_images([c["name"] for c in containers])
        return [(c["service"], ids[c["name"]]) for c in containers if ids.get(c["name"])]

    def keep(self, files, compose_file, images_of):
        """Keep files ({path: (content, mode) or None}, compose_file among them) and the images the
        release ran (images_of(), asked before the change) as the previous release."""
        try:
            definition = json.loads(files[compose_file][0])
        except ValueError:
            # A compose file from before the collection wrote JSON: its files are kept, not its images.
            definition = {}
        images = {}
        for service, image_id in images_of:
            reference = (_services(definition).get(service) or {}).get("image")
            if reference:
                kept = kept_reference(self.project, service, image_id)
                self.engine.tag_image(image_id, kept)
                images[service] = {"reference": reference, "id": image_id, "kept": kept}
        older = self.previous_images()
        staging = tempfile.mkdtemp(prefix=".previous-", dir=self.directory)
        try:
            for path, wanted in files.items():
                if wanted is not None:
                    target = os.path.join(staging, "files", path)
                    if not os.path.isdir(os.path.dirname(target)):
                        os.makedirs(os.path.dirname(target), 0o700)
                    write_new(target, wanted[0], wanted[1])
            record = {"kept_at": now(), "images": images, "compose_file": compose_file,
                      "files": dict((p, None if w is None else "%04o" % w[1]) for p, w in files.items())}
            write_new(os.path.join(staging, RELEASE_FILE), json.dumps(record, indent=2, sort_keys=True) + "\n", 0o600)
            # The old release goes only once the new one is complete beside it.
            shutil.rmtree(self._path(PREVIOUS_DIR), ignore_errors=True)
            os.rename(staging, self._path(PREVIOUS_DIR))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        current = set(i["kept"] for i in images.values())
        for reference in sorted(set(i["kept"] for i in older.values()) - current):
            self.engine.untag_image(reference)
        return images

    def previous_images(self):
        """The kept release's images; {} without one, or when its record is damaged: that must
        not stop a new release from being kept in its place."""
        try:
            release = self.previous()
        except ValueError:
            return {}
        return (release or {}).get("images") or {}

    def rollback_definition(self, release):
        """The kept compose definition, naming each kept image where its reference moved on (a tag
        pulled again) or is gone: [(service, reference)] pinned."""
        definition = json.loads(release["files"][release["compose_file"]][0])
        pinned = []
        for service, image in release["images"].items():
            spec = _services(definition).get(service)
            if spec and self.engine.image_id(image["reference"]) != image["id"]:
                spec["image"] = image["kept"]
                pinned.append((service, image["reference"]))
        return definition, pinned

    def marked(self):
        record = read_file(self._path(ROLLED_BACK_FILE))
        return json.loads(record[0]) if record else None

    def mark(self, kept_at):
        self.unmark()
        record = {"rolled_back_at": now(), "to_release_kept_at": kept_at}
        write_new(self._path(ROLLED_BACK_FILE), json.dumps(record, indent=2, sort_keys=True) + "\n", 0o640)

    def unmark(self):
        if os.path.lexists(self._path(ROLLED_BACK_FILE)):
            os.remove(self._path(ROLLED_BACK_FILE))
