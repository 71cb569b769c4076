# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deployed local platform as an attacker in one ordinary app container sees it.

Runs in the app_service Molecule scenario's verify step (its molecule.yml names this directory),
against the whole platform that scenario deployed from inventory/local. Every try runs inside
``auth-service`` (production, on the shared network, as every application is) or ``l2p-backend-dev``
(a development container) through probe.py; each door is asserted closed together with a
neighbour that must stay open, so a probe that cannot reach anything fails instead of passing.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "molecule", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position

FACTS = helpers.facts("platform-facts.json")
DOMAIN = FACTS["domain"]
ATTACKER = "auth-service"
DEV_ATTACKER = "l2p-backend-dev"
CLOSED = ("unresolvable", "refused", "timeout", "unreachable")
# The socket proxies are the only containers that may hold the Docker socket.
SOCKET_HOLDERS = {"traefik-docker-proxy", "vllm-dashboard-socket-proxy"}

with open(os.path.join(HERE, "probe.py"), encoding="utf-8") as _handle:
    PROBE = _handle.read()


def tries(container, *specs):
    """What each try answered inside the container, in order."""
    result = helpers.docker("exec", "-i", container, "python3", "-", json.dumps(list(specs)), check=False,
                            timeout=120, input_text=PROBE)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(answers) == len(specs), result.stdout
    return answers


def one(container, spec):
    return tries(container, spec)[0]


def secret(path):
    with open(os.path.join(FACTS["credentials_dir"], *path.split("/")), encoding="utf-8") as handle:
        return handle.read().strip()


def traefik_port():
    """The port Traefik's HTTPS entry point listens on inside its network (published to FACTS' port)."""
    bindings = helpers.inspect("traefik")["HostConfig"]["PortBindings"]
    for container_port, binds in bindings.items():
        if any(str(b["HostPort"]) == str(FACTS["https_port"]) for b in binds or []):
            return int(container_port.split("/")[0])
    raise AssertionError("no binding of port %s on traefik: %s" % (FACTS["https_port"], bindings))


def through_traefik(host, path, **spec):
    """A request to Traefik by its container name, for the given virtual host."""
    url = "https://%s.%s:%d%s" % (host, DOMAIN, traefik_port(), path)
    return dict(spec, kind="http", url=url, host_ip="traefik")


def tcp(host, port):
    return {"kind": "tcp", "host": host, "port": port}


# ------------------------------------------------------------------ the Docker engine


def test_no_container_but_the_socket_proxies_mounts_the_docker_socket():
    ids = helpers.docker("ps", "-q").stdout.split()
    holders = set()
    for cid in ids:
        container = helpers.inspect(cid)
        if any(m.get("Source", "").endswith("docker.sock") for m in container["Mounts"]):
            holders.add(container["Name"].lstrip("/"))
    assert holders == SOCKET_HOLDERS
    assert one(ATTACKER, {"kind": "path", "path": "/var/run/docker.sock"})["outcome"] == "absent"


@pytest.mark.parametrize("proxy", sorted(SOCKET_HOLDERS))
def test_an_app_container_does_not_reach_a_socket_proxy(proxy):
    assert one(ATTACKER, tcp(proxy, 2375))["outcome"] == "unresolvable"


def mounted_secrets():
    """[(container, path, value)] of every file a running container mounts as a compose secret,
    found from its compose labels (working directory, configuration files, service)."""
    found = []
    for cid in helpers.docker("ps", "-q").stdout.split():
        container = helpers.inspect(cid)
        labels = container["Config"]["Labels"] or {}
        workdir = labels.get("com.docker.compose.project.working_dir")
        for config in filter(None, (labels.get("com.docker.compose.project.config_files") or "").split(",")):
            with open(config, encoding="utf-8") as handle:
                definition = yaml.safe_load(handle)
            service = definition["services"].get(labels.get("com.docker.compose.service")) or {}
            for entry in service.get("secrets") or []:
                source = entry if isinstance(entry, str) else entry["source"]
                path = os.path.normpath(os.path.join(workdir, definition["secrets"][source]["file"]))
                with open(path, encoding="utf-8") as handle:
                    found.append((container, path, handle.read().strip()))
    return found


def test_a_secret_a_container_reads_from_a_file_is_not_in_its_environment():
    # What the proxies' /containers/<id>/json (and docker inspect) show of a container is its
    # configuration, not the files it mounts. (A client's DATABASE_URL still embeds the password of
    # the database it logs in to: those images read only their environment; README.)
    found = mounted_secrets()
    names = set(c["Name"].lstrip("/") for c, dummy, dummy in found)
    assert {"shared-postgres", "postgres-dev", "postgres-rag", "open-webui-rag", "vllm-dashboard"} <= names, sorted(names)
    for container, path, value in found:
        assert os.stat(path).st_mode & 0o077 == 0, path
        assert value and value not in json.dumps(container["Config"]), (container["Name"], path)


# ------------------------------------------------------------------ networks


@pytest.mark.parametrize("name, port", [
    ("vllm-dashboard", 4242),                       # the dashboard, past Traefik and its limiter
    ("vllm-rag", 8000),                              # vLLM: /tokenize, /pooling, ... need no key
    ("open-webui-rag", 8080), ("qdrant-rag", 6333), ("infinity-embeddings", 7997), ("postgres-rag", 5432),
    ("l2p-app", 3000),                               # routed, no database: on its edge network
    ("postgres-dev", 5432), ("l2p-backend-dev", 3001),  # development is another network
])
def test_what_has_no_business_on_the_shared_network_is_not_on_it(name, port):
    answer, control = tries(ATTACKER, tcp(name, port), tcp("shared-postgres", 5432))
    assert answer["outcome"] == "unresolvable", answer
    assert control["outcome"] == "connected", control


def test_vllm_side_doors_are_not_reachable_by_name_or_through_traefik():
    body = {"prompt": "secret question"}
    direct, routed = tries(ATTACKER, {"kind": "http", "url": "http://vllm-rag:8000/tokenize", "method": "POST",
                                      "body": body},
                           through_traefik("vllm", "/tokenize", method="POST", body=body))
    assert direct["outcome"] == "unresolvable", direct
    # Traefik sends only /v1 to vLLM; /tokenize is Open WebUI's, which answers no token list.
    assert routed["outcome"] == "status" and '"tokens"' not in routed["body"], routed
    # vLLM itself answers it to whoever reaches it: what the network keeps out.
    inside = one("open-webui-rag", {"kind": "http", "url": "http://vllm-rag:8000/tokenize", "method": "POST",
                                    "body": {"prompt": "secret question"}})
    assert inside["outcome"] == "status" and inside["status"] == 200 and '"tokens"' in inside["body"], inside


def test_development_does_not_reach_production():
    answers = tries(DEV_ATTACKER, tcp("shared-postgres", 5432), tcp("auth-service", 5500), tcp("traefik", traefik_port()),
                    tcp("postgres-dev", 5432))
    assert [a["outcome"] for a in answers] == ["unresolvable", "unresolvable", "unresolvable", "connected"], answers


def published_on_loopback():
    """(container, host port) of every port the engine publishes on 127.0.0.1 only."""
    found = []
    for cid in helpers.docker("ps", "-q").stdout.split():
        container = helpers.inspect(cid)
        for binds in (container["HostConfig"]["PortBindings"] or {}).values():
            for bind in binds or []:
                if bind.get("HostIp") == "127.0.0.1":
                    found.append((container["Name"].lstrip("/"), int(bind["HostPort"])))
    return sorted(found)


def test_dev_servers_and_loopback_ports_are_not_reachable_through_the_hosts_bridge_address():
    gateway = json.loads(helpers.docker("network", "inspect", FACTS["network"]).stdout)[0]["IPAM"]["Config"][0]["Gateway"]
    dev_ports = sorted({int(t["url"].rsplit(":", 1)[1].split("/")[0]) for t in FACTS["targets"]
                        if t["environment"] == "development" and t["kind"] == "http" and "container" not in t})
    published = published_on_loopback()
    assert dev_ports and published
    ports = sorted(set(dev_ports) | {port for dummy, port in published})
    answers = tries(ATTACKER, *[tcp(gateway, port) for port in ports])
    opened = [(port, a) for port, a in zip(ports, answers) if a["outcome"] not in CLOSED]
    assert not opened, opened


# ------------------------------------------------------------------ the database server


def test_the_superuser_cannot_log_in_over_the_shared_network():
    password = secret("shared-postgres/postgres")
    superuser, own = tries(
        ATTACKER,
        {"kind": "pg", "host": "shared-postgres", "user": "postgres", "password": password, "dbname": "postgres"},
        {"kind": "pg", "host": "shared-postgres", "user": "auth_user", "password": secret("shared-postgres/auth_db"),
         "dbname": "auth_db"})
    assert superuser["outcome"] == "denied" and "pg_hba.conf" in superuser["message"], superuser
    assert own["outcome"] == "login", own


def test_an_application_login_reaches_its_own_database_only():
    password = secret("shared-postgres/auth_db")
    answers = tries(ATTACKER, *[{"kind": "pg", "host": "shared-postgres", "user": "auth_user", "password": password,
                                 "dbname": db} for db in ("l2p_db", "payment_db", "videovault_db", "postgres")])
    assert all(a["outcome"] == "denied" for a in answers), answers


# ------------------------------------------------------------------ what Traefik routes


def test_traefik_has_no_api_on_the_shared_network():
    answers = tries(ATTACKER, tcp("traefik", 8080), tcp("traefik", traefik_port()))
    assert [a["outcome"] for a in answers] == ["refused", "connected"], answers


def test_open_webui_lets_nobody_sign_up():
    signup, signin = tries(
        ATTACKER,
        through_traefik("vllm", "/api/v1/auths/signup", method="POST",
                        body={"name": "intruder", "email": "intruder@example.invalid", "password": "intruder"}),
        through_traefik("vllm", "/api/v1/auths/signin", method="POST",
                        body={"email": "admin@%s" % DOMAIN, "password": secret("vllm-rag/WEBUI_ADMIN_PASSWORD")}))
    assert signup["outcome"] == "status" and signup["status"] == 403, signup
    assert signin["outcome"] == "status" and signin["status"] == 200, signin


def test_the_dashboard_answers_anonymous_callers_with_a_login_only():
    health, status = tries(ATTACKER, through_traefik("dashboard", "/health"), through_traefik("dashboard", "/api/status"))
    assert health["outcome"] == "status" and set(json.loads(health["body"])) == {"status"}, health
    assert status["outcome"] == "status" and status["status"] == 401, status


def test_a_forged_x_forwarded_for_does_not_escape_the_login_limit():
    # Each guess claims another client address; Traefik does not pass a container's claim on, so
    # the dashboard counts them all against the attacker's own address and locks it out.
    guesses = [through_traefik("dashboard", "/login", method="POST",
                               headers={"X-Forwarded-For": "198.51.100.%d" % n, "X-Real-Ip": "198.51.100.%d" % n,
                                        "Content-Type": "application/x-www-form-urlencoded"},
                               body="username=admin&password=guess-%d" % n) for n in range(1, 8)]
    answers = tries(ATTACKER, *guesses)
    statuses = [a.get("status") for a in answers]
    # Five wrong guesses at most (fewer when an earlier run of this test locked the address already).
    assert set(statuses) <= {401, 429} and statuses.count(401) <= 5 and statuses[-1] == 429, statuses
    assert statuses == sorted(statuses), statuses
