# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vLLM stack's stand-ins check the wiring, so a deployment with a wrong key, URL or password
fails its health instead of passing: vLLM refuses /v1 without its API key, qdrant refuses its API
without its key and its image has no curl or wget (the catalog's bash healthcheck works there),
and Open WebUI is healthy only when every wired peer answers with the configured credentials.

The images are built from this checkout under ztest- tags and removed afterwards; the containers
run on their own ztest network, published on loopback ports 47xxx, and are removed by the fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

IMAGES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "images")
PREFIX = "ztest-rag-%s" % uuid.uuid4().hex[:6]
NETWORK = PREFIX + "-net"
VLLM_KEY = "zt-vllm-key-" + uuid.uuid4().hex
QDRANT_KEY = "zt-qdrant-key-" + uuid.uuid4().hex
DB_PASSWORD = "zt pw/@:%" + uuid.uuid4().hex[:8]
PORTS = {"vllm": 47811, "qdrant": 47812, "webui": 47813}
BUILT = {"vllm": "vllm-standin", "qdrant": "qdrant-standin", "webui": "open-webui-standin"}
PARENTS = ("local/python-standin-base:1", "local/debian:bookworm", "local/infinity-standin:1", "local/postgres:15")


def docker(*args, check=True, timeout=300):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, "docker %s: %s" % (" ".join(args), proc.stderr)
    return proc


def _images_present():
    if shutil.which("docker") is None:
        return False
    return all(docker("image", "inspect", image, check=False).returncode == 0 for image in PARENTS)


pytestmark = pytest.mark.skipif(not _images_present(), reason="needs Docker and the test bed's base images %s" % ", ".join(PARENTS))


def http(url, headers=None, timeout=10):
    """(status, body as text); never raises for an HTTP status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check, timeout=60):
    deadline = time.time() + timeout
    while True:
        try:
            value = check()
        except OSError:
            value = None
        if value or time.time() > deadline:
            return value
        time.sleep(0.5)


def url_password(text):
    return urllib.parse.quote(text, safe="")


@pytest.fixture(scope="module")
def images():
    tags = {}
    try:
        for name, directory in BUILT.items():
            tag = "%s-%s:test" % (PREFIX, directory)
            docker("build", "-q", "-t", tag, os.path.join(IMAGES_DIR, directory), timeout=900)
            tags[name] = tag
        yield tags
    finally:
        for tag in tags.values():
            docker("rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def stack(images):
    """vLLM, qdrant, infinity and postgres on a ztest network, wired like the production catalog."""
    started = []

    def run(name, image, *args, env=None, publish=None):
        cmd = ["run", "-d", "--name", "%s-%s" % (PREFIX, name), "--network", NETWORK, "--network-alias", name]
        for key, value in (env or {}).items():
            cmd += ["-e", "%s=%s" % (key, value)]
        if publish:
            cmd += ["-p", "127.0.0.1:%d:%d" % publish]
        docker(*(cmd + [image] + list(args)))
        started.append("%s-%s" % (PREFIX, name))
        return "%s-%s" % (PREFIX, name)

    docker("network", "create", NETWORK)
    try:
        run("vllm", images["vllm"], "--model", "standin/model", "--served-model-name", "zt-chat", "--port", "8000",
            env={"VLLM_API_KEY": VLLM_KEY}, publish=(PORTS["vllm"], 8000))
        qdrant = run("qdrant", images["qdrant"], env={"QDRANT__SERVICE__API_KEY": QDRANT_KEY}, publish=(PORTS["qdrant"], 6333))
        infinity = run("infinity", "local/infinity-standin:1", "v2", "--model-id", "zt/embed", "--port", "7997")
        postgres = run("postgres", "local/postgres:15",
                       env={"POSTGRES_USER": "rag", "POSTGRES_DB": "openwebui", "POSTGRES_PASSWORD": DB_PASSWORD})
        assert wait_for(lambda: http("http://127.0.0.1:%d/health" % PORTS["vllm"])[0] == 200)
        assert wait_for(lambda: http("http://127.0.0.1:%d/readyz" % PORTS["qdrant"])[0] == 200)
        assert wait_for(lambda: docker("exec", postgres, "pg_isready", "-h", "127.0.0.1", "-U", "rag", "-d", "openwebui",
                                       check=False).returncode == 0, timeout=120)
        yield {"run": run, "qdrant": qdrant, "infinity": infinity, "images": images}
    finally:
        for name in reversed(started):
            docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", NETWORK, check=False)


def webui_env(**override):
    env = {
        "OPENAI_API_BASE_URL": "http://vllm:8000/v1", "OPENAI_API_KEY": VLLM_KEY,
        "VECTOR_DB": "qdrant", "QDRANT_URI": "http://qdrant:6333", "QDRANT_API_KEY": QDRANT_KEY,
        "DATABASE_URL": "postgresql://rag:%s@postgres:5432/openwebui" % url_password(DB_PASSWORD),
        "RAG_EMBEDDING_ENGINE": "openai", "RAG_OPENAI_API_BASE_URL": "http://infinity:7997", "RAG_EMBEDDING_MODEL": "zt/embed",
        "WEBUI_SECRET_KEY": "zt-webui",
    }
    env.update(override)
    return env


def webui_health(stack, name, port, **override):
    stack["run"](name, stack["images"]["webui"], env=webui_env(**override), publish=(port, 8080))
    result = wait_for(lambda: http("http://127.0.0.1:%d/health" % port, timeout=15), timeout=30)
    assert result, "the Open WebUI stand-in %s never answered" % name
    return result[0], json.loads(result[1])


# ------------------------------------------------------------------------------------- vLLM


def test_vllm_refuses_v1_without_its_key_and_keeps_health_open(stack):
    base = "http://127.0.0.1:%d" % PORTS["vllm"]
    assert http(base + "/v1/models")[0] == 401
    assert http(base + "/v1/models", {"Authorization": "Bearer wrong"})[0] == 401
    assert http(base + "/v1/models", {"Authorization": VLLM_KEY})[0] == 401  # the scheme is part of it
    status, body = http(base + "/v1/models", {"Authorization": "Bearer " + VLLM_KEY})
    assert status == 200 and json.loads(body)["data"][0]["id"] == "zt-chat"
    assert http(base + "/health")[0] == 200


# ------------------------------------------------------------------------------------- qdrant


def test_qdrant_refuses_its_api_without_its_key(stack):
    base = "http://127.0.0.1:%d" % PORTS["qdrant"]
    assert http(base + "/collections")[0] == 401
    assert http(base + "/collections", {"api-key": "wrong"})[0] == 401
    assert http(base + "/collections", {"api-key": QDRANT_KEY})[0] == 200
    assert http(base + "/collections", {"Authorization": "Bearer " + QDRANT_KEY})[0] == 200
    for path in ("/", "/healthz", "/readyz", "/livez"):
        assert http(base + path)[0] == 200, path


def test_qdrant_image_has_no_curl_or_wget_and_the_catalog_healthcheck_works_there(stack, production_services, production_host):
    from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog  # pylint: disable=import-outside-toplevel

    probe = docker("exec", stack["qdrant"], "sh", "-c", "command -v curl || command -v wget", check=False)
    assert probe.returncode != 0 and probe.stdout == ""
    catalog = Catalog.load(production_services, "korczewski.de", **production_host)
    test = catalog.compose_project("vllm-rag", "production")["services"]["qdrant-rag"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert docker("exec", stack["qdrant"], *test[1:], check=False).returncode == 0
    # The same probe fails when the endpoint does not answer 200.
    broken = [part.replace("/readyz", "/no-such-probe") for part in test[1:]]
    assert docker("exec", stack["qdrant"], *broken, check=False).returncode != 0


def test_infinity_healthcheck_of_the_catalog_needs_only_python(stack, production_services, production_host):
    from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog  # pylint: disable=import-outside-toplevel

    catalog = Catalog.load(production_services, "korczewski.de", **production_host)
    test = catalog.compose_project("vllm-rag", "production")["services"]["infinity-embeddings"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python3"]
    assert wait_for(lambda: docker("exec", stack["infinity"], *test[1:], check=False).returncode == 0, timeout=30)
    broken = [part.replace("/health", "/no-such-probe") for part in test[1:]]
    assert docker("exec", stack["infinity"], *broken, check=False).returncode != 0


# ------------------------------------------------------------------------------------- Open WebUI


def test_open_webui_is_healthy_when_every_peer_answers_with_its_credentials(stack):
    status, body = webui_health(stack, "webui-ok", PORTS["webui"])
    assert status == 200, body
    assert body == {"status": True, "checked": ["database", "embeddings", "qdrant", "vllm"]}


@pytest.mark.parametrize("port, override, peer, reason", [
    (47821, {"OPENAI_API_KEY": "wrong"}, "vllm", "HTTP 401"),
    (47822, {"QDRANT_API_KEY": "wrong"}, "qdrant", "HTTP 401"),
    (47823, {"DATABASE_URL": "postgresql://rag:wrong@postgres:5432/openwebui"}, "database", "password authentication failed"),
    (47824, {"RAG_OPENAI_API_BASE_URL": "http://vllm:8000/nothing"}, "embeddings", "HTTP 404"),
    (47825, {"RAG_EMBEDDING_MODEL": "not/served"}, "embeddings", "HTTP 400"),
    (47826, {"QDRANT_URI": "http://nowhere.invalid:6333"}, "qdrant", "GET http://nowhere.invalid:6333/collections"),
], ids=["vllm-key", "qdrant-key", "db-password", "embeddings-url", "embeddings-model", "qdrant-host"])
def test_open_webui_health_names_each_peer_it_cannot_use(stack, port, override, peer, reason):
    status, body = webui_health(stack, "webui-%d" % port, port, **override)
    assert status == 503, body
    assert body["status"] is False
    assert list(body["failed"]) == [peer], body
    assert reason in body["failed"][peer], body
