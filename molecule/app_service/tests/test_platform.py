# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole platform on localhost: each service per style, both environments, through real
Traefik, real PostgreSQL and real dev servers."""

from __future__ import annotations

import glob
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position
from helpers import inspect, project_containers  # noqa: E402  pylint: disable=wrong-import-position

FACTS = helpers.facts("platform-facts.json")
DOMAIN = FACTS["domain"]
HTTPS = FACTS["https_port"]
DB_SERVICES = {d["service"] for d in FACTS["databases"]}
TARGETS = FACTS["targets"]


def curl(url, host=None, extra=()):
    """(status, body) with the local CA verified; host names are pinned to loopback."""
    return helpers.curl_body(url, *extra, ca_cert=FACTS["ca_cert"], pin=(HTTPS,) if host else ())


def by_kind(kind, environment):
    return [t for t in TARGETS if t["kind"] == kind and t["environment"] == environment]


@pytest.mark.parametrize("target", by_kind("https", "production"), ids=lambda t: t["name"])
def test_production_health_through_traefik_reports_its_database(target):
    status, body = curl(target["url"], host=target["host"])
    assert status == 200, body
    health = json.loads(body)
    if target["service"] in DB_SERVICES and target["name"] != "l2p-app":
        assert health["database"] == "reachable", health


def test_every_application_is_reached_by_its_host_name():
    hosts = {t["host"] for t in by_kind("https", "production")}
    assert hosts >= {"%s.%s" % (s, DOMAIN) for s in ("auth", "l2p", "payment", "videovault", "vllm", "dashboard")}


def test_l2p_api_paths_go_to_the_api_container_and_the_rest_to_the_frontend():
    host = "l2p.%s" % DOMAIN
    api = json.loads(curl("https://%s:%d/api/whoami" % (host, HTTPS), host=host)[1])
    front = curl("https://%s:%d/" % (host, HTTPS), host=host)[1]
    assert api["instance"] == inspect("l2p-api")["Config"]["Hostname"]
    assert inspect("l2p-app")["Config"]["Hostname"] in front


def vllm_api_key():
    """The key vLLM checks, from the controller's credential store (generated on first use)."""
    with open(os.path.join(FACTS["credentials_dir"], "vllm-rag", "VLLM_API_KEY"), encoding="utf-8") as handle:
        return handle.read().strip()


def test_vllm_v1_needs_the_api_key():
    host = "vllm.%s" % DOMAIN
    url = "https://%s:%d/v1/models" % (host, HTTPS)
    assert curl(url, host=host)[0] == 401
    assert curl(url, host=host, extra=("-H", "Authorization: Bearer wrong-key"))[0] == 401
    status, body = curl(url, host=host, extra=("-H", "Authorization: Bearer %s" % vllm_api_key()))
    assert status == 200, body
    assert json.loads(body)["data"][0]["id"]


def test_vllm_speaks_openai_through_traefik():
    host = "vllm.%s" % DOMAIN
    auth = ("-H", "Authorization: Bearer %s" % vllm_api_key())
    status, body = curl("https://%s:%d/v1/models" % (host, HTTPS), host=host, extra=auth)
    assert status == 200, body
    model = json.loads(body)["data"][0]["id"]
    status, body = curl("https://%s:%d/v1/chat/completions" % (host, HTTPS), host=host, extra=auth + (
        "-H", "Content-Type: application/json", "-d",
        json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}]})))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["role"] == "assistant"


def open_webui_post(path, form):
    host = "vllm.%s" % DOMAIN
    status, body = curl("https://%s:%d/api/v1/auths/%s" % (host, HTTPS, path), host=host, extra=(
        "-H", "Content-Type: application/json", "-d", json.dumps(form)))
    return status, json.loads(body)


def test_open_webui_has_its_admin_from_the_vault_and_nobody_signs_up():
    # The first visitor after a deploy would be admin if sign-up were open: it is refused.
    status, body = open_webui_post("signup", {"name": "visitor", "email": "visitor@example.test", "password": "x" * 12})
    assert status == 403, body
    admin = {"email": "admin@%s" % DOMAIN, "password": _credential("vllm-rag/WEBUI_ADMIN_PASSWORD")}
    status, body = open_webui_post("signin", admin)
    assert status == 200 and body["role"] == "admin", body
    assert open_webui_post("signin", dict(admin, password="not-" + admin["password"]))[0] == 400


def test_security_headers_on_application_routes():
    host = "auth.%s" % DOMAIN
    proc = helpers.curl("https://%s:%d/health" % (host, HTTPS), "-D", "-", "-o", "/dev/null",
                        ca_cert=FACTS["ca_cert"], pin=(HTTPS,))
    assert proc.returncode == 0, proc.stderr
    headers = proc.stdout.lower()
    assert "strict-transport-security:" in headers
    assert "x-content-type-options: nosniff" in headers


@pytest.mark.parametrize("target", by_kind("http", "development"), ids=lambda t: t["name"])
def test_development_answers_on_loopback(target):
    status, body = curl(target["url"])
    assert status == 200, body
    if target["service"] in DB_SERVICES and target["name"] != "l2p-frontend-dev":
        assert json.loads(body).get("database") == "reachable", body


def test_dev_servers_run_as_the_owner_of_their_source_never_root():
    # npm_dev_server keeps one settings record per running server in npm/<account>/.
    records = glob.glob(os.path.join(os.path.dirname(FACTS["project_root"]), "npm", "*", "*.state.json"))
    # auth, payment and dashboard development, and the vLLM stack's two local servers.
    assert len(records) >= 5, records
    for path in records:
        with open(path) as handle:
            record = json.load(handle)
        with open("/proc/%d/status" % record["pid"]) as handle:
            uids = [int(u) for u in re.search(r"^Uid:\s+(.*)$", handle.read(), re.M).group(1).split()]
        owner = os.stat(record["settings"]["source"]).st_uid
        assert 0 not in uids and set(uids) == {owner}, (path, uids, owner)
        assert os.stat(os.path.dirname(path)).st_uid == owner, path


def _credential(path):
    with open(os.path.join(FACTS["credentials_dir"], path), encoding="utf-8") as handle:
        return handle.read().rstrip("\n")


def production_secrets():
    """{vault path: value} of every secret a production unit reads (the local inventory generates them all)."""
    paths = set(FACTS["production_secret_paths"]) | set(["dashboard/session_secret", "dashboard/password"])
    return dict((path, _credential(path)) for path in sorted(paths))


def test_development_never_sees_a_production_secret():
    secrets = production_secrets()
    assert "auth/JWT_SECRET" in secrets and "payment/PAYMENT_PROVIDER_KEY" in secrets
    seen = {}
    for path in glob.glob(os.path.join(os.path.dirname(FACTS["project_root"]), "npm", "*", "*.state.json")):
        with open(path) as handle:
            record = json.load(handle)
        with open("/proc/%d/environ" % record["pid"], "rb") as handle:
            seen["dev server %s" % os.path.basename(path)] = handle.read().decode("utf-8", "replace").split("\0")
    for cid in helpers.docker("ps", "-q", "--filter", "label=korczewski.platform.environment=development").stdout.split():
        info = inspect(cid)
        seen["dev container %s" % info["Name"].lstrip("/")] = info["Config"]["Env"]
    assert len(seen) >= 5, seen.keys()
    for where, env in seen.items():
        for path, value in secrets.items():
            assert not any(value in item for item in env), "%s holds production's %s" % (where, path)
    # Development has secrets of its own: the auth dev server signs with a JWT_SECRET too.
    auth = [env for where, env in seen.items() if where.startswith("dev server auth-development")]
    assert auth and any(item.startswith("JWT_SECRET=") and len(item) > len("JWT_SECRET=") for item in auth[0])


@pytest.mark.parametrize("unit", [u for u in FACTS["units"] if u["environment"] == "development"],
                         ids=lambda u: u["project"])
def test_development_is_never_behind_traefik(unit):
    for container in project_containers(unit["project"]):
        labels = container["Config"]["Labels"]
        assert not any(key.startswith("traefik.") for key in labels), container["Name"]
        assert FACTS["network"] not in container["NetworkSettings"]["Networks"], container["Name"]
        for bindings in (container["HostConfig"]["PortBindings"] or {}).values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings), container["Name"]
    traefik_networks = inspect("traefik")["NetworkSettings"]["Networks"]
    assert "%s-dev" % FACTS["network"] not in traefik_networks


@pytest.mark.parametrize("unit", FACTS["units"], ids=lambda u: u["project"])
def test_each_unit_runs_once_with_identity_labels(unit):
    containers = project_containers(unit["project"])
    if unit["method"] == "npm":
        assert containers == []
        return
    assert containers, unit["project"]
    for container in containers:
        labels = container["Config"]["Labels"]
        assert labels["korczewski.platform.service"] == unit["service"]
        assert labels["korczewski.platform.environment"] == unit["environment"]
        assert labels["korczewski.platform.layer"] == unit["layer"]
        if "Health" in container["State"]:
            assert container["State"]["Health"]["Status"] == "healthy", container["Name"]
        if unit["environment"] == "production":
            assert not container["HostConfig"]["PortBindings"], container["Name"]
    # One deployment unit per (service, environment): every container of that pair is in this project.
    proc = helpers.docker("ps", "--format", "{{.Label \"com.docker.compose.project\"}}",
                          "--filter", "label=korczewski.platform.service=%s" % unit["service"],
                          "--filter", "label=korczewski.platform.environment=%s" % unit["environment"])
    assert set(proc.stdout.split()) <= {unit["project"]}


@pytest.mark.parametrize("unit", [u for u in FACTS["units"] if u["method"] != "npm"], ids=lambda u: u["project"])
def test_secrets_file_is_private_and_only_where_a_container_reads_it(host, unit):
    project_dir = os.path.join(FACTS["project_root"], unit["project"])
    with open(os.path.join(project_dir, "compose.yml"), encoding="utf-8") as handle:
        services = json.load(handle)["services"].values()
    reads = any("secrets.env" in (service.get("env_file") or []) for service in services)
    # The catalog says which units have secrets; a role may add its own (the dashboard's login).
    if unit["project"] in FACTS["secret_projects"]:
        assert reads
    secrets = host.file(os.path.join(project_dir, "secrets.env"))
    assert secrets.exists == reads
    if reads:
        assert secrets.mode == 0o600


def test_open_webui_is_healthy_only_with_every_peer_wired():
    # The stand-in's /health asks vLLM, qdrant, its database and the embeddings with their credentials.
    host = "vllm.%s" % DOMAIN
    status, body = curl("https://%s:%d/health" % (host, HTTPS), host=host)
    assert status == 200, body
    assert json.loads(body) == {"status": True, "checked": ["database", "embeddings", "qdrant", "vllm"]}


def test_the_api_key_is_in_no_compose_file_or_command_line():
    key = vllm_api_key()
    project_dir = os.path.join(FACTS["project_root"], "vllm-rag-production")
    for name in os.listdir(project_dir):
        # secrets.env and secrets/ hold secrets; no other file may.
        if name not in ("secrets.env", "secrets") and os.path.isfile(os.path.join(project_dir, name)):
            with open(os.path.join(project_dir, name), encoding="utf-8", errors="replace") as handle:
                assert key not in handle.read(), name
    config = inspect("vllm-rag")["Config"]
    assert key not in json.dumps(config.get("Cmd")) and key not in json.dumps(config.get("Entrypoint"))


@pytest.mark.parametrize("name, port", [("qdrant-rag", 6333), ("infinity-embeddings", 7997), ("postgres-rag", 5432)])
def test_stack_internals_are_unreachable_from_the_host_and_the_shared_network(name, port):
    container = inspect(name)
    # No host port: nothing of it listens on the host.
    assert not container["HostConfig"]["PortBindings"], container["HostConfig"]["PortBindings"]
    assert not any(container["NetworkSettings"]["Ports"].get(key) for key in container["NetworkSettings"]["Ports"] or {})
    # Only on the stack's own network: neither Traefik nor any other unit reaches it.
    assert list(container["NetworkSettings"]["Networks"]) == [FACTS["vllm_internal_network"]]
    assert not any(key.startswith("traefik.") for key in container["Config"]["Labels"])
    # From the shared network (where Traefik and every application live) its name does not even connect.
    probe = helpers.docker("run", "--rm", "--network", FACTS["network"], "local/debian:bookworm", "bash", "-c",
                           "timeout 5 bash -c 'exec 3<>/dev/tcp/%s/%d'" % (name, port), check=False, timeout=60)
    assert probe.returncode != 0, probe.stdout
    # While on the stack's network it does, so the probe above can fail for the right reason only.
    probe = helpers.docker("run", "--rm", "--network", FACTS["vllm_internal_network"], "local/debian:bookworm", "bash", "-c",
                           "timeout 5 bash -c 'exec 3<>/dev/tcp/%s/%d'" % (name, port), check=False, timeout=60)
    assert probe.returncode == 0, probe.stderr
