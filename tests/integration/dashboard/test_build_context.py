# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dashboard/build-context.sh: the context's hash follows every input, and a rerun with nothing
changed lays out nothing (the dashboard role runs it on every deploy)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def repo(tmp_path):
    """A copy of what the script reads, with a wheel cache that holds every pin (no index needed)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "dashboard", root / "dashboard",
                    ignore=shutil.ignore_patterns("__pycache__", "node_modules", ".pytest_cache"))
    shutil.copytree(REPO / "plugins" / "module_utils", root / "plugins" / "module_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = root / "wheels"
    cache.mkdir()
    for line in (root / "dashboard" / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line)
        if match:
            name = match.group(1).lower().replace("-", "_")
            (cache / ("%s-%s-py3-none-any.whl" % (name, match.group(2)))).write_text(line)
    # The stamp is dated a second before a layout: inputs this fresh would count as changed.
    time.sleep(2.1)
    return root


def lay_out(repo):
    """The hash the script prints, and the archive's status change time."""
    out = repo / "context"
    run = subprocess.run(["sh", str(repo / "dashboard" / "build-context.sh"), str(out), str(repo / "wheels")],
                         check=True, capture_output=True, text=True, env=dict(os.environ, PIP="false"))
    return run.stdout.splitlines()[-1], os.stat(str(out) + ".tar").st_ctime_ns


def test_a_rerun_with_nothing_changed_keeps_the_archive_and_the_hash(repo):
    first = lay_out(repo)
    assert re.match(r"^[0-9a-f]{64}$", first[0])
    assert lay_out(repo) == first


# Each change follows the layout within the file system's clock tick, the case a newer-than check
# alone would miss.
@pytest.mark.parametrize("change", ["content", "mode", "new file", "removed file"])
def test_every_kind_of_input_change_gives_a_new_hash(repo, change):
    before = lay_out(repo)[0]
    target = repo / "plugins" / "module_utils" / "catalog" / "dotenv.py"
    if change == "content":
        target.write_text(target.read_text() + "\n# changed\n")
    elif change == "mode":
        target.chmod(0o755)
    elif change == "new file":
        (repo / "dashboard" / "src" / "korczewski_dashboard" / "added.py").write_text("X = 1\n")
    else:
        target.unlink()
    after = lay_out(repo)[0]
    assert after != before
    # And the new layout is what a layout from nothing gives.
    shutil.rmtree(repo / "context")
    (repo / "context.tar").unlink()
    assert lay_out(repo)[0] == after


def test_a_missing_input_is_laid_out_again_not_taken_for_unchanged(repo):
    lay_out(repo)
    shutil.rmtree(repo / "wheels")
    # The layout runs and asks the index for the pins, which this test forbids (PIP=false).
    with pytest.raises(subprocess.CalledProcessError):
        lay_out(repo)


def test_the_context_holds_every_module_utils_file_in_its_package(repo):
    lay_out(repo)
    source = repo / "plugins" / "module_utils"
    copied = repo / "context" / "collections" / "ansible_collections" / "korczewski" / "platform" / "plugins" / "module_utils"
    wanted = sorted(str(p.relative_to(source)) for p in source.rglob("*.py"))
    assert "catalog/catalog.py" in wanted
    assert sorted(str(p.relative_to(copied)) for p in copied.rglob("*.py")) == wanted
