# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The images a run needs, as the preflight checks them (korczewski.platform.images_present):
which images to ask the engine for, how to name one to the pull call, and one failure message that
names every catalog path whose image is neither on the host nor pullable.

Private to korczewski.platform; standard library only.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor


class ImagesError(ValueError):
    """An entry of the module's input is malformed."""


def collect(entries):
    """Each image once, in first-seen order, with every catalog path and unit that names it:
    ``[{"image", "paths", "units"}]`` from ``[{"image", "path", "service", "environment"}]``.

    A catalog uses one image in many containers (a stand-in, the database server's image), and
    the engine is asked about each image once; the failure still names every path."""
    images = {}
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            raise ImagesError("images[%d] must be a dict with an image and a path, not %r" % (index, entry))
        image = entry.get("image")
        if not isinstance(image, str) or not image.strip():
            raise ImagesError("images[%d]%s has no image" % (
                index, " (%s)" % entry["path"] if entry.get("path") else ""))
        image = image.strip()
        item = images.setdefault(image, {"image": image, "paths": [], "units": []})
        path = entry.get("path")
        if path and path not in item["paths"]:
            item["paths"].append(path)
        unit = "/".join(str(entry[k]) for k in ("service", "environment") if entry.get(k))
        if unit and unit not in item["units"]:
            item["units"].append(unit)
    return list(images.values())


def reference_parts(image):
    """``(fromImage, tag)`` for ``POST /images/create``.

    A name without a tag gets ``latest``, as ``docker pull`` sends it: the engine would pull every
    tag of the repository otherwise. A digest stays in the name, and the colon of a registry's port
    (``registry:5000/app``) is no tag."""
    if "@" in image:
        return image, ""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, "latest"


def pull_summary(messages):
    """The last status line of a pull's progress (``Status: Downloaded newer image for ...``)."""
    for message in reversed(messages or []):
        status = message.get("status")
        if status and not message.get("progressDetail") and not message.get("id"):
            return status
    return "pulled"


def progress_line(image, seconds, messages=None, check_mode=False):
    if check_mode:
        return "%s: not on this host; its registry has it, so it would be pulled" % image
    return "%s: pulled in %.1f s (%s)" % (image, seconds, pull_summary(messages))


def failure_lines(missing):
    """One line per catalog path of every missing image (``[{"image", "paths", "error"}]``), in the
    form of the catalog's validation errors; an image without a path is named alone."""
    lines = []
    for item in missing:
        what = "image %s is not on this host and cannot be pulled: %s" % (item["image"], item.get("error") or "unknown error")
        for path in item.get("paths") or [None]:
            lines.append("%s: %s" % (path, what) if path else what)
    return lines


def failure_message(missing, pulled=()):
    """The module's one failure: a headline, then each path whose image is missing. Images pulled
    in the same call stay pulled: they change no container and no file."""
    count = len(missing)
    headline = "%d image%s this run needs %s neither on this host nor pullable; no container or file was changed" % (
        count, "" if count == 1 else "s", "is" if count == 1 else "are")
    if pulled:
        headline += " (pulled meanwhile: %s)" % ", ".join(pulled)
    return "%s:\n%s" % (headline, "\n".join("- " + line for line in failure_lines(missing)))


def check(items, connect, pull=True, check_mode=False, workers=4):
    """Ask the engine for each collected image, then pull the missing ones, at most ``workers``
    at a time; ``connect()`` gives a client of the engine (docker/api.py's DockerAPI), one per
    worker, since one http.client connection cannot carry two requests at once.

    Check mode pulls nothing: the registry is asked whether it has the image (``GET
    /distribution``), so a tag that does not exist fails the check there too. Returns
    ``{"present", "pulled", "missing", "progress"}``; a missing item keeps its paths and the error.
    An engine that does not answer raises (DockerError) from the first question."""
    api = connect()
    try:
        present = [item["image"] for item in items if api.image(item["image"]) is not None]
    finally:
        api.close()
    absent = [item for item in items if item["image"] not in present]
    outcomes = []
    if absent and not pull:
        outcomes = [(item, "pulling is off (pull: false)", None) for item in absent]
    elif absent:
        with ThreadPoolExecutor(max_workers=max(1, min(int(workers), len(absent)))) as pool:
            outcomes = list(pool.map(lambda item: _fetch(item, connect, check_mode), absent))
    return {
        "present": present,
        "pulled": [item["image"] for item, error, dummy in outcomes if error is None],
        "missing": [dict(item, error=error) for item, error, dummy in outcomes if error is not None],
        "progress": [line for item, error, line in outcomes if line],
    }


def _fetch(item, connect, check_mode):
    """(item, error or None, progress line) of one image that is not on the host."""
    api = connect()
    started = time.monotonic()
    try:
        if check_mode:
            api.distribution(item["image"])
            return item, None, progress_line(item["image"], 0, check_mode=True)
        messages = api.pull(*reference_parts(item["image"]))
        return item, None, progress_line(item["image"], time.monotonic() - started, messages)
    except Exception as exc:  # pylint: disable=broad-except
        # Every failure of one image (engine, registry, a stream that breaks off) is that image's
        # reason; the others go on, so the failure lists all of them at once.
        return item, str(exc) or exc.__class__.__name__, None
    finally:
        api.close()
