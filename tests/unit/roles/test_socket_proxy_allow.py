# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The socket proxies' allow lists (roles/traefik and roles/dashboard vars) judged as the proxy
image applies them (tests/images/docker-socket-proxy: the entry's regular expression must match
the whole url-decoded path after an optional /vX.Y; GET also allows HEAD). The real haproxy
answers the same requests in the Molecule scenarios."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
CID = "0123456789abcdef" * 4


def _vars(role):
    with open(os.path.join(REPO, "roles", role, "vars", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _expand(entries, values):
    # The lists name their id pattern through one Jinja variable; nothing else is templated.
    out = []
    for entry in entries:
        for name, value in values.items():
            entry = entry.replace("{{ %s }}" % name, value)
        assert "{{" not in entry, entry
        out.append(entry)
    return out


def allow_list(role, key):
    data = _vars(role)
    ids = dict((k, v) for k, v in data.items() if k.endswith("_proxy_id"))
    return _expand(data[key], ids)


def allowed(entries, method, url):
    path = unquote(urlsplit(url).path)
    for entry in entries:
        methods, dummy, regex = entry.partition(":")
        methods = methods.split(",")
        if "GET" in methods:
            methods.append("HEAD")
        if method in methods and re.search(r"^(/v[0-9.]+)?(%s)$" % regex, path):
            return True
    return False


FORBIDDEN_EVERYWHERE = [
    ("GET", "/v1.41/containers/%s/logs?stdout=1" % CID),
    ("GET", "/v1.41/containers/%s/archive?path=/etc" % CID),
    ("HEAD", "/v1.41/containers/%s/archive?path=/etc" % CID),
    ("PUT", "/v1.41/containers/%s/archive?path=/tmp" % CID),
    ("GET", "/v1.41/containers/%s/export" % CID),
    ("GET", "/v1.41/containers/%s/top" % CID),
    ("GET", "/v1.41/containers/%s/changes" % CID),
    ("GET", "/v1.41/containers/%s/stats" % CID),
    ("GET", "/v1.41/images/json"),
    ("GET", "/v1.41/info"),
    ("GET", "/v1.41/volumes"),
    ("GET", "/v1.41/secrets"),
    ("GET", "/v1.41/configs"),
    ("GET", "/v1.41/system/df"),
    ("POST", "/v1.41/containers/%s/kill" % CID),
    ("POST", "/v1.41/containers/%s/exec" % CID),
    ("POST", "/v1.41/exec/abc/start"),
    ("POST", "/v1.41/containers/%s/pause" % CID),
    ("POST", "/v1.41/containers/%s/update" % CID),
    ("POST", "/v1.41/containers/%s/attach" % CID),
    ("POST", "/v1.41/containers/create?name=x"),
    ("POST", "/v1.41/images/create?fromImage=x"),
    ("POST", "/v1.41/build"),
    ("DELETE", "/v1.41/containers/%s?force=1" % CID),
    ("POST", "/v1.41/containers/%s/json" % CID),
    ("GET", "/v1.41/containers/%s/json/../../../info" % CID),
    ("GET", "/v1.41/containers/x%%2Fjson%%2F..%%2F..%%2Finfo/json"),
    ("GET", "/v1.41/../info"),
    ("GET", "/v1.41/containers/json/../../images/json"),
    ("GET", "/v1.41/containers/../info/json"),
    ("GET", "/containers/json/x"),
    ("GET", "/v1.41/eventsx"),
]


@pytest.mark.parametrize("method, url", FORBIDDEN_EVERYWHERE)
@pytest.mark.parametrize("role, key", [("traefik", "__traefik_docker_proxy_allow_docker"),
                                       ("traefik", "__traefik_docker_proxy_allow_swarm"),
                                       ("dashboard", "__dashboard_proxy_allow")])
def test_no_list_opens_logs_files_images_exec_or_kill(role, key, method, url):
    assert not allowed(allow_list(role, key), method, url)


def test_traefik_docker_list_is_what_its_provider_reads():
    entries = allow_list("traefik", "__traefik_docker_proxy_allow_docker")
    for method, url in (("HEAD", "/_ping"), ("GET", "/_ping"), ("GET", "/version"), ("GET", "/v1.51/version"),
                        ("GET", "/v1.41/containers/json?all=1"), ("GET", "/v1.41/containers/%s/json" % CID),
                        ("GET", "/v1.41/containers/traefik/json"), ("GET", "/v1.41/events?filters=x")):
        assert allowed(entries, method, url), (method, url)
    for method, url in (("POST", "/v1.41/containers/%s/stop" % CID), ("POST", "/v1.41/containers/%s/start" % CID),
                        ("GET", "/v1.41/networks"), ("GET", "/v1.41/services"), ("GET", "/v1.41/tasks")):
        assert not allowed(entries, method, url), (method, url)
    assert all(entry.startswith("GET:") for entry in entries)


def test_traefik_swarm_list_is_what_its_swarm_provider_reads():
    entries = allow_list("traefik", "__traefik_docker_proxy_allow_swarm")
    for url in ("/_ping", "/v1.41/version", "/v1.41/services", "/v1.41/networks?filters=x", "/v1.41/tasks",
                "/v1.41/nodes/abc123"):
        assert allowed(entries, "GET", url), url
    for method, url in (("GET", "/v1.41/containers/json"), ("GET", "/v1.41/events"), ("POST", "/v1.41/services/create"),
                        ("POST", "/v1.41/services/x/update"), ("GET", "/v1.41/nodes")):
        assert not allowed(entries, method, url), (method, url)
    assert all(entry.startswith("GET:") for entry in entries)


def test_dashboard_list_is_what_the_dashboard_calls():
    entries = allow_list("dashboard", "__dashboard_proxy_allow")
    for method, url in (("GET", "/version"), ("GET", "/v1.41/version"), ("GET", "/v1.41/containers/json?all=1"),
                        ("GET", "/v1.41/containers/%s/json" % CID), ("GET", "/v1.41/events?filters=x"),
                        ("POST", "/v1.41/containers/%s/start" % CID), ("POST", "/v1.41/containers/%s/stop?t=10" % CID),
                        ("POST", "/v1.41/containers/%s/restart?t=10" % CID)):
        assert allowed(entries, method, url), (method, url)
    for method, url in (("GET", "/_ping"), ("GET", "/v1.41/networks"), ("POST", "/v1.41/containers/%s/unpause" % CID),
                        ("POST", "/v1.41/containers/%s/restartx" % CID), ("POST", "/v1.41/containers/%s/rename" % CID),
                        ("GET", "/v1.41/containers/%s/start" % CID)):
        assert not allowed(entries, method, url), (method, url)


def test_the_dashboard_calls_only_listed_paths():
    """Every path the dashboard's Docker clients build is on the list (a new call needs a new entry)."""
    sources = {
        "plugins/module_utils/docker/api.py": None,
        "dashboard/src/korczewski_dashboard/docker.py": None,
    }
    for path in sources:
        with open(os.path.join(REPO, path), encoding="utf-8") as handle:
            sources[path] = handle.read()
    # "/v" is the API version prefix, not a call.
    async_paths = set(re.findall(r'"(/[a-z_/%]+)"', sources["dashboard/src/korczewski_dashboard/docker.py"])) - {"/v"}
    assert async_paths == {"/containers/%s/start", "/containers/%s/stop", "/containers/%s/restart", "/events"}
    entries = allow_list("dashboard", "__dashboard_proxy_allow")
    for template in sorted(async_paths):
        method = "GET" if template == "/events" else "POST"
        assert allowed(entries, method, "/v1.41" + template.replace("%s", CID)), template
    # Discovery's calls (DockerAPI.version, containers, inspect) on the dashboard's address.
    for template in ("/version", "/containers/json", "/containers/%s/json"):
        assert '"%s"' % template in sources["plugins/module_utils/docker/api.py"], template
        assert allowed(entries, "GET", "/v1.41" + template.replace("%s", CID)), template
