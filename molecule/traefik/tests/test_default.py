# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Traefik as deployed by korczewski.platform.traefik, judged from outside with curl, openssl,
testssl.sh and docker.

Names under *.localhost do not resolve in Python here, and the checks must not depend on
/etc/hosts: every request goes to 127.0.0.1 with the real host name as Host header and TLS SNI
(curl --resolve, openssl -servername, testssl.sh --ip).
"""

from __future__ import annotations

import json
import os
import shlex
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
import helpers  # noqa: E402  pylint: disable=wrong-import-position
import socket_proxy  # noqa: E402  pylint: disable=wrong-import-position
from helpers import inspect, wait_for  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["all"]


@pytest.fixture(scope="module")
def facts():
    return helpers.facts("traefik-facts.json")


@pytest.fixture(scope="module")
def password(host, facts):
    return host.file(facts["dashboard_password_file"]).content_string.strip()


def curl(facts, url, *args, ca=True):
    """curl against 127.0.0.1 for url's host on both entry points; returns the CompletedProcess."""
    return helpers.curl(url, *args, ca_cert=facts["ca_cert"] if ca else None,
                        pin=(facts["https_port"], facts["http_port"]))


def https(facts, name, path="/"):
    return "https://%s:%s%s" % (name, facts["https_port"], path)


def status(facts, url, *args):
    return helpers.http_status(url, *args, ca_cert=facts["ca_cert"], pin=(facts["https_port"], facts["http_port"]))


@pytest.fixture(scope="module")
def routed(facts):
    """Traefik picks Docker labels up by events; give it a bounded moment after converge."""
    url = https(facts, facts["probe_host"], "/health")
    assert wait_for(lambda: status(facts, url) == 200), "the labelled backend is not routed"
    return url


# ------------------------------------------------------------------ the container


def test_traefik_runs_healthy_with_identity_labels():
    data = inspect("traefik")
    assert data["State"]["Running"]
    assert data["State"]["Health"]["Status"] == "healthy"
    labels = data["Config"]["Labels"]
    assert labels["korczewski.platform.service"] == "traefik"
    assert labels["korczewski.platform.environment"] == "production"
    assert labels["korczewski.platform.layer"] == "infrastructure"
    assert labels["com.docker.compose.project"] == "traefik-production"
    assert "platform" in data["NetworkSettings"]["Networks"]


def test_only_the_entry_points_are_published(facts):
    ports = inspect("traefik")["NetworkSettings"]["Ports"]
    published = {key: [(b["HostIp"], b["HostPort"]) for b in value] for key, value in ports.items() if value}
    assert published == {
        "%s/tcp" % facts["http_port"]: [("127.0.0.1", str(facts["http_port"]))],
        "%s/tcp" % facts["https_port"]: [("127.0.0.1", str(facts["https_port"]))],
    }


# ------------------------------------------------------------------ Docker access through the proxy

PROXY = "traefik-docker-proxy"
PROXY_ADDRESS = "%s:2375" % PROXY
VICTIM = "molecule-traefik-proxy-victim"


@pytest.fixture(scope="module")
def victim():
    """A throwaway container for the verbs the proxy must refuse (kill, exec, ...): if one got
    through, nothing of the scenario is hit."""
    helpers.docker("rm", "-f", VICTIM, check=False)
    helpers.docker("run", "-d", "--name", VICTIM, "--network", "none", "local/debian:bookworm", "sleep", "infinity")
    yield VICTIM
    helpers.docker("rm", "-f", VICTIM, check=False)


def test_traefik_has_no_docker_socket():
    mounts = inspect("traefik")["Mounts"]
    assert not any("docker.sock" in (m.get("Source") or "") + (m.get("Destination") or "") for m in mounts), mounts


def test_the_proxy_alone_mounts_the_socket_read_only_on_an_internal_network():
    proxy = inspect(PROXY)
    assert proxy["State"]["Running"]
    assert proxy["Config"]["Labels"]["com.docker.compose.project"] == "traefik-production"
    assert proxy["Config"]["Labels"]["korczewski.platform.service"] == "traefik"
    sockets = [m for m in proxy["Mounts"] if m.get("Source") == "/var/run/docker.sock"]
    assert len(sockets) == 1 and sockets[0]["RW"] is False, proxy["Mounts"]
    assert proxy["NetworkSettings"]["Ports"] in ({}, None) or not any(proxy["NetworkSettings"]["Ports"].values())
    networks = list(proxy["NetworkSettings"]["Networks"])
    assert networks == ["traefik-production_docker-proxy"], networks
    network = json.loads(helpers.docker("network", "inspect", networks[0]).stdout)[0]
    assert network["Internal"] is True
    members = sorted(c["Name"] for c in network["Containers"].values())
    assert members == sorted(["traefik", PROXY]), members
    assert "traefik-production_docker-proxy" in inspect("traefik")["NetworkSettings"]["Networks"]


def test_traefik_reads_the_engine_through_the_proxy(host, facts):
    config = host.file(os.path.join(facts["project_dir"], "config", "traefik.yml")).content_string
    assert "endpoint: tcp://%s:2375" % PROXY in config
    assert "unix://" not in config


def test_the_proxy_allows_what_traefik_reads():
    traefik_id = inspect("traefik")["Id"]
    for method, path in (("GET", "/_ping"), ("HEAD", "/_ping"), ("GET", "/version"), ("GET", "/v1.41/version"),
                         ("GET", "/v1.41/containers/json?all=1"), ("GET", "/v1.41/containers/%s/json" % traefik_id),
                         ("GET", "/v1.41/containers/traefik/json"), ("GET", "/v1.41/events?since=0&until=1")):
        assert socket_proxy.request("traefik", PROXY_ADDRESS, method, path) == 200, (method, path)


def test_the_proxy_refuses_everything_else(victim):
    assert socket_proxy.forbidden("traefik", PROXY_ADDRESS, victim) == []
    # Reads of a swarm and the container verbs Traefik never calls.
    cid = inspect(victim)["Id"]
    for method, path in (("GET", "/v1.41/networks"), ("GET", "/v1.41/services"), ("GET", "/v1.41/tasks"),
                         ("GET", "/v1.41/nodes"), ("POST", "/v1.41/containers/%s/stop" % cid),
                         ("POST", "/v1.41/containers/%s/restart" % cid), ("POST", "/v1.41/containers/%s/start" % cid),
                         ("PUT", "/v1.41/containers/%s/archive?path=/tmp" % cid)):
        assert socket_proxy.request("traefik", PROXY_ADDRESS, method, path) == 403, (method, path)
    assert socket_proxy.state_of(victim) == "running"


def test_static_configuration(host, facts):
    config = host.file(os.path.join(facts["project_dir"], "config", "traefik.yml")).content_string
    for line in ("checkNewVersion: false", "sendAnonymousUsage: false", "insecure: false",
                 "exposedByDefault: false", "network: platform", "directory: /etc/traefik/dynamic"):
        assert line in config


def test_compose_project_passes_docker_compose_config(host, facts):
    result = host.run("docker compose --file %s config --quiet",
                      os.path.join(facts["project_dir"], "compose.yml"))
    assert result.rc == 0, result.stderr


def test_secret_files_are_private(host, facts):
    for path in (facts["ca_key"],
                 os.path.join(facts["project_dir"], "certs", "local.key"),
                 os.path.join(facts["project_dir"], "config", "dynamic", "dashboard.yml"),
                 facts["dashboard_password_file"]):
        assert host.file(path).mode == 0o600, path


# ------------------------------------------------------------------ TLS from the local CA


def test_wildcard_certificate_is_signed_by_the_local_ca(host, facts):
    cert = os.path.join(facts["project_dir"], "certs", "local.crt")
    result = host.run("openssl verify -CAfile %s %s", facts["ca_cert"], cert)
    assert result.rc == 0, result.stdout + result.stderr
    san = host.check_output("openssl x509 -in %s -noout -ext subjectAltName", cert)
    assert "DNS:*.%s" % facts["domain"] in san
    assert "DNS:%s," % facts["domain"] in san + ","


def test_backend_over_https_with_the_local_ca_verified(facts, routed):
    result = curl(facts, routed)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "ok"
    assert body["service"] == "probe"


def test_backend_root_and_api_paths(facts, routed):
    result = curl(facts, https(facts, facts["probe_host"], "/"))
    assert result.returncode == 0 and '<h1 id="service">probe</h1>' in result.stdout
    result = curl(facts, https(facts, facts["probe_host"], "/api/items"))
    assert result.returncode == 0 and json.loads(result.stdout)["path"] == "/api/items"


def test_certificate_is_not_trusted_without_the_local_ca(facts, routed):
    # Exit code 60: peer certificate cannot be authenticated with known CA certificates.
    assert curl(facts, routed, ca=False).returncode == 60


def test_http_redirects_permanently_to_the_https_port(facts, routed):
    url = "http://%s:%s/some/path?x=1" % (facts["probe_host"], facts["http_port"])
    result = curl(facts, url, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert result.returncode == 0, result.stderr
    code, location = result.stdout.split(" ", 1)
    assert code in ("301", "308")
    assert location == "https://%s:%s/some/path?x=1" % (facts["probe_host"], facts["https_port"])


def test_security_headers_on_the_backend(facts, routed):
    result = curl(facts, routed, "-o", "/dev/null", "-D", "-")
    assert result.returncode == 0, result.stderr
    headers = {}
    for line in result.stdout.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-xss-protection"] == "1; mode=block"
    assert "server" not in headers


def s_client(host, facts, *args):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%s" % facts["https_port"],
           "-servername", facts["probe_host"]] + list(args)
    return host.run(" ".join(shlex.quote(a) for a in cmd) + " </dev/null")


def test_tls_1_1_is_refused_by_the_server(host, facts, routed):
    # SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so the refusal is Traefik's.
    result = s_client(host, facts, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert result.rc != 0
    assert "alert protocol version" in result.stderr, result.stderr


def test_tls_1_2_and_1_3_are_accepted_and_verified(host, facts, routed):
    for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        result = s_client(host, facts, flag, "-CAfile", facts["ca_cert"], "-verify_return_error")
        assert result.rc == 0, result.stderr
        assert "Protocol  : %s" % name in result.stdout or "New, %s" % name in result.stdout
        assert "Verify return code: 0 (ok)" in result.stdout


def test_no_handshake_without_sni(host, facts, routed):
    result = host.run("openssl s_client -connect 127.0.0.1:%s -noservername </dev/null", str(facts["https_port"]))
    assert result.rc != 0


def test_testssl_protocols_and_ciphers(host, facts, routed):
    """testssl.sh (Debian package) judges protocols and cipher categories."""
    report = "/tmp/molecule-traefik-testssl.json"
    host.run("rm -f %s", report)
    # Debian installs it as testssl; upstream calls it testssl.sh.
    tool = "testssl" if host.exists("testssl") else "testssl.sh"
    result = host.run(
        tool + " --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 --protocols --std "
        "--jsonfile %s %s", report, "https://%s:%s" % (facts["probe_host"], facts["https_port"]))
    assert host.file(report).exists, result.stdout + result.stderr
    findings = {f["id"]: f["finding"] for f in json.loads(host.file(report).content_string)}
    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert findings[proto].startswith("not offered"), (proto, findings[proto])
    assert findings["TLS1_2"].startswith("offered"), findings["TLS1_2"]
    assert findings["TLS1_3"].startswith("offered"), findings["TLS1_3"]
    assert findings["cipherlist_STRONG"] == "offered"
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                 "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
        assert findings[weak] == "not offered", (weak, findings[weak])


# ------------------------------------------------------------------ dashboard


def test_dashboard_needs_credentials(facts, password, routed):
    url = https(facts, facts["dashboard_host"], "/dashboard/")
    assert status(facts, url) == 401
    assert status(facts, url, "-u", "%s:wrong-password" % facts["dashboard_user"]) == 401
    assert status(facts, url, "-u", "%s:%s" % (facts["dashboard_user"], password)) == 200
    assert status(facts, https(facts, facts["dashboard_host"], "/api/version")) == 401


def test_catalog_router_uses_the_exported_options(facts, password, routed):
    result = curl(facts, https(facts, facts["dashboard_host"], "/api/http/routers"),
                  "-u", "%s:%s" % (facts["dashboard_user"], password))
    assert result.returncode == 0, result.stderr
    routers = {r["name"]: r for r in json.loads(result.stdout)}
    probe = routers["probe-%s@docker" % facts["probe_container"]]
    assert probe["entryPoints"] == [facts["router_options"]["entrypoint"]]
    assert probe["middlewares"] == facts["router_options"]["middlewares"]
    assert probe["rule"] == "Host(`%s`)" % facts["probe_host"]
    assert probe["status"] == "enabled"
    dashboard = routers["traefik-dashboard@file"]
    assert dashboard["service"] == "api@internal"
    assert "traefik-dashboard-auth@file" in dashboard["middlewares"]


def test_dynamic_configuration_reloads_without_restart(host, facts, routed):
    """A file dropped into the file provider's directory routes within seconds; no restart."""
    started = inspect("traefik")["State"]["StartedAt"]
    name = "hot.%s" % facts["domain"]
    path = os.path.join(facts["project_dir"], "config", "dynamic", "molecule-hot.yml")
    config = {"http": {
        "routers": {"molecule-hot": {"rule": "Host(`%s`)" % name, "entryPoints": ["websecure"],
                                     "service": "molecule-hot", "tls": {}}},
        "services": {"molecule-hot": {"loadBalancer": {"servers": [
            {"url": "http://%s:8080" % facts["probe_container"]}]}}}}}
    try:
        host.run("printf '%%s' %s > %s", json.dumps(config), path)
        assert wait_for(lambda: status(facts, https(facts, name, "/health")) == 200, timeout=20)
    finally:
        host.run("rm -f %s", path)
    assert wait_for(lambda: status(facts, https(facts, name, "/health")) == 404, timeout=20)
    assert inspect("traefik")["State"]["StartedAt"] == started
