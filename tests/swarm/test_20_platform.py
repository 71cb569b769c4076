# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The platform's production on a three-node swarm: site.yml from nothing, placement, every route
through Traefik over verified HTTPS, an idempotent second run, a paused worker, a stray service.

The tests share one deployment and run in file order; the figures (time to converge from nothing,
idempotent re-run, recovery after a node pause) go to tests/output/swarm-figures.txt.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import time

from urllib.parse import urlsplit

import pytest

CA_CERT = os.path.join(os.environ.get("PLATFORM_STATE_DIR") or "/var/lib/korczewski-platform/state", "local-ca", "ca.crt")
# Deployed by its own role, which builds the image on the host it runs on: not on a swarm.
NOT_ON_SWARM = ("dashboard",)
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(output):
    return dict((m.group(1), {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                              "failed": int(m.group(5))}) for m in RECAP.finditer(output))


def https_status(address, host, path, cafile, timeout=5):
    """The HTTP status of GET https://host/path sent to address:443, the certificate verified for host
    against cafile (None: against no CA at all)."""
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with socket.create_connection((address, 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode("ascii"))
            head = b""
            while b"\r\n" not in head:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                head += chunk
    return int(head.split(b" ", 2)[1])


def service_nodes(nodes, name):
    """{task name: node} of the tasks of a swarm service that should run."""
    out = nodes.docker(nodes.manager, "service", "ps", "--filter", "desired-state=running",
                       "--format", "{{.Name}} {{.Node}} {{.CurrentState}}", name).stdout
    return dict((line.split()[0], line.split()[1]) for line in out.splitlines() if line.strip() and " Running " in line + " ")


def platform_services(nodes):
    """[(swarm service name, identity service, mounts a volume or bind)] of every deployed stack."""
    out = nodes.docker(nodes.manager, "service", "ls", "--filter", "label=korczewski.platform.service",
                       "--format", "{{.Name}}").stdout.split()
    found = []
    for name in out:
        spec = json.loads(nodes.docker(nodes.manager, "service", "inspect", name).stdout)[0]["Spec"]
        mounts = spec["TaskTemplate"]["ContainerSpec"].get("Mounts") or []
        found.append((name, spec["Labels"].get("korczewski.platform.service"), bool(mounts)))
    return found


@pytest.fixture(scope="module")
def deployed(swarm_nodes, tmp_path_factory):
    start = time.time()
    rc, site_output = swarm_nodes.run_playbook("site.yml")
    swarm_nodes.figure("site.yml, platform from nothing", time.time() - start)
    assert rc == 0, site_output[-6000:]
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    with open(ca, "w", encoding="utf-8") as handle:
        handle.write(subprocess.run(["docker", "exec", swarm_nodes.manager, "cat", CA_CERT], capture_output=True,
                                    text=True, check=True).stdout)
    targets = tmp_path_factory.mktemp("targets") / "targets.json"
    rc, output = swarm_nodes.run_playbook("tests/swarm/https_targets.yml", "-e", "swarm_targets_file=%s" % targets)
    assert rc == 0, output[-3000:]
    with open(targets, encoding="utf-8") as handle:
        routes = [dict(t, path=urlsplit(t["url"]).path) for t in json.load(handle) if t["service"] not in NOT_ON_SWARM]
    assert routes, "the catalog routes nothing in production"
    return {"output": site_output, "ca": str(ca), "routes": routes}


def unanswered(nodes, deployed):
    failing = []
    for route in deployed["routes"]:
        try:
            status = https_status(nodes.ips[nodes.manager], route["host"], route["path"], deployed["ca"])
        except (OSError, ssl.SSLError, IndexError, ValueError) as exc:
            status = str(exc)
        if status != 200:
            failing.append("%s%s: %s" % (route["host"], route["path"], status))
    return failing


def test_site_deploys_every_production_unit_as_its_own_stack(swarm_nodes, deployed):
    stacks = swarm_nodes.docker(swarm_nodes.manager, "stack", "ls", "--format", "{{.Name}}").stdout.split()
    for project in ("traefik-production", "shared-postgres-production", "auth-production", "l2p-production",
                    "payment-production", "videovault-production", "vllm-rag-production"):
        assert project in stacks
    assert not [s for s in stacks if s.endswith("-development")]
    assert recap(deployed["output"])[swarm_nodes.manager]["failed"] == 0


def test_the_vllm_standin_runs_on_the_gpu_node_and_data_stays_on_the_manager(swarm_nodes, deployed):
    services = platform_services(swarm_nodes)
    vllm = [name for name, service, dummy in services if name == "vllm-rag-production_vllm-rag"]
    assert vllm, services
    assert set(service_nodes(swarm_nodes, vllm[0]).values()) == {swarm_nodes.names["gpu"]}
    postgres = [name for name, service, dummy in services if service == "shared-postgres"]
    assert postgres and set(service_nodes(swarm_nodes, postgres[0]).values()) == {swarm_nodes.manager}


def test_every_production_route_answers_through_traefik_over_verified_https(swarm_nodes, deployed):
    assert unanswered(swarm_nodes, deployed) == []
    with pytest.raises(ssl.SSLCertVerificationError):
        https_status(swarm_nodes.ips[swarm_nodes.manager], "auth.platform.localhost", "/health", None)


def test_a_second_run_and_check_mode_change_nothing(swarm_nodes, deployed):
    start = time.time()
    rc, output = swarm_nodes.run_playbook("site.yml")
    swarm_nodes.figure("site.yml again (idempotent)", time.time() - start)
    assert rc == 0, output[-4000:]
    counts = recap(output)
    assert counts and all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts
    rc, output = swarm_nodes.run_playbook("site.yml", "--check")
    assert rc == 0, output[-4000:]
    counts = recap(output)
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts


def psql(nodes, sql):
    script = ("docker exec --user postgres $(docker ps -q --filter status=running "
              "--filter label=korczewski.platform.container=shared-postgres) psql -X -q -A -t -d auth_db -c \"%s\"" % sql)
    result = subprocess.run(["docker", "exec", nodes.manager, "sh", "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_paused_worker_s_stateless_tasks_move_and_the_data_stays(swarm_nodes, deployed):
    psql(swarm_nodes, "CREATE TABLE IF NOT EXISTS swarm_probe (id serial PRIMARY KEY, note text); "
                      "INSERT INTO swarm_probe (note) VALUES ('before the pause')")
    rows = psql(swarm_nodes, "SELECT count(*) FROM swarm_probe")
    worker = swarm_nodes.names["worker"]
    moving = [name for name, dummy, stateful in platform_services(swarm_nodes)
              if not stateful and worker in service_nodes(swarm_nodes, name).values()]
    assert moving, "no stateless task ran on %s" % worker
    subprocess.run(["docker", "pause", worker], check=True)
    start = time.time()
    try:
        deadline = start + 240
        while True:
            stuck = [name for name in moving if not service_nodes(swarm_nodes, name)
                     or worker in service_nodes(swarm_nodes, name).values()]
            failing = [] if stuck else unanswered(swarm_nodes, deployed)
            if not stuck and not failing:
                break
            assert time.time() < deadline, "after 240 s: still on %s: %s; not answering: %s" % (worker, stuck, failing)
            time.sleep(2)
        swarm_nodes.figure("recovery after pausing a worker", time.time() - start)
        assert psql(swarm_nodes, "SELECT count(*) FROM swarm_probe") == rows
    finally:
        subprocess.run(["docker", "unpause", worker], check=False)
    deadline = time.time() + 120
    while "Ready" not in swarm_nodes.docker(swarm_nodes.manager, "node", "inspect", worker, "--format", "{{.Status.State}}").stdout.title():
        assert time.time() < deadline, "%s did not come back" % worker
        time.sleep(2)


def test_stop_all_scales_every_stack_to_zero_and_start_all_brings_it_back_with_its_data(swarm_nodes, deployed):
    rows = psql(swarm_nodes, "SELECT count(*) FROM swarm_probe")
    start = time.time()
    rc, output = swarm_nodes.run_playbook("playbooks/stop_all.yml", "-e", "stop_all_confirm=true")
    swarm_nodes.figure("stop_all.yml", time.time() - start)
    assert rc == 0, output[-4000:]
    replicas = swarm_nodes.docker(swarm_nodes.manager, "service", "ls", "--format", "{{.Name}} {{.Replicas}}").stdout
    assert replicas.strip() and all(line.split()[1].endswith("/0") for line in replicas.splitlines()), replicas
    stacks = swarm_nodes.docker(swarm_nodes.manager, "stack", "ls", "--format", "{{.Name}}").stdout.split()
    assert "auth-production" in stacks and "shared-postgres-production" in stacks
    start = time.time()
    rc, output = swarm_nodes.run_playbook("playbooks/start_all_production.yml")
    swarm_nodes.figure("start_all_production.yml", time.time() - start)
    assert rc == 0, output[-4000:]
    assert unanswered(swarm_nodes, deployed) == []
    assert psql(swarm_nodes, "SELECT count(*) FROM swarm_probe") == rows


def test_a_stray_service_with_an_app_s_identity_stops_the_run_before_any_change(swarm_nodes, deployed):
    labels = {"korczewski.platform.service": "auth", "korczewski.platform.environment": "production",
              "korczewski.platform.layer": "applications", "korczewski.platform.unit": "auth-production"}
    argv = ["service", "create", "--detach", "--name", "stray-auth", "--endpoint-mode", "dnsrr"]
    for key, value in labels.items():
        argv += ["--label", "%s=%s" % (key, value), "--container-label", "%s=%s" % (key, value)]
    created = swarm_nodes.docker(swarm_nodes.manager, *(argv + ["local/app-standin:1"]))
    assert created.returncode == 0, created.stderr
    try:
        before = swarm_nodes.docker(swarm_nodes.manager, "service", "ls", "--format", "{{.Name}} {{.ID}}").stdout
        rc, output = swarm_nodes.run_playbook("site.yml")
        assert rc != 0
        assert "stray-auth" in output
        assert recap(output)[swarm_nodes.manager]["changed"] == 0
        assert not re.search(r"^TASK \[(korczewski\.platform\.(traefik|shared_postgres)|Bring every)", output, re.M)
        assert swarm_nodes.docker(swarm_nodes.manager, "service", "ls", "--format", "{{.Name}} {{.ID}}").stdout == before
    finally:
        swarm_nodes.docker(swarm_nodes.manager, "service", "rm", "stray-auth")


def test_development_on_the_swarm_is_refused_naming_the_setting(swarm_nodes):
    rc, output = swarm_nodes.run_playbook("site.yml", "-e", "platform_environment=all")
    assert rc != 0
    assert "with platform_engine swarm it must be production" in output
    assert not re.search(r"^TASK \[korczewski\.platform\.docker_engine", output, re.M)
