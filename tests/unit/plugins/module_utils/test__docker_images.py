# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight's image check without an engine (docker/images.py): each image asked for once,
pulls bounded by the workers, check mode asking the registry, one failure naming every path; and
how the API client reads a pull's streamed answer."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.docker import api as docker_api
from ansible_collections.korczewski.platform.plugins.module_utils.docker.api import DockerAPI, DockerError
from ansible_collections.korczewski.platform.plugins.module_utils.docker.images import (
    ImagesError,
    check,
    collect,
    failure_lines,
    failure_message,
    reference_parts,
)

AUTH = "platform_services.auth.environments.production.containers[0].image"
L2P = "platform_services.l2p.environments.production.containers[1].image"
DB = "platform_services.shared-postgres.environments.production.containers[0].image"


def test_collect_asks_for_each_image_once_and_keeps_every_path_and_unit():
    items = collect([
        {"image": "app:1", "path": AUTH, "service": "auth", "environment": "production"},
        {"image": "postgres:15", "path": DB},
        {"image": " app:1 ", "path": L2P, "service": "l2p", "environment": "production"},
        {"image": "app:1", "path": AUTH, "service": "auth", "environment": "production"},
    ])
    assert items == [
        {"image": "app:1", "paths": [AUTH, L2P], "units": ["auth/production", "l2p/production"]},
        {"image": "postgres:15", "paths": [DB], "units": []},
    ]


@pytest.mark.parametrize("entry", [{"path": AUTH}, {"image": " ", "path": AUTH}, "app:1"])
def test_collect_refuses_an_entry_without_an_image(entry):
    with pytest.raises(ImagesError, match=r"images\[0\]"):
        collect([entry])


@pytest.mark.parametrize("image, parts", [
    ("postgres:15", ("postgres", "15")),
    ("postgres", ("postgres", "latest")),
    ("registry.local:5000/team/app", ("registry.local:5000/team/app", "latest")),
    ("registry.local:5000/team/app:2.1", ("registry.local:5000/team/app", "2.1")),
    ("app@sha256:" + "a" * 64, ("app@sha256:" + "a" * 64, "")),
])
def test_reference_parts_for_the_pull_call(image, parts):
    assert reference_parts(image) == parts


def test_the_failure_names_every_path_of_a_missing_image_as_validation_errors_do():
    missing = [{"image": "local/app-standin:nope", "paths": [AUTH, L2P], "error": "manifest unknown"},
               {"image": "other:1", "paths": [], "error": None}]
    assert failure_lines(missing) == [
        AUTH + ": image local/app-standin:nope is not on this host and cannot be pulled: manifest unknown",
        L2P + ": image local/app-standin:nope is not on this host and cannot be pulled: manifest unknown",
        "image other:1 is not on this host and cannot be pulled: unknown error",
    ]
    message = failure_message(missing[:1], pulled=["postgres:15"])
    assert message.startswith("1 image this run needs is neither on this host nor pullable")
    assert "(pulled meanwhile: postgres:15)" in message
    assert message.splitlines()[1] == "- " + failure_lines(missing)[0]
    assert failure_message(missing).startswith("2 images this run needs are neither")


class FakeEngine(object):
    """What the engine has, what its registry has, and how many pulls ran at once."""

    def __init__(self, local=(), remote=(), pull_seconds=0.0):
        self.local = set(local)
        self.remote = set(remote)
        self.pull_seconds = pull_seconds
        self.asked = []
        self.pulled = []
        self.distribution_asked = []
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.clients = 0

    def connect(self):
        self.clients += 1
        return FakeClient(self)


class FakeClient(object):

    def __init__(self, engine):
        self.engine = engine

    def close(self):
        pass

    def image(self, name):
        self.engine.asked.append(name)
        return {"Id": "sha256:x"} if name in self.engine.local else None

    def distribution(self, name):
        self.engine.distribution_asked.append(name)
        if name not in self.engine.remote:
            raise DockerError("manifest for %s not found" % name)
        return {"Descriptor": {}}

    def pull(self, name, tag):
        reference = "%s:%s" % (name, tag) if tag else name
        with self.engine.lock:
            self.engine.running += 1
            self.engine.most = max(self.engine.most, self.engine.running)
        try:
            time.sleep(self.engine.pull_seconds)
            if reference not in self.engine.remote:
                raise DockerError("pull access denied for %s" % name)
            self.engine.pulled.append(reference)
            return [{"status": "Pulling from %s" % name, "id": tag}, {"status": "Status: Downloaded newer image for %s" % reference}]
        finally:
            with self.engine.lock:
                self.engine.running -= 1


def _items(*images):
    return collect([{"image": image, "path": "p.%d" % i} for i, image in enumerate(images)])


def test_present_images_need_no_pull():
    engine = FakeEngine(local={"a:1", "b:1"})
    outcome = check(_items("a:1", "b:1", "a:1"), engine.connect)
    assert outcome == {"present": ["a:1", "b:1"], "pulled": [], "missing": [], "progress": []}
    assert engine.asked == ["a:1", "b:1"] and engine.clients == 1


def test_missing_images_are_pulled_concurrently_within_the_workers():
    images = ["r/app%d:1" % i for i in range(6)]
    engine = FakeEngine(local={"a:1"}, remote=set(images), pull_seconds=0.1)
    outcome = check(_items("a:1", *images), engine.connect, workers=3)
    assert outcome["present"] == ["a:1"] and outcome["pulled"] == images and outcome["missing"] == []
    assert sorted(engine.pulled) == sorted(images)
    assert engine.most == 3
    assert [line.split(": pulled in ")[0] for line in outcome["progress"]] == images
    assert outcome["progress"][0].endswith("(Status: Downloaded newer image for r/app0:1)")


def test_a_failed_pull_is_missing_with_its_paths_and_the_engines_reason_while_the_others_are_pulled():
    engine = FakeEngine(remote={"r/ok:1"})
    outcome = check(collect([{"image": "r/ok:1", "path": DB}, {"image": "r/nope:1", "path": AUTH},
                             {"image": "r/nope:1", "path": L2P}]), engine.connect)
    assert outcome["pulled"] == ["r/ok:1"]
    assert outcome["missing"] == [{"image": "r/nope:1", "paths": [AUTH, L2P], "units": [],
                                   "error": "pull access denied for r/nope"}]


def test_check_mode_asks_the_registry_and_pulls_nothing():
    engine = FakeEngine(local={"a:1"}, remote={"r/new:2"})
    outcome = check(_items("a:1", "r/new:2", "r/gone:3"), engine.connect, check_mode=True)
    assert engine.pulled == [] and sorted(engine.distribution_asked) == ["r/gone:3", "r/new:2"]
    assert outcome["pulled"] == ["r/new:2"] and [m["image"] for m in outcome["missing"]] == ["r/gone:3"]
    assert outcome["progress"] == ["r/new:2: not on this host; its registry has it, so it would be pulled"]


def test_pull_false_only_checks():
    engine = FakeEngine(remote={"r/new:2"})
    outcome = check(_items("r/new:2"), engine.connect, pull=False)
    assert engine.pulled == [] and outcome["missing"][0]["error"] == "pulling is off (pull: false)"


def _api_answering(status, body):
    client = DockerAPI("unix:///nonexistent.sock")
    client._prefix = "/v1.41"
    calls = []

    def raw(method, path):
        calls.append((method, path))
        return status, body
    client._raw = raw
    return client, calls


def test_pull_sends_name_and_tag_and_reads_the_stream():
    stream = b"\r\n".join(json.dumps(m).encode() for m in [
        {"status": "Pulling from team/app", "id": "2.1"}, {"status": "Status: Downloaded newer image for team/app:2.1"}])
    client, calls = _api_answering(200, stream + b"\r\nnot json\r\n")
    messages = client.pull("registry.local:5000/team/app", "2.1")
    assert calls == [("POST", "/v1.41/images/create?fromImage=registry.local%3A5000%2Fteam%2Fapp&tag=2.1")]
    assert messages[-1] == {"status": "not json"} and messages[1]["status"].startswith("Status: Downloaded")


def test_an_error_in_the_stream_or_a_refused_pull_raises_the_engines_message():
    client, dummy = _api_answering(200, b'{"status":"Pulling"}\n{"errorDetail":{"message":"unauthorized"},"error":"unauthorized"}\n')
    with pytest.raises(DockerError, match="^unauthorized$"):
        client.pull("team/app", "1")
    client, dummy = _api_answering(404, b'{"message":"pull access denied for team/app"}')
    with pytest.raises(DockerError, match="^pull access denied for team/app$"):
        client.pull("team/app", "1")


def test_image_inspect_is_none_for_an_unknown_image_and_distribution_raises_the_registrys_answer():
    client, calls = _api_answering(404, b'{"message":"no such image"}')
    assert client.image("local/app:nope") is None
    assert calls == [("GET", "/v1.41/images/local%2Fapp%3Anope/json")]
    client, dummy = _api_answering(500, b'{"message":"manifest unknown"}')
    with pytest.raises(DockerError, match="^manifest unknown$"):
        client.distribution("local/app:nope")


def test_json_lines_skips_blank_lines():
    assert docker_api._json_lines(b'\n{"a": 1}\n\n[1]\n') == [{"a": 1}, {"status": "[1]"}]
