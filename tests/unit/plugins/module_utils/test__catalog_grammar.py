# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The grammars of what reaches a shell or a Traefik rule (health paths, route paths, host names):
the good corpus, every ASCII character against each grammar, and the quoting behind them."""

from __future__ import annotations

import os
import shlex
import string

import pytest
import yaml

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog, Container
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.healthcheck import healthcheck
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import DRAIN_FILE
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.parse_fields import (
    host_name_problem,
    url_path_problem,
)

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_DOMAIN = "korczewski.de"

with open(os.path.join(HERE, "corpus", "good_catalogs.yml"), encoding="utf-8") as corpus_stream:
    GOOD = yaml.safe_load(corpus_stream)

PATH_CHARS = set(string.ascii_letters + string.digits + "-._~/:@+,=")
HOST_CHARS = set(string.ascii_lowercase + string.digits + "-.")


def _words(script):
    """The words of a shell script as sh splits them, with ';' and '&&' words of their own."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _load(case, mutate):
    services = mutate(case.get("mutations") or [])
    return Catalog.check(services, case.get("domain", BASE_DOMAIN))


@pytest.mark.parametrize("case", GOOD, ids=[case["name"] for case in GOOD])
def test_good_catalog_is_valid(case, mutate):
    catalog, errors, warnings = _load(case, mutate)
    assert (errors, warnings) == ([], [])
    assert catalog is not None


@pytest.mark.parametrize("case", GOOD, ids=[case["name"] for case in GOOD])
def test_traefik_rules_hold_host_names_and_paths_verbatim(case, mutate):
    catalog = _load(case, mutate)[0]
    rules = 0
    for svc in catalog.services.values():
        env = svc.environments.get("production")
        for cont in env.containers if env else []:
            labels = catalog.traefik_labels(svc.name, "production", cont.name)
            if not labels:
                continue
            rule = [v for k, v in labels.items() if k.endswith(".rule")][0]
            expected = "Host(`%s`)" % catalog.hostname(env)
            if cont.route.paths:
                expected += " && (%s)" % " || ".join("PathPrefix(`%s`)" % p for p in cont.route.paths)
            assert rule == expected
            rules += 1
    assert rules


@pytest.mark.parametrize("case", GOOD, ids=[case["name"] for case in GOOD])
def test_derived_probe_hands_the_url_to_curl_and_wget_as_one_word(case, mutate):
    catalog = _load(case, mutate)[0]
    probes = 0
    for svc in catalog.services.values():
        for env in svc.environments.values():
            for cont in env.containers:
                check = healthcheck(cont)
                if not check or check.get("test", [None])[0] != "CMD-SHELL" or not cont.health_path:
                    continue
                words = _words(check["test"][1])
                assert words.count("http://127.0.0.1:%d%s" % (cont.port, cont.health_path)) == 2
                assert DRAIN_FILE in words
                probes += 1
    assert probes


@pytest.mark.parametrize("char", [chr(i) for i in range(128)], ids=lambda c: "U+%04X" % ord(c))
def test_url_path_grammar_accepts_exactly_its_characters(char):
    problem = url_path_problem("/a%sb" % char)
    assert (problem is None) == (char in PATH_CHARS), problem
    if problem:
        assert "at position 2" in problem


@pytest.mark.parametrize("char", [chr(i) for i in range(128)], ids=lambda c: "U+%04X" % ord(c))
def test_host_name_grammar_accepts_exactly_its_characters(char):
    problem = host_name_problem("a%sa" % char)
    assert (problem is None) == (char in HOST_CHARS), problem


@pytest.mark.parametrize("path", ["/", "/health", "/api/v1/health", "/a%20b", "/%7e", "/%7E/x", "/-_.~", "/v1:x@y+z,w=1"])
def test_url_paths_the_grammar_keeps(path):
    assert url_path_problem(path) is None


@pytest.mark.parametrize("path, problem", [
    ("/a%", "'%' at position 2 does not start a percent-encoded byte (%XX)"),
    ("/a%2", "'%' at position 2 does not start a percent-encoded byte (%XX)"),
    ("/a%g0", "'%' at position 2 does not start a percent-encoded byte (%XX)"),
    ("/`id`", "a backtick '`' at position 1 is not allowed: a shell runs what it encloses, and it would end a Traefik rule's string "
              "(write %60); allowed are letters, digits, '-._~/:@+,=' and %XX"),
    ("/x?y", "'?' at position 2 is not allowed: a health or route path carries no query or fragment; allowed are letters, digits, "
             "'-._~/:@+,=' and %XX"),
])
def test_url_path_problems_name_the_character(path, problem):
    assert url_path_problem(path) == problem


def test_host_name_lengths():
    label = "a" * 63
    assert host_name_problem(label) is None
    assert host_name_problem(label + "a") == "label '%s' is 64 characters long, at most 63" % (label + "a")
    longest = ".".join([label] * 3 + ["a" * 61])
    assert len(longest) == 253 and host_name_problem(longest) is None
    assert host_name_problem(longest + "a") == "it is 254 characters long, at most 253"


@pytest.mark.parametrize("name, problem", [
    ("a-", "label 'a-' ends with '-'"),
    ("-a.b", "label '-a' starts with '-'"),
    ("a.", "empty label at position 2 (two dots, or a dot at an end)"),
    (".a", "empty label at position 0 (two dots, or a dot at an end)"),
    ("auth.Korczewski.de", "'K' at position 5 is not allowed: a label has lower-case letters, digits and '-'"),
])
def test_host_name_problems_name_the_label_or_character(name, problem):
    assert host_name_problem(name) == problem


@pytest.mark.parametrize("path", ["/h;touch /tmp/x", "/h$(id)", "/h`id`", "/h'x", "/h\"x", "/h && x", "/h\\x"])
def test_probe_quotes_the_url_even_where_the_grammar_was_bypassed(path):
    # Parsing never lets such a path through; a container built by hand shows that quoting alone
    # still hands it to curl as one word and runs nothing of it.
    check = healthcheck(Container(name="x", service="x", port=8080, health_path=path))
    words = _words(check["test"][1])
    assert words.count("http://127.0.0.1:8080" + path) == 2
    assert "touch" not in words and "id" not in words
