# -*- coding: utf-8 -*-
# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of discovery: catalog facts, container attribution, environment hosts, unit state.

Containers are given as the Docker Engine API lists and inspects them (1.41 field names); the
real engine and /proc are exercised in tests/integration/plugins/modules/test_single_environment.py.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from test__devserver_proc import BOOT, FakeProc

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog
from ansible_collections.korczewski.platform.plugins.module_utils.devserver.proc import Proc
from ansible_collections.korczewski.platform.plugins.module_utils.discovery import containers as dcont
from ansible_collections.korczewski.platform.plugins.module_utils.discovery import discovery as disc
from ansible_collections.korczewski.platform.plugins.module_utils.discovery import index as dindex
from ansible_collections.korczewski.platform.plugins.module_utils.discovery import state as dstate
from ansible_collections.korczewski.platform.plugins.module_utils.rule import single_environment as rule

DOMAIN = "korczewski.de"


def full_id(name):
    return hashlib.sha256(name.encode()).hexdigest()


def listed(name, labels=None, project=None, ports=(), volumes=(), networks=("platform",), state="running",
           status="Up 2 minutes"):
    """One entry of GET /containers/json?all=1."""
    labels = dict(labels or {})
    if project:
        labels["com.docker.compose.project"] = project
    return {
        "Id": full_id(name), "Names": ["/" + name], "Image": "local/app-standin:1", "State": state, "Status": status,
        "Labels": labels,
        "Ports": [{"IP": "127.0.0.1", "PrivatePort": 8080, "PublicPort": p, "Type": "tcp"} for p in ports]
        + [{"PrivatePort": 9000, "Type": "tcp"}],
        "Mounts": [{"Type": "volume", "Name": v, "Destination": "/data"} for v in volumes]
        + [{"Type": "bind", "Source": "/etc/hosts", "Destination": "/etc/hosts"}],
        "NetworkSettings": {"Networks": dict((n, {"IPAddress": "172.18.0.%d" % (i + 2)}) for i, n in enumerate(networks))},
    }


def identity(service, environment):
    return {"korczewski.platform.service": service, "korczewski.platform.environment": environment}


class Engine:
    """Answers inspect like dockerd does for the listed containers, and counts the calls."""

    def __init__(self, entries, env=None, health=None):
        self.entries = dict((e["Id"], e) for e in entries)
        self.env = env or {}
        self.health = health or {}
        self.inspected = []

    def inspect(self, cid):
        self.inspected.append(cid)
        entry = self.entries.get(cid)
        if entry is None:
            return None
        name = entry["Names"][0][1:]
        state = {"Status": entry["State"], "StartedAt": "2026-01-02T03:04:05.000000000Z",
                 "ExitCode": 0 if entry["State"] == "running" else 137}
        if name in self.health:
            state["Health"] = {"Status": self.health[name]}
        networks = copy.deepcopy(entry["NetworkSettings"]["Networks"])
        for net in networks.values():
            net["Aliases"] = [name, full_id(name)[:12]]
        config = {"Image": entry["Image"], "Env": self.env.get(name, [])}
        return {"Id": cid, "State": state, "RestartCount": 2, "Config": config, "NetworkSettings": {"Networks": networks},
                "HostConfig": {"RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0}}}


@pytest.fixture
def catalog(base_services):
    return Catalog.load(base_services, DOMAIN)


def attribute(catalog, entries, **engine_args):
    engine = Engine(entries, **engine_args)
    run = disc.Discovery(catalog, "/nonexistent", docker=engine)
    servers = run.attribute([dcont.container_record(e) for e in entries])
    return run, servers, engine


def containers_of(run, key):
    return dict((c["name"], c) for c in run.units[key]["containers"])


# ------------------------------------------------------------------ catalog facts


def test_index_knows_every_owner(catalog):
    index = dindex.CatalogIndex(catalog)
    assert index.port_owner[5500] == ("auth/development", "server", "auth-development")
    assert index.port_owner[3000] == ("l2p/development", "container", "l2p-frontend-dev")
    assert index.port_owner[4100] == ("vllm-rag/development", "server", "vllm-rag-development-vllm")
    assert index.port_owner[5433] == ("shared-postgres/development", "container", "postgres-dev")
    assert index.name_owner["web"] == "payment/production"
    assert index.volume_owner["videovault-media"] == "videovault/production"
    assert index.volume_owner["videovault-dev-media"] == "videovault/development"
    assert index.project["l2p/development"] == "l2p-development"
    assert index.expected["vllm-rag/development"]["ports"] == [3005, 4100, 6333, 7997]
    assert [s["name"] for s in index.expected["vllm-rag/development"]["servers"]] == [
        "vllm-rag-development-vllm", "vllm-rag-development-open-webui"]
    assert index.expected["vllm-rag/production"]["replicas"] == 5
    assert index.database_servers()[0][:3] == ("shared-postgres", "production", 5432)


def test_source_owner_prefers_the_unit_it_serves(base_services):
    # Two units share one source directory (as the local inventory's node fixture does).
    base_services["payment"]["environments"]["development"]["source"] = "/home/patrick/projects/auth"
    index = dindex.CatalogIndex(Catalog.load(base_services, DOMAIN))
    assert index.source_owner("/home/patrick/projects/auth/src")[0] == "auth/development"
    assert index.source_owner("/home/patrick/projects/auth", {"payment/development"})[0] == "payment/development"
    # It serves another unit's port from here: not a second dev server of either.
    assert index.source_owner("/home/patrick/projects/auth", {"dashboard/development"}) == (None, None)
    assert index.source_owner("/home/patrick/projects/authx") == (None, None)
    assert index.source_owner("/home/patrick/projects/dashboard")[0] == "dashboard/development"


def test_database_hosts_keep_no_secret():
    env = ["DATABASE_URL=postgresql://auth_user:s3cr3t%40pw@shared-postgres:5432/auth_db", "DATABASE_PASSWORD=s3cr3t",
           "DATABASE_HOST=shared-postgres", "PATH=/usr/bin", "EMPTY="]
    assert dcont.database_hosts(env) == {"DATABASE_HOST": "shared-postgres", "DATABASE_URL": "shared-postgres"}
    assert "s3cr3t" not in repr(dcont.database_hosts(env))
    assert dcont.database_hosts(["DATABASE_URL=http://[::1"]) == {}
    assert dcont.database_hosts(["DATABASE_URL=not a url"]) == {}


def test_health_from_the_listed_status():
    record = dcont.container_record(listed("x", status="Up 3 minutes (healthy)"))
    assert record["health"] == "healthy"
    assert dcont.container_record(listed("x", status="Up 1 second (health: starting)"))["health"] == "starting"
    assert dcont.container_record(listed("x", status="Up 5 minutes (unhealthy)"))["health"] == "unhealthy"
    assert dcont.container_record(listed("x", status="Exited (0) 2 hours ago"))["health"] is None


def test_container_record_reads_ports_volumes_and_networks():
    record = dcont.container_record(listed("auth-service", identity("auth", "production"), "auth-production",
                                           ports=[18080, 18080], volumes=["v1"], networks=["platform", "other"]))
    assert record["id"] == full_id("auth-service")[:12] and len(record["id"]) == 12
    assert record["project"] == "auth-production"
    assert record["labels"] == {"service": "auth", "environment": "production"}
    assert record["ports"] == [18080] and record["volumes"] == ["v1"] and record["networks"] == ["other", "platform"]


# ------------------------------------------------------------------ attribution


def test_rightful_containers_are_matched_by_labels_and_inspected(catalog):
    entries = [listed("auth-service", identity("auth", "production"), "auth-production"),
               listed("unrelated", {}, "someone-else")]
    run, dummy, engine = attribute(catalog, entries, health={"auth-service": "healthy"},
                                   env={"auth-service": ["DATABASE_HOST=shared-postgres", "JWT_SECRET=x"]})
    cont = containers_of(run, "auth/production")["auth-service"]
    assert cont["matched"] == "labels" and cont["health"] == "healthy" and cont["restart_count"] == 2
    assert cont["started_at"].startswith("2026-01-02") and cont["database_hosts"] == {"DATABASE_HOST": "shared-postgres"}
    assert cont["exit_code"] == 0 and cont["restart_policy"] == "unless-stopped"
    assert run.unmanaged == [] and run.orphans == []
    # Only catalog containers cost an inspect; the unrelated one is listed and left alone.
    assert engine.inspected == [full_id("auth-service")]


def test_payment_web_is_matched_by_labels_not_its_generic_name(catalog):
    entries = [listed("web", identity("payment", "production"), "payment-production")]
    run, dummy, dummy2 = attribute(catalog, entries)
    assert containers_of(run, "payment/production")["web"]["matched"] == "labels"


def test_labelled_container_outside_its_project_stays_with_its_unit(catalog):
    entries = [listed("l2p-frontend-dev", identity("l2p", "development"), "l2p-development", ports=[3000]),
               listed("ztest-l2p-dev-stray", identity("l2p", "development"), None, networks=["platform-dev"])]
    run, dummy, dummy2 = attribute(catalog, entries)
    assert sorted(containers_of(run, "l2p/development")) == ["l2p-frontend-dev", "ztest-l2p-dev-stray"]
    # Judged by the rule as a second instance, not as an unmanaged holder.
    assert run.unmanaged == []


def test_unlabelled_container_with_a_catalog_name(catalog):
    entries = [listed("auth-service", {}, "auth")]
    run, dummy, dummy2 = attribute(catalog, entries)
    assert containers_of(run, "auth/production")["auth-service"]["matched"] == "name"
    assert [(u["kind"], u["holds"], u["unit"], u["project"]) for u in run.unmanaged] == [
        ("container", "container name auth-service", "auth/production", "auth")]


def test_unlabelled_container_in_the_rightful_project_is_the_unit(catalog):
    # Deployed under the rightful project by an older renderer: the next deploy labels it.
    run, dummy, dummy2 = attribute(catalog, [listed("auth-service", {}, "auth-production")])
    assert containers_of(run, "auth/production")["auth-service"]["matched"] == "name"
    assert run.unmanaged == []


def test_foreign_container_on_a_catalog_port_and_volume(catalog):
    entries = [listed("squatter", {}, None, ports=[3001], volumes=["videovault-dev-media", "scratch"])]
    run, dummy, dummy2 = attribute(catalog, entries)
    assert [(u["holds"], u["unit"], u["port"], u["volume"]) for u in run.unmanaged] == [
        ("port 3001 of container l2p-backend-dev", "l2p/development", 3001, None),
        ("volume videovault-dev-media", "videovault/development", None, "videovault-dev-media")]
    assert all(u["owner"] is None and u["name"] == "squatter" for u in run.unmanaged)


def test_container_on_a_dev_server_port_is_unmanaged_even_when_labelled(catalog):
    entries = [listed("auth-dev-box", identity("auth", "development"), "auth-development", ports=[5500])]
    run, dummy, dummy2 = attribute(catalog, entries)
    [item] = run.unmanaged
    assert item["holds"] == "port 5500 of dev server auth-development" and item["owner"] == "auth/development"


def test_other_units_volume_is_unmanaged_with_its_owner_named(catalog):
    entries = [listed("videovault-dev", identity("videovault", "development"), "videovault-development",
                      volumes=["videovault-media"])]
    run, dummy, dummy2 = attribute(catalog, entries)
    [item] = run.unmanaged
    assert item["unit"] == "videovault/production" and item["owner"] == "videovault/development"


def test_orphans_are_labelled_for_units_outside_the_catalog(catalog):
    entries = [listed("legacy", identity("legacy", "production"), "legacy-production"),
               listed("auth-staging", identity("auth", "staging"), None),
               listed("half", {"korczewski.platform.service": "auth"}, None)]
    run, dummy, engine = attribute(catalog, entries)
    assert [(o["name"], o["service"], o["environment"]) for o in sorted(run.orphans, key=lambda o: o["name"])] == [
        ("auth-staging", "auth", "staging"), ("half", "auth", None), ("legacy", "legacy", "production")]
    assert engine.inspected == []


def test_database_servers_with_addresses_and_published_ports(catalog):
    entries = [listed("shared-postgres", identity("shared-postgres", "production"), "shared-postgres-production"),
               listed("postgres-dev", identity("shared-postgres", "development"), "shared-postgres-development",
                      ports=[5433], networks=["platform-dev"])]
    dummy, servers, dummy2 = attribute(catalog, entries)
    by_name = dict((s["name"], s) for s in servers)
    assert by_name["shared-postgres"]["environment"] == "production"
    assert by_name["shared-postgres"]["addresses"] == ["172.18.0.2"] and by_name["shared-postgres"]["published"] == []
    assert "shared-postgres" in by_name["shared-postgres"]["aliases"]
    assert by_name["postgres-dev"]["published"] == [{"address": "127.0.0.1", "port": 5433}]


def test_a_container_removed_between_list_and_inspect_is_still_reported(catalog):
    entry = listed("auth-service", identity("auth", "production"), "auth-production")
    engine = Engine([])
    run = disc.Discovery(catalog, "/nonexistent", docker=engine)
    run.attribute([dcont.container_record(entry)])
    assert containers_of(run, "auth/production")["auth-service"]["started_at"] is None


# ------------------------------------------------------------------ unit state


def _unit(catalog, key, containers=(), dev_servers=()):
    index = dindex.CatalogIndex(catalog)
    service, environment = key.split("/")
    unit = [u for u in index.units if (u["service"], u["environment"]) == (service, environment)][0]
    return dict(unit, containers=list(containers), dev_servers=list(dev_servers)), index.expected[key]


def _c(name, project, state="running", health=None, matched="labels"):
    return {"name": name, "project": project, "state": state, "health": health, "matched": matched}


def _s(name, pid=None, running=True, managed=True, ports=(5500,)):
    return {"name": name, "pid": pid, "running": running, "managed": managed, "ports": list(ports)}


def test_state_running_with_health(catalog):
    unit, expected = _unit(catalog, "l2p/production", [_c("l2p-app", "l2p-production", health="healthy"),
                                                       _c("l2p-api", "l2p-production")])
    assert dstate.unit_state(unit, expected) == (
        "running", "l2p/production: 2/2 containers running (1 healthy), project l2p-production")


def test_state_partial_unhealthy_stopped_missing(catalog):
    unit, expected = _unit(catalog, "l2p/production", [_c("l2p-app", "l2p-production"),
                                                       _c("l2p-api", "l2p-production", state="exited")])
    assert dstate.unit_state(unit, expected)[0] == "partial"
    unit["containers"][1].update(state="running", health="unhealthy")
    assert dstate.unit_state(unit, expected) == (
        "unhealthy", "l2p/production: 2/2 containers running (1 unhealthy), project l2p-production")
    for cont in unit["containers"]:
        cont["state"] = "exited"
    assert dstate.unit_state(unit, expected)[0] == "stopped"
    unit["containers"] = []
    assert dstate.unit_state(unit, expected) == ("missing", "l2p/production: 0/2 containers running, project l2p-production")


def test_strays_never_make_a_unit_running(catalog):
    unit, expected = _unit(catalog, "auth/production", [_c("auth-copy", None)])
    state, summary = dstate.unit_state(unit, expected)
    assert state == "missing"
    assert summary == "auth/production: 0/1 containers running, project auth-production; also 1 container outside the project"


def test_state_of_a_dev_server(catalog):
    unit, expected = _unit(catalog, "auth/development", dev_servers=[_s("auth-development", pid=42)])
    assert dstate.unit_state(unit, expected) == ("running", "auth/development: dev server running (pid 42, port 5500)")
    unit["dev_servers"] = [_s("auth-development", pid=42, running=False)]
    assert dstate.unit_state(unit, expected) == ("stopped", "auth/development: dev server not running")
    unit["dev_servers"] = [_s("auth-development", pid=7, managed=False)]
    assert dstate.unit_state(unit, expected) == (
        "missing", "auth/development: dev server not running; also 1 unmanaged dev process group")


def test_state_of_a_hybrid_unit(catalog):
    unit, expected = _unit(catalog, "vllm-rag/development",
                           [_c("qdrant-dev", "vllm-rag-development"), _c("infinity-dev", "vllm-rag-development")],
                           [_s("vllm-rag-development-vllm", pid=1, ports=[4100])])
    assert dstate.unit_state(unit, expected) == (
        "partial", "vllm-rag/development: 2/2 containers running, 1/2 dev servers running, project vllm-rag-development")


def test_the_tcp_table_is_read_from_another_network_namespace_when_named(tmp_path):
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    # 127.0.0.1:4242 listening (0A), inode 777; one established connection to 127.0.0.1:15433, inode 778.
    (tmp_path / "tcp").write_text(header
                                  + "   0: 0100007F:1092 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 777 1\n"
                                  + "   1: 0100007F:A000 0100007F:3C49 01 00000000:00000000 00:00000000 00000000  0 0 778 1\n")
    listeners, established = Proc(str(tmp_path)).tcp_table(str(tmp_path))
    assert listeners == [{"inode": 777, "address": "127.0.0.1", "port": 4242}]
    assert established == [{"inode": 778, "remote": "127.0.0.1", "remote_port": 15433}]


# ------------------------------------------------------------------ dev servers on a written /proc

AUTH_SOURCE = "/home/patrick/projects/auth"


class ListingEngine(Engine):
    def containers(self):
        return list(self.entries.values())


def write_server(state_dir, name, pid=None, record_pid=None, start_time=1000, source=AUTH_SOURCE):
    """The files npm_dev_server leaves for a server: a pid file (pid) and a settings record (record_pid)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    if pid is not None:
        (state_dir / (name + ".pid")).write_text("%d\n" % pid)
    if record_pid is not None:
        (state_dir / (name + ".state.json")).write_text(json.dumps({
            "version": 1, "name": name, "pid": record_pid, "start_time": start_time, "boot_id": BOOT,
            "settings": {"source": source}}))


def run_on(catalog, fake, state_dir):
    return disc.discover(catalog, str(state_dir), docker=ListingEngine([]), proc=fake.proc)


def unit_in(result, key):
    return [u for u in result["units"] if "%s/%s" % (u["service"], u["environment"]) == key][0]


def test_dev_server_of_a_service_that_left_the_catalog_is_an_orphan(base_services, tmp_path):
    # "legacy" shared auth's source directory; it left the catalog, its server still runs from its record.
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(600, comm="node", start_time=1000, cwd=AUTH_SOURCE, cmdline=["node", "server.js"], listen=[8090],
             environ={"SERVICE_NAME": "legacy", "PLATFORM_ENVIRONMENT": "development", "PORT": "8090"})
    fake.add(601, comm="esbuild", start_time=1001, session=600, cwd=AUTH_SOURCE)
    write_server(tmp_path / "npm" / "patrick", "legacy-development", 600, 600)
    result = run_on(catalog, fake, tmp_path / "npm")
    [orphan] = result["orphans"]
    assert (orphan["kind"], orphan["name"], orphan["service"], orphan["environment"]) == (
        "process", "legacy-development", "legacy", "development")
    assert orphan["pid"] == 600 and orphan["ports"] == [8090] and orphan["running"] is True
    assert orphan["cwd"] == AUTH_SOURCE and orphan["id"] is None
    # Not a second dev server of auth, which shares the source directory.
    assert unit_in(result, "auth/development")["dev_servers"] == []
    assert [v["kind"] for v in rule.evaluate(catalog, result)] == []
    assert "legacy/development" in rule.format_table([], result["orphans"])


def test_orphan_identity_falls_back_to_its_name(base_services, tmp_path):
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(600, start_time=1000, cwd=AUTH_SOURCE, listen=[8090])
    write_server(tmp_path / "npm", "legacy-development-api", None, 600)
    [orphan] = run_on(catalog, fake, tmp_path / "npm")["orphans"]
    assert (orphan["service"], orphan["environment"]) == ("legacy", "development")


def test_a_process_without_its_record_is_still_a_second_dev_server(base_services, tmp_path):
    # Files of a gone service without a settings record prove nothing: found by its source directory.
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(600, start_time=1000, cwd=AUTH_SOURCE, listen=[8090])
    write_server(tmp_path / "npm", "legacy-development", 600, None)
    result = run_on(catalog, fake, tmp_path / "npm")
    assert result["orphans"] == []
    [stray] = unit_in(result, "auth/development")["dev_servers"]
    assert stray["managed"] is False and stray["pid"] == 600 and stray["found_by"] == ["source"]
    assert [v["kind"] for v in rule.evaluate(catalog, result)] == ["second_dev_server"]


def test_managed_dev_server_is_judged_once(base_services, tmp_path):
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(700, comm="npm", start_time=1000, cwd=AUTH_SOURCE, listen=[5500])
    write_server(tmp_path / "npm", "auth-development", 700, 700)
    result = run_on(catalog, fake, tmp_path / "npm")
    [server] = unit_in(result, "auth/development")["dev_servers"]
    assert server["managed"] and server["running"] and server["pid"] == 700 and server["ports"] == [5500]
    assert unit_in(result, "auth/development")["state"] == "running"
    assert result["unmanaged"] == [] and result["orphans"] == []


def test_pid_file_without_record_is_neither_the_server_nor_trusted(base_services, tmp_path):
    # The process at the pid holds the server's port: it is an unmanaged holder, not the server.
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(700, comm="python3", start_time=1000, cwd="/tmp", listen=[5500])
    write_server(tmp_path / "npm", "auth-development", 700, None)
    result = run_on(catalog, fake, tmp_path / "npm")
    servers = unit_in(result, "auth/development")["dev_servers"]
    managed = [s for s in servers if s["managed"]]
    assert [(s["running"], s["stale"]) for s in managed] == [
        (False, "pid file without a settings record (pid 700 not verified, left alone)")]
    assert [(s["pid"], s["found_by"]) for s in servers if not s["managed"]] == [(700, ["port"])]
    assert [(u["pid"], u["holds"]) for u in result["unmanaged"]] == [(700, "port 5500 of dev server auth-development")]
    assert unit_in(result, "auth/development")["state"] != "running"


def test_reused_pid_is_stale_and_its_process_unclaimed(base_services, tmp_path):
    catalog = Catalog.load(base_services, DOMAIN)
    fake = FakeProc(tmp_path / "proc")
    fake.add(700, comm="sleep", start_time=5000, cwd="/tmp")
    write_server(tmp_path / "npm", "auth-development", 700, 700, start_time=1000)
    [server] = unit_in(run_on(catalog, fake, tmp_path / "npm"), "auth/development")["dev_servers"]
    assert server["running"] is False and server["stale"] == "pid 700 now belongs to another program (sleep)"
