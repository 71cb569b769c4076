# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health condition language: parsing, evaluation, fail-closed paths, durations."""

from __future__ import annotations

import json

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.health.conditions import (
    Condition,
    ConditionError,
    as_text,
    parse_conditions,
    parse_duration,
)

BODY = json.dumps({
    "status": "UP",
    "items": [{"id": 1}, {"id": 2}, {"id": 3}],
    "nested": {"a": {"b": [{"c": "deep"}]}},
    "count": 3,
    "ratio": 0.5,
    "ok": True,
    "nothing": None,
    "empty": "",
    "version": "2.4.1",
    "numeric_text": "42",
})


def facts(**extra):
    base = {"STATUS": 200, "RESPONSE_TIME": 123.4, "BODY": BODY, "CERTIFICATE_EXPIRATION": 50 * 3600.0,
            "CONNECTED": True, "CONTAINER_HEALTH": "healthy", "CONTAINER_STATE": "running", "_missing": {}}
    base.update(extra)
    return base


def evaluate(text, **extra):
    return Condition(text).evaluate(facts(**extra))


@pytest.mark.parametrize("text", [
    "[STATUS] == 200",
    "[STATUS]==200",
    "  [STATUS]   ==   200  ",
    "[STATUS] != 500",
    "[STATUS] < 300",
    "[STATUS] <= 200",
    "[STATUS] > 199",
    "[STATUS] >= 200",
    "[STATUS] == 200.0",
    "[STATUS] == any(200, 204)",
    "[STATUS] != any(500, 502, 503)",
    "[STATUS] == pat(2*)",
    "[BODY].status == UP",
    "[BODY].status != DOWN",
    "[BODY].items[1].id == 2",
    "[BODY].nested.a.b[0].c == deep",
    "[BODY].count == 3",
    "[BODY].count > 2",
    "[BODY].ratio < 1",
    "[BODY].ok == true",
    "[BODY].ok == TRUE",
    "[BODY].ok != false",
    "[BODY].nothing == null",
    "len([BODY].empty) == 0",
    "[BODY].version == pat(2.*)",
    "[BODY].version != pat(3.*)",
    "[BODY].numeric_text == 42",
    "[BODY].numeric_text > 41",
    "[BODY].items[0] == {\"id\":1}",
    "[BODY] == pat(*\"status\": \"UP\"*)",
    "len([BODY].items) == 3",
    "len([BODY].status) == 2",
    "len([BODY].nested) == 1",
    "len([BODY]) > 100",
    "has([BODY].status) == true",
    "has([BODY].missing) == false",
    "has([BODY].items[9]) == false",
    "[BODY].count == [BODY].items[2].id",
    "[BODY].count > [BODY].items[0].id",
    "[RESPONSE_TIME] < 500",
    "[RESPONSE_TIME] < 1s",
    "[RESPONSE_TIME] > 100ms",
    "[CERTIFICATE_EXPIRATION] > 48h",
    "[CERTIFICATE_EXPIRATION] < 3d",
    "[CERTIFICATE_EXPIRATION] > 1d23h",
    "[CERTIFICATE_EXPIRATION] >= 2880m",
    "[CONNECTED] == true",
    "[CONTAINER_HEALTH] == healthy",
    "[CONTAINER_HEALTH] == any(healthy, starting)",
    "[CONTAINER_STATE] == running",
])
def test_passing_conditions(text):
    assert evaluate(text) == (True, None)


@pytest.mark.parametrize("text, reason", [
    ("[STATUS] == 200", "got 502"),
    ("[STATUS] < 500", "got 502"),
    ("[STATUS] == any(200, 204)", "got 502"),
    ("[STATUS] != any(500, 502)", "got 502"),
    ("[STATUS] == pat(2*)", "got 502"),
])
def test_failing_status_names_the_value(text, reason):
    assert evaluate(text, STATUS=502) == (False, reason)


@pytest.mark.parametrize("text, reason", [
    ("[BODY].status == DOWN", "got UP"),
    ("[BODY].count < 3", "got 3"),
    ("[BODY].ok == false", "got true"),
    ("len([BODY].items) > 5", "got 3"),
    ("[BODY].empty == x", 'got ""'),
    ("has([BODY].status) == false", "got true"),
    ("[BODY].count == [BODY].ratio", "got 3, [BODY].ratio is 0.5"),
    ("[RESPONSE_TIME] < 100", "got 123ms"),
    ("[RESPONSE_TIME] < 0.1s", "got 123ms"),
    ("[CERTIFICATE_EXPIRATION] > 7d", "got 50.0h"),
    ("[CONNECTED] == false", "got true"),
    ("[CONTAINER_HEALTH] != healthy", "got healthy"),
])
def test_failing_conditions_quote_what_was_found(text, reason):
    assert evaluate(text) == (False, reason)


def test_long_values_are_shortened_in_reasons():
    ok, reason = evaluate("[BODY] == short", BODY="x" * 500)
    assert not ok
    assert reason == "got " + "x" * 120 + "..."


@pytest.mark.parametrize("text, reason", [
    ("[BODY].missing == 1", "[BODY].missing did not resolve: [BODY] has no key 'missing'"),
    ("[BODY].nested.a.x == 1", "[BODY].nested.a.x did not resolve: [BODY].nested.a has no key 'x'"),
    ("[BODY].items[3].id == 1", "[BODY].items[3].id did not resolve: index 3 is out of range: "
                                "[BODY].items has 3 elements"),
    ("[BODY].status.x == 1", "[BODY].status.x did not resolve: [BODY].status is a string, not an object"),
    ("[BODY].status[0] == U", "[BODY].status[0] did not resolve: [BODY].status is a string, not an array"),
    ("[BODY].items.id == 1", "[BODY].items.id did not resolve: [BODY].items is an array, not an object"),
    ("[BODY][0] == 1", "[BODY][0] did not resolve: [BODY] is an object, not an array"),
    ("len([BODY].count) == 1", "len([BODY].count): [BODY].count is a number, which has no length"),
    ("len([BODY].missing) == 0", "[BODY].missing did not resolve: [BODY] has no key 'missing'"),
    ("[BODY].count == [BODY].missing", "[BODY].missing did not resolve: [BODY] has no key 'missing'"),
])
def test_unresolved_paths_fail_closed(text, reason):
    assert evaluate(text) == (False, reason)


def test_unresolved_path_fails_even_with_not_equal():
    # Gatus would compare the literal text and pass; a typo in a path must not look healthy.
    assert evaluate("[BODY].staus != DOWN")[0] is False


def test_body_that_is_not_json_fails_path_conditions():
    ok, reason = evaluate("[BODY].status == UP", BODY="<html>Bad Gateway</html>")
    assert not ok
    assert reason.startswith("[BODY].status did not resolve: [BODY] is not JSON (")


def test_raw_body_still_works_when_not_json():
    assert evaluate("[BODY] == pat(*Gateway*)", BODY="<html>Bad Gateway</html>") == (True, None)


def test_top_level_array_index():
    assert evaluate("[BODY][1].name == b", BODY='[{"name": "a"}, {"name": "b"}]') == (True, None)


def test_missing_placeholder_gives_the_probe_error():
    ok, reason = evaluate("[STATUS] == 200", STATUS=None, _missing={"STATUS": "connection refused"})
    assert (ok, reason) == (False, "[STATUS] has no value: connection refused")


def test_missing_placeholder_without_a_reason():
    ok, reason = Condition("[CERTIFICATE_EXPIRATION] > 1h").evaluate({"STATUS": 200})
    assert (ok, reason) == (False, "[CERTIFICATE_EXPIRATION] has no value: not measured")


def test_empty_body_is_a_value_not_a_missing_one():
    assert evaluate("len([BODY]) == 0", BODY="") == (True, None)


def test_has_turns_a_missing_placeholder_into_false():
    assert Condition("has([CERTIFICATE_EXPIRATION]) == false").evaluate({}) == (True, None)


def test_negative_certificate_expiration_fails():
    assert evaluate("[CERTIFICATE_EXPIRATION] > 0s", CERTIFICATE_EXPIRATION=-7200.0) == (False, "got -2.0h")


@pytest.mark.parametrize("text, seconds", [
    ("48h", 172800.0), ("30m", 1800.0), ("7d", 604800.0), ("2w", 1209600.0), ("500ms", 0.5), ("45s", 45.0),
    ("1h30m", 5400.0), ("1.5h", 5400.0), ("1d12h", 129600.0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "48", "h", "48x", "4 8h", "-1h", "1h-30m"])
def test_not_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("value, text", [
    ("x", "x"), (True, "true"), (False, "false"), (None, "null"), (3, "3"), (3.0, "3"), (0.5, "0.5"),
    ([1, 2], "[1,2]"), ({"a": 1}, '{"a":1}'),
])
def test_values_compare_as_json_text(value, text):
    assert as_text(value) == text


@pytest.mark.parametrize("text, message", [
    ("STATUS == 200", "expected '<placeholder> <operator> <value>'"),
    ("[STATUS] 200", "expected '<placeholder> <operator> <value>'"),
    ("[STATUS] =~ 200", "expected '<placeholder> <operator> <value>'"),
    ("[STATUS] ==", "nothing to compare with after '=='"),
    ("[STATU] == 200", "unknown placeholder [STATU]; known: [STATUS]"),
    ("[status] == 200", "unknown placeholder [status]"),
    ("[IP] == 127.0.0.1", "unknown placeholder [IP]"),
    ("[STATUS].code == 200", "only [BODY] takes a path, not [STATUS]"),
    ("[BODY].a..b == 1", "bad path '..b' after [BODY]"),
    ("[BODY].a[x] == 1", "bad path '[x]' after [BODY]"),
    ("[BODY].a[-1] == 1", "bad path '[-1]' after [BODY]"),
    ("[STATUS] < up", "< needs a number to its right, got 'up'"),
    ("[RESPONSE_TIME] < fast", "< needs a number or a duration to its right, got 'fast'"),
    ("[STATUS] > 5m", "[STATUS] is not a time: compare it with a number, not the duration 5m"),
    ("len([BODY].items) > 1h", "len([BODY].items) is not a time"),
    ("[BODY].uptime > 5m", "[BODY].uptime is not a time"),
    ("[CERTIFICATE_EXPIRATION] > 48", "compare [CERTIFICATE_EXPIRATION] with a duration such as 48h"),
    ("[CERTIFICATE_EXPIRATION] == any(48h, 2)", "compare [CERTIFICATE_EXPIRATION] with a duration"),
    ("[CERTIFICATE_EXPIRATION] == pat(4*)", "compare [CERTIFICATE_EXPIRATION] with a duration"),
    ("[CONNECTED] == yes", "[CONNECTED] compares with true or false"),
    ("has([BODY].a) == 1", "has([BODY].a) compares with true or false"),
    ("len([STATUS]) == 1", "len() takes [BODY] or a [BODY] path, not [STATUS]"),
    ("[STATUS] < any(300, 400)", "any() and pat() work with == and != only, not <"),
    ("[BODY] >= pat(*x*)", "any() and pat() work with == and != only, not >="),
    ("[STATUS] == any()", "any() needs values separated by commas"),
    ("[STATUS] == any(200,,204)", "any() needs values separated by commas"),
    ("[STATUS] == pat()", "pat() needs a pattern"),
])
def test_malformed_conditions(text, message):
    with pytest.raises(ConditionError) as info:
        Condition(text)
    assert message in str(info.value)


def test_a_condition_must_be_a_string():
    with pytest.raises(ConditionError, match="a condition is a string, got int"):
        Condition(200)


def test_parse_conditions_collects_every_error_with_its_condition():
    conditions, errors = parse_conditions(["[STATUS] == 200", "[STATU] == 200", "[CONNECTED] == maybe"])
    assert [c.text for c in conditions] == ["[STATUS] == 200"]
    assert len(errors) == 2
    assert errors[0].startswith("condition '[STATU] == 200': unknown placeholder")
    assert errors[1] == "condition '[CONNECTED] == maybe': [CONNECTED] compares with true or false"


def test_placeholders_of_a_condition():
    assert Condition("[BODY].a == [STATUS]").placeholders == {"BODY", "STATUS"}
    assert Condition("has([CERTIFICATE_EXPIRATION]) == true").placeholders == {"CERTIFICATE_EXPIRATION"}
