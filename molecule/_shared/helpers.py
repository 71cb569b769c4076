# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every scenario's verifier needs, written once: the facts converge handed over, docker,
curl pinned to loopback, waiting. Scenarios converge on this machine, so everything runs locally.

A scenario's tests import it with::

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
    import helpers
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from urllib.parse import urlsplit


def facts(name):
    """The JSON file converge wrote into Molecule's ephemeral directory."""
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name), encoding="utf-8") as handle:
        return json.load(handle)


def docker(*args, check=True, timeout=300, input_text=None):
    result = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout, check=False,
                            input=input_text)
    if check:
        assert result.returncode == 0, "docker %s: %s" % (" ".join(args), result.stderr)
    return result


def inspect(name):
    return json.loads(docker("inspect", name).stdout)[0]


def project_containers(project):
    """Every running container of a compose project, inspected."""
    ids = docker("ps", "-q", "--filter", "label=com.docker.compose.project=%s" % project).stdout.split()
    return [inspect(cid) for cid in ids]


def curl(url, *args, ca_cert=None, pin=(), timeout=10):
    """curl url; the URL's host name is pinned to 127.0.0.1 on each port in pin (names under
    *.localhost do not resolve here, and checks must not depend on /etc/hosts), and ca_cert is
    the CA to verify against. Returns the CompletedProcess."""
    name = urlsplit(url).hostname
    cmd = ["curl", "-sS", "--max-time", str(timeout)]
    for port in pin:
        cmd += ["--resolve", "%s:%s:127.0.0.1" % (name, port)]
    if ca_cert:
        cmd += ["--cacert", ca_cert]
    return subprocess.run(cmd + list(args) + [url], capture_output=True, text=True, timeout=timeout + 20, check=False)


def curl_body(url, *args, **kwargs):
    """(HTTP status, body) of a request that must complete."""
    result = curl(url, "-o", "-", "-w", "\n%{http_code}", *args, **kwargs)
    assert result.returncode == 0, "%s: %s" % (url, result.stderr)
    body, dummy, status = result.stdout.rpartition("\n")
    return int(status), body


def http_status(url, *args, **kwargs):
    result = curl(url, "-o", "/dev/null", "-w", "%{http_code}", *args, **kwargs)
    assert result.returncode == 0, "%s: %s" % (url, result.stderr)
    return int(result.stdout)


def wait_for(check, timeout=30, interval=1):
    """The first truthy value of check() within timeout seconds, else its last value."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)
