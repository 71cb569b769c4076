# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compose.release: the kept release, its images and the rollback mark, on a fake engine."""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.korczewski.platform.plugins.module_utils.compose.release import (
    Release,
    differences,
    kept_reference,
)


class Images(object):
    """The image part of an engine: references to ids, tags made and removed."""

    def __init__(self, references, containers):
        self.references = dict(references)
        self.containers = dict(containers)
        self.removed = []

    def container_images(self, names):
        return dict((n, self.containers[n]) for n in names if n in self.containers)

    def image_id(self, reference):
        return self.references.get(reference)

    def tag_image(self, image, reference):
        self.references[reference] = image

    def untag_image(self, reference):
        self.removed.append(reference)
        return self.references.pop(reference, None) is not None


def compose(image):
    return json.dumps({"name": "p", "services": {"web": {"image": image, "container_name": "p-web"}}}, indent=2) + "\n"


def keep(release, image):
    files = {"compose.yml": (compose(image), 0o640), "secrets.env": ("TOKEN=x\n", 0o600), "gone.txt": None}
    return release.keep(files, "compose.yml", release.images_of([{"name": "p-web", "service": "web"}]))


def test_a_kept_release_holds_its_files_with_their_modes_and_a_reference_to_its_image(tmp_path):
    engine = Images({"app:1": "sha256:" + "a" * 64}, {"p-web": "sha256:" + "a" * 64})
    release = Release(engine, "p", str(tmp_path))
    assert release.previous() is None
    images = keep(release, "app:1")
    kept = kept_reference("p", "web", "sha256:" + "a" * 64)
    assert images == {"web": {"reference": "app:1", "id": "sha256:" + "a" * 64, "kept": kept}}
    assert engine.references[kept] == "sha256:" + "a" * 64
    previous = release.previous()
    assert previous["files"] == {"compose.yml": (compose("app:1"), 0o640), "secrets.env": ("TOKEN=x\n", 0o600), "gone.txt": None}
    assert stat.S_IMODE(os.stat(tmp_path / ".previous").st_mode) == 0o700
    # Nothing is pinned while the reference still names the kept image.
    definition, pinned = release.rollback_definition(previous)
    assert pinned == [] and definition["services"]["web"]["image"] == "app:1"


def test_a_moved_tag_is_pinned_to_the_kept_image_and_an_older_release_lets_its_image_go(tmp_path):
    old, new = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    engine = Images({"app:latest": old}, {"p-web": old})
    release = Release(engine, "p", str(tmp_path))
    keep(release, "app:latest")
    engine.references["app:latest"] = new
    definition, pinned = release.rollback_definition(release.previous())
    assert pinned == [("web", "app:latest")]
    assert definition["services"]["web"]["image"] == kept_reference("p", "web", old)
    engine.containers["p-web"] = new
    keep(release, "app:latest")
    assert engine.removed == [kept_reference("p", "web", old)]


def test_the_rollback_mark_is_set_and_cleared(tmp_path):
    release = Release(Images({}, {}), "p", str(tmp_path))
    assert release.marked() is None
    release.mark("2026-12-07T10:00:00Z")
    assert release.marked()["to_release_kept_at"] == "2026-12-07T10:00:00Z"
    release.unmark()
    assert release.marked() is None


def test_differences_name_images_and_other_keys_but_never_their_values():
    running = {"name": "p", "services": {"web": {"image": "app:1", "environment": {"TOKEN": "s3cret"}}, "old": {}}}
    catalog = {"name": "p", "services": {"web": {"image": "app:2", "environment": {"TOKEN": "other"}}, "new": {}}}
    lines = differences(running, catalog)
    assert lines == ["service new is in the catalog but does not run", "service old runs but is not in the catalog",
                     "service web: image app:1, the catalog has app:2", "service web: settings differ: environment"]
    assert not any("s3cret" in line or "other" in line for line in lines)
    assert differences(running, running) == []
