# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the apply path: order, change detection, masking."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.compose.plan import (
    HIDDEN,
    PlanError,
    execution_order,
    external_networks,
    failure_report,
    file_changes,
    mask,
    missing_networks_message,
    masked_secret_file,
    moved_images,
    not_converged,
    parse_dry_run,
    parse_api_containers,
    parse_ps,
    prerequisites,
    recreated,
    render_definition,
    run_ordered,
    secret_values,
    snapshot,
    states_changed,
    check_relative_path,
)


def project(name, order=0, depends_on=()):
    return {"name": name, "order": order, "depends_on": list(depends_on)}


# ---------------------------------------------------------------------------------------- order
def test_lower_order_and_explicit_dependencies_come_first():
    projects = [project("app", 1, ["db"]), project("web", 1), project("db", 0), project("proxy", 0), project("ai", 2)]
    prereq = prerequisites(projects)
    assert prereq["app"] == {"db", "proxy"}
    assert prereq["web"] == {"db", "proxy"}
    assert prereq["ai"] == {"db", "proxy", "app", "web"}
    assert prereq["db"] == set()
    assert execution_order(projects) == ["db", "proxy", "app", "web", "ai"]


def test_dependency_inside_one_layer_orders_it():
    assert execution_order([project("b", 0, ["a"]), project("a", 0)]) == ["a", "b"]


@pytest.mark.parametrize("projects, message", [
    ([project("a", 0, ["missing"])], "project a depends on missing, which is not in the list"),
    ([project("a"), project("a")], "project a is listed twice"),
    ([project("a", 0, ["b"]), project("b", 0, ["a"])], "cycle"),
    # A dependency on a higher layer can never be met.
    ([project("a", 0, ["b"]), project("b", 1)], "cycle"),
])
def test_bad_orders_are_refused(projects, message):
    with pytest.raises(PlanError) as info:
        prerequisites(projects)
    assert any(message in error for error in info.value.args[0])


def test_run_ordered_runs_a_layer_concurrently_and_layers_in_sequence():
    events, lock = [], threading.Lock()

    def work(spec):
        with lock:
            events.append(("start", spec["name"]))
        time.sleep(0.05)
        with lock:
            events.append(("end", spec["name"]))
        return {"name": spec["name"], "changed": False}

    results = run_ordered([project("a", 0), project("b", 0), project("c", 1)], work, workers=4)
    assert set(results) == {"a", "b", "c"}
    assert sorted(events[:2]) == [("start", "a"), ("start", "b")], events
    assert events.index(("start", "c")) > max(events.index(("end", "a")), events.index(("end", "b")))


def test_run_ordered_respects_the_worker_bound():
    active, peak, lock = [0], [0], threading.Lock()

    def work(spec):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.03)
        with lock:
            active[0] -= 1
        return {"name": spec["name"]}

    run_ordered([project("p%d" % i) for i in range(6)], work, workers=2)
    assert peak[0] == 2


def test_a_failure_skips_only_its_explicit_dependents():
    def work(spec):
        if spec["name"] == "db":
            return {"name": "db", "failed": True}
        if spec["name"] == "boom":
            raise RuntimeError("engine exploded")
        return {"name": spec["name"], "changed": True}

    results = run_ordered([project("db", 0), project("boom", 0), project("app", 1, ["db"]),
                           project("other", 1), project("late", 2, ["app"])], work)
    assert results["app"]["skipped"] and "depends on db" in results["app"]["msg"]
    assert results["late"]["skipped"] and "depends on app" in results["late"]["msg"]
    assert results["other"] == {"name": "other", "changed": True}
    assert results["boom"]["failed"] and "engine exploded" in results["boom"]["msg"]


# ---------------------------------------------------------------------------------------- files
def test_file_changes_sees_content_mode_and_missing_files():
    wanted = {"compose.yml": ("a", 0o640), "secrets.env": ("X=1\n", 0o600), "new": ("n", 0o640)}
    existing = {"compose.yml": ("a", 0o640), "secrets.env": ("X=1\n", 0o644), "new": None}
    assert file_changes(existing, wanted) == ["new", "secrets.env"]
    assert file_changes(dict(wanted), wanted) == []


def test_rendered_definition_is_stable_and_keeps_key_order():
    definition = {"services": {"b": {"image": "x"}, "a": {"image": "y"}}, "name": "p"}
    text = render_definition(definition)
    assert text == render_definition(dict(definition))
    assert text.index('"b"') < text.index('"a"')
    assert text.endswith("\n")


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../b", "", "a//b"])
def test_file_paths_stay_inside_the_project(path):
    with pytest.raises(PlanError):
        check_relative_path(path)


# ---------------------------------------------------------------------------------------- state
PS_LINES = "\n".join([
    '{"ID":"aaa","Name":"web","Service":"web","State":"running","Health":"healthy"}',
    '{"ID":"bbb","Name":"worker","Service":"worker","State":"exited","Health":""}',
])


def test_the_api_list_reads_as_compose_ps_does():
    rows = [
        {"Id": "bbb" * 20, "Names": ["/worker"], "State": "exited", "Status": "Exited (0) 2 minutes ago",
         "Labels": {"com.docker.compose.service": "worker"}},
        {"Id": "aaa" * 20, "Names": ["/web"], "State": "running", "Status": "Up 5 minutes (healthy)",
         "Labels": {"com.docker.compose.service": "web"}, "ImageID": "sha256:" + "e" * 64},
        {"Id": "ccc" * 20, "Names": ["/db"], "State": "running", "Status": "Up 2 seconds (health: starting)",
         "Labels": {"com.docker.compose.service": "db"}},
        {"Id": "ddd" * 20, "Names": ["/cache"], "State": "running", "Status": "Up 1 hour (unhealthy)",
         "Labels": {"com.docker.compose.service": "cache"}},
    ]
    containers = parse_api_containers(rows)
    assert [(c["name"], c["service"], c["state"], c["health"]) for c in containers] == [
        ("cache", "cache", "running", "unhealthy"), ("db", "db", "running", "starting"),
        ("web", "web", "running", "healthy"), ("worker", "worker", "exited", "")]
    assert containers[2]["id"] == "aaaaaaaaaaaa"
    # The same as compose ps, plus the image id (which a moved tag is compared with).
    assert parse_api_containers(rows[1:2])[0] == dict(parse_ps(PS_LINES)[0], id="aaaaaaaaaaaa",
                                                      image_id="sha256:" + "e" * 64)
    assert containers[0]["image_id"] == ""


def test_parse_ps_reads_lines_and_arrays():
    containers = parse_ps(PS_LINES)
    assert [c["name"] for c in containers] == ["web", "worker"]
    assert parse_ps("[" + PS_LINES.replace("\n", ",") + "]") == containers
    assert parse_ps("") == []


def test_state_changes_count_ids_and_states_not_health():
    before = snapshot(parse_ps(PS_LINES))
    health_only = {k: dict(v, health="starting") for k, v in before.items()}
    assert not states_changed(before, health_only)
    restarted = dict(before, worker=dict(before["worker"], state="running"))
    assert states_changed(before, restarted)
    replaced = dict(before, web=dict(before["web"], id="ccc"))
    assert states_changed(before, replaced)
    assert recreated(before, replaced) == ["web"]
    assert states_changed(before, {"web": before["web"]})


def test_not_converged_names_what_differs():
    definition = {"services": {"web": {}, "worker": {}, "tool": {"profiles": ["manual"]},
                               "pair": {"deploy": {"replicas": 2}}}}
    containers = parse_ps(PS_LINES) + [
        {"id": "p1", "name": "pair-1", "service": "pair", "state": "running", "health": ""},
        {"id": "zz", "name": "old", "service": "gone", "state": "running", "health": ""},
    ]
    reason = not_converged(definition, containers)
    assert "worker is exited" in reason
    assert "old is not in the definition" in reason
    assert "service pair has 1 of 2 containers running" in reason
    assert "tool" not in reason
    running = [dict(c, state="running") for c in parse_ps(PS_LINES)]
    assert not_converged({"services": {"web": {}, "worker": {}}}, running) is None
    unhealthy = [dict(running[0], health="unhealthy"), running[1]]
    assert "web is unhealthy" in not_converged({"services": {"web": {}, "worker": {}}}, unhealthy)


def test_dry_run_keeps_only_changes():
    text = "\n".join([
        " DRY-RUN MODE -  Container a-1  Running",
        " DRY-RUN MODE -  Container b-1  Recreate",
        " DRY-RUN MODE -  Container b-1  Recreated",
        " DRY-RUN MODE -  Network p_default  Creating",
        " DRY-RUN MODE -  Container b-1  Waiting",
        "some other line",
    ])
    assert parse_dry_run(text) == [("Container", "b-1", "Recreate"), ("Network", "p_default", "Creating")]
    assert parse_dry_run(" DRY-RUN MODE -  Container a-1  Running") == []


# ---------------------------------------------------------------------------------------- masking
def test_secret_values_of_env_files_and_plain_files():
    # Every value, of any length, as Compose reads it: escapes undone, a PEM's lines joined.
    assert secret_values("A_PASSWORD=abcdef\nB='quoted value'\n# c=comment\nSHORT=ab\n") == {"abcdef", "quoted value", "ab"}
    assert secret_values('K="pa\\"ss \\$x"\nPEM="-----BEGIN-----\\nMIIE\\n-----END-----"\n') == {
        'pa"ss $x', "-----BEGIN-----\nMIIE\n-----END-----", "-----BEGIN-----", "MIIE", "-----END-----"}
    assert secret_values("s3cr3t-password\n") == {"s3cr3t-password"}


def test_mask_hides_known_values_assignments_and_url_passwords():
    text = ("connecting with hunter22 to postgres://auth_user:pw-in-url@db:5432/auth_db\n"
            "DB_PASSWORD=plain JWT_SECRET: abc api_key=xyz NAME=auth")
    masked = mask(text, {"hunter22"})
    for secret in ("hunter22", "pw-in-url", "plain", "abc", "xyz"):
        assert secret not in masked, secret
    assert "NAME=auth" in masked
    assert "postgres://auth_user:%s@db:5432/auth_db" % HIDDEN in masked


def test_masked_secret_file_shows_names_and_marks_changes():
    old = "A=1\nB=2\n"
    new = "A=1\nB=3\nC=4\n"
    assert masked_secret_file(old) == "A=<hidden>\nB=<hidden>\n"
    assert masked_secret_file(new, old) == "A=<hidden>\nB=<hidden, changed>\nC=<hidden, changed>\n"
    assert masked_secret_file("pw1", "pw2") == "<hidden, changed>"
    assert masked_secret_file(None, "x") == ""
    assert "1" not in masked_secret_file(old, old)


def test_failure_report_names_containers_probe_and_masked_logs():
    report = failure_report("auth-production", "container auth-service is unhealthy", [
        {"name": "auth-service", "status": "running", "health": "unhealthy", "exit_code": 0,
         "probe": "curl: (7) Failed to connect\n", "logs": "starting\nDATABASE_URL=postgres://u:topsecret@h/db\nvalue s3cret!\n"},
        {"name": "auth-worker", "status": "exited", "health": "", "exit_code": 3, "probe": "", "logs": ""},
    ], secrets={"s3cret!"})
    assert report.startswith("project auth-production failed: container auth-service is unhealthy")
    assert "container auth-service is running (unhealthy)" in report
    assert "last health probe: curl: (7) Failed to connect" in report
    assert "container auth-worker is exited exit code 3" in report
    assert "topsecret" not in report and "s3cret!" not in report
    assert "    starting" in report


def test_external_networks_of_the_projects_that_stay():
    def project(name, networks, state="present"):
        return {"name": name, "state": state, "definition": {"name": name, "services": {}, "networks": networks}}
    projects = [
        project("a", {"platform": {"name": "platform", "external": True}}),
        project("b", {"dev": {"name": "platform-dev", "external": True}, "inner": {}}, state="stopped"),
        project("c", {"gone": {"name": "gone-net", "external": True}}, state="absent"),
        project("d", {"platform": {"external": True}}),
        {"name": "e", "state": "stopped", "definition": None},
    ]
    assert external_networks(projects) == ["platform", "platform-dev"]
    message = missing_networks_message(["platform-dev"])
    assert message.startswith("Docker network(s) platform-dev do not exist.")
    assert "docker_engine" in message


def test_moved_images_names_containers_whose_tag_names_another_image_now():
    definition = {"services": {"web": {"image": "local/web:1"}, "db": {"image": "local/db:1"}, "job": {}}}
    containers = [{"name": "web", "service": "web"}, {"name": "db", "service": "db"},
                  {"name": "job", "service": "job"}, {"name": "web-next", "service": "web-next"}]
    running = {"web": "sha256:" + "a" * 64, "db": "sha256:" + "c" * 64, "job": "sha256:" + "d" * 64}
    same = {"local/web:1": "sha256:" + "a" * 64, "local/db:1": "sha256:" + "c" * 64}
    assert moved_images(definition, containers, running, same) is None
    reason = moved_images(definition, containers, running, {"local/web:1": "sha256:" + "b" * 64, "local/db:1": None})
    assert reason == "web runs sha256:aaaaaaaaaaaa, but local/web:1 now names sha256:bbbbbbbbbbbb"
