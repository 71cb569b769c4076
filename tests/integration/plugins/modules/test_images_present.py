# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""korczewski.platform.images_present through the real ``ansible`` CLI on the real Docker engine:
an image that is there, one that exists nowhere (no registry on the network answers here), and
images pulled for real from a registry on 127.0.0.1 (tests/integration/plugins/registry_server.py);
then the preflight of the local inventory with one bogus tag. The pulled images are removed again;
no container is created."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from registry_server import Registry  # noqa: E402  pylint: disable=wrong-import-position,import-error

REPO_ROOT = str(Path(__file__).resolve().parents[4])
BIN = os.path.dirname(sys.executable)
PRESENT = "local/postgres:15"
ABSENT = "local/app-standin:does-not-exist"
PRESENT_PATH = "platform_services.shared-postgres.environments.production.containers[0].image"
ABSENT_PATH = "platform_services.auth.environments.production.containers[0].image"


def _tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


pytestmark = [
    pytest.mark.skipif(_tool("ansible") is None, reason="needs the ansible CLI"),
    pytest.mark.needs_docker,
    pytest.mark.needs_image(PRESENT),
]


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def run_module(args, *extra):
    """Run the module ad hoc; returns (exit code, result dict, full output)."""
    cmd = [_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-m", "korczewski.platform.images_present", "-a", json.dumps(args)] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False)
    marker = proc.stdout.find(" => ")
    assert marker >= 0, proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout[marker + 4:]), proc.stdout + proc.stderr


def images_on_host():
    out = subprocess.run(["docker", "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.splitlines())


def has_image(name):
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True, check=False).returncode == 0


@pytest.fixture
def registry():
    server = Registry(["ztest-images/a:1", "ztest-images/b:1", "ztest-images/c:2"], delay=0.3)
    yield server
    server.stop()
    for name in ("ztest-images/a:1", "ztest-images/b:1", "ztest-images/c:2"):
        subprocess.run(["docker", "image", "rm", server.reference(name)], capture_output=True, check=False)


def test_a_missing_image_fails_naming_its_catalog_path_and_check_mode_changes_nothing():
    images = [{"image": PRESENT, "path": PRESENT_PATH},
              {"image": ABSENT, "path": ABSENT_PATH, "service": "auth", "environment": "production"}]
    before = images_on_host()
    for extra in ((), ("--check", "--diff")):
        rc, result, output = run_module({"images": images}, *extra)
        assert rc != 0, output
        assert result["changed"] is False
        lines = result["msg"].splitlines()
        assert lines[0].startswith("1 image this run needs is neither on this host nor pullable")
        assert lines[1].startswith("- %s: image %s is not on this host and cannot be pulled: " % (ABSENT_PATH, ABSENT))
        assert PRESENT not in result["msg"]
        assert result["present"] == [PRESENT] and result["pulled"] == []
        assert result["missing"][0]["image"] == ABSENT and result["missing"][0]["paths"] == [ABSENT_PATH]
        assert result["missing"][0]["units"] == ["auth/production"]
    assert images_on_host() == before


def test_present_images_change_nothing_in_check_mode_or_not():
    for extra in ((), ("--check",)):
        rc, result, output = run_module({"images": [{"image": PRESENT, "path": PRESENT_PATH}]}, *extra)
        assert rc == 0 and result["changed"] is False and result["present"] == [PRESENT], output


def test_missing_images_are_pulled_concurrently_then_present(registry):
    refs = [registry.reference(n) for n in ("ztest-images/a:1", "ztest-images/b:1", "ztest-images/c:2")]
    images = [{"image": ref, "path": "platform_services.x.environments.production.containers[%d].image" % i}
              for i, ref in enumerate(refs)] + [{"image": PRESENT, "path": PRESENT_PATH}]

    rc, result, output = run_module({"images": images}, "--check")
    assert rc == 0 and result["changed"] is True and result["pulled"] == refs, output
    assert not any(has_image(ref) for ref in refs)

    started = time.monotonic()
    rc, result, output = run_module({"images": images, "workers": 3})
    took = time.monotonic() - started
    assert rc == 0 and result["changed"] is True, output
    assert result["pulled"] == refs and result["present"] == [PRESENT]
    assert [line.split(": pulled in ")[0] for line in result["progress"]] == refs
    assert all(has_image(ref) for ref in refs)
    # Every blob answer takes 0.3 s: the three images' downloads overlapped in the registry.
    assert registry.most_in_flight == 3, "pulls did not overlap (%.1f s, %d at most)" % (took, registry.most_in_flight)

    rc, result, output = run_module({"images": images})
    assert rc == 0 and result["changed"] is False and result["pulled"] == [], output


def test_the_preflight_stops_on_a_bogus_tag_naming_the_path():
    with open(os.path.join(REPO_ROOT, "inventory", "local", "group_vars", "all", "platform.yml"), encoding="utf-8") as stream:
        platform_images = yaml.safe_load(stream)["platform_images"]
    if not all(has_image(image) for image in platform_images.values()):
        pytest.skip("needs the local inventory's images (make testbed builds them)")
    platform_images = dict(platform_images, payment=ABSENT, auth=ABSENT + "-too")
    # The rule is other tests' subject: whatever else runs on this shared engine must not stop
    # this run before the image check (the rule play skips when it was checked already).
    extra = {"platform_images": platform_images, "platform_rule_checked": {"skipped": True}}
    cmd = [_tool("ansible-playbook"), "playbooks/preflight.yml", "-i", "inventory/local", "--tags", "payment",
           "-e", json.dumps(extra)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert ("platform_services.payment.environments.production.containers[0].image: image %s is not on this host"
            % ABSENT) in output
    # Only the units of the run's tags: auth's bogus tag is not this run's.
    assert ABSENT + "-too" not in output and "platform_services.auth." not in output
