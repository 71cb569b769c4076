# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Health conditions in the style of Gatus: ``[STATUS] == 200``, ``[BODY].items[0].id != 3``.

Private to the collection; standard library only. Grammar::

    condition   := left SP* operator SP* right
    left        := placeholder | len(placeholder) | has(placeholder)
    placeholder := [STATUS] | [RESPONSE_TIME] | [CONNECTED] | [CERTIFICATE_EXPIRATION]
                 | [CONTAINER_HEALTH] | [CONTAINER_STATE] | [BODY] path
    path        := ( .key | [index] )*
    operator    := == | != | < | <= | > | >=
    right       := any(scalar, ...) | pat(glob) | placeholder | scalar
    scalar      := number | duration | true | false | bare string

Unlike Gatus, a value that does not resolve (a missing key, a body that is not JSON, an index out
of range, a placeholder the probe did not measure) fails the condition instead of comparing as
text, and the reason names the part that did not resolve. Mistakes that can be seen without
probing (unknown placeholders, a duration compared with a status code, ``<`` against a string)
raise ``ConditionError`` when the condition is parsed.
"""

from __future__ import annotations

import fnmatch
import json
import re

PLACEHOLDERS = ("STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION", "CONNECTED",
                "CONTAINER_HEALTH", "CONTAINER_STATE")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
ORDERING = ("<", "<=", ">", ">=")

# Multiplier from a duration in seconds to the placeholder's own unit.
TIME_UNITS = {"RESPONSE_TIME": 1000.0, "CERTIFICATE_EXPIRATION": 1.0}

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_CONDITION = re.compile(
    r"^(?:(?P<func>len|has)\((?P<inner>[^()]*)\)|(?P<plain>\[[^\]]*\][^\s=!<>]*))"
    r"\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<right>.*?)$", re.S)
_PLACEHOLDER = re.compile(r"^\[(?P<name>[^\]]*)\](?P<path>.*)$", re.S)
_PATH_PART = re.compile(r"\.(?P<key>[^.\[\]\s]+)|\[(?P<index>\d+)\]")
_CALL = re.compile(r"^(?P<func>any|pat)\((?P<args>.*)\)$", re.S)
_MAX_SHOWN = 120


class ConditionError(ValueError):
    """A condition that cannot be evaluated, whatever the probe returns."""


class Unresolved(Exception):
    """A placeholder or path that has no value for this probe result."""


def parse_duration(text):
    """Seconds in a duration such as ``48h``, ``1h30m``, ``500ms`` or ``7d``; ValueError otherwise."""
    text = str(text).strip()
    if not _DURATION.match(text):
        raise ValueError("not a duration: %r (use a number with ms, s, m, h, d or w, e.g. 48h)" % text)
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(text))


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return {dict: "object", list: "array"}.get(type(value), "string")


def as_text(value):
    """The text a value compares as: JSON spelling for everything but strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _as_number(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return None


class Placeholder:
    """``[NAME]`` with an optional JSON path (only ``[BODY]`` has one)."""

    def __init__(self, text):
        match = _PLACEHOLDER.match(text.strip())
        if not match:
            raise ConditionError("%r is not a placeholder such as [STATUS]" % text)
        self.name = match.group("name")
        if self.name not in PLACEHOLDERS:
            raise ConditionError("unknown placeholder [%s]; known: %s"
                                 % (self.name, ", ".join("[%s]" % p for p in PLACEHOLDERS)))
        self.path = []
        rest = match.group("path")
        pos = 0
        while pos < len(rest):
            part = _PATH_PART.match(rest, pos)
            if not part:
                raise ConditionError("bad path %r after [%s]: use .key and [index] steps, e.g. [BODY].items[0].id"
                                     % (rest[pos:], self.name))
            self.path.append(part.group("key") if part.group("key") is not None else int(part.group("index")))
            pos = part.end()
        if self.path and self.name != "BODY":
            raise ConditionError("only [BODY] takes a path, not [%s]" % self.name)
        self.text = "[%s]%s" % (self.name, rest)

    def resolve(self, facts):
        """The value in facts (``name -> value``); Unresolved with the reason when there is none."""
        if facts.get(self.name) is None:
            why = facts.get("_missing", {}).get(self.name) or "not measured"
            raise Unresolved("%s has no value: %s" % ("[%s]" % self.name, why))
        value = facts[self.name]
        if not self.path:
            return value
        try:
            return self._walk(value)
        except Unresolved as exc:
            raise Unresolved("%s did not resolve: %s" % (self.text, exc))

    def _walk(self, value):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise Unresolved("[BODY] is not JSON (%s)" % exc)
        where = "[BODY]"
        for step in self.path:
            if isinstance(step, int):
                if not isinstance(value, list):
                    raise Unresolved("%s is %s %s, not an array" % (where, _article(value), json_type(value)))
                if step >= len(value):
                    raise Unresolved("index %d is out of range: %s has %d element%s"
                                     % (step, where, len(value), "" if len(value) == 1 else "s"))
                value = value[step]
                where += "[%d]" % step
            else:
                if not isinstance(value, dict):
                    raise Unresolved("%s is %s %s, not an object" % (where, _article(value), json_type(value)))
                if step not in value:
                    raise Unresolved("%s has no key %r" % (where, step))
                value = value[step]
                where += "." + step
        return value


def _article(value):
    return "an" if json_type(value)[0] in "aeiou" else "a"


class Scalar:
    """A right-hand value; what it means (number, duration, boolean, text) depends on the left."""

    def __init__(self, text):
        self.text = text.strip()
        if not self.text:
            raise ConditionError("empty value")
        self.number = None
        if _NUMBER.match(self.text):
            self.number = float(self.text) if "." in self.text else int(self.text)
        self.seconds = parse_duration(self.text) if _DURATION.match(self.text) else None
        self.boolean = {"true": True, "false": False}.get(self.text.lower())

    def quantity(self, unit):
        """The number to compare with a placeholder measured in ``unit`` (None: plain number)."""
        if unit is not None and self.seconds is not None:
            return self.seconds * unit
        return self.number

    def equals(self, value, unit):
        if isinstance(value, bool):
            return self.boolean is not None and value == self.boolean
        wanted = self.quantity(unit)
        number = _as_number(value)
        if wanted is not None and number is not None:
            return number == wanted
        return as_text(value) == self.text


class Condition:
    """One parsed condition; ``evaluate(facts)`` says whether a probe result meets it and why not."""

    def __init__(self, text):
        if not isinstance(text, str):
            raise ConditionError("a condition is a string, got %s" % type(text).__name__)
        self.text = text.strip()
        match = _CONDITION.match(self.text)
        if not match:
            raise ConditionError("expected '<placeholder> <operator> <value>' with an operator of %s"
                                 % " ".join(OPERATORS))
        self.func = match.group("func")
        self.left = Placeholder(match.group("inner") if self.func else match.group("plain"))
        self.op = match.group("op")
        self.values, self.pattern, self.right, self.is_any = [], None, None, False
        self._parse_right(match.group("right"))
        self._check()

    @property
    def placeholders(self):
        names = {self.left.name}
        if self.right is not None:
            names.add(self.right.name)
        return names

    def _parse_right(self, text):
        text = text.strip()
        if not text:
            raise ConditionError("nothing to compare with after %r" % self.op)
        call = _CALL.match(text)
        if call and call.group("func") == "pat":
            if not call.group("args"):
                raise ConditionError("pat() needs a pattern, e.g. pat(*UP*)")
            self.pattern = call.group("args")
        elif call:
            parts = call.group("args").split(",")
            if not call.group("args").strip() or not all(p.strip() for p in parts):
                raise ConditionError("any() needs values separated by commas, e.g. any(200, 204)")
            self.values = [Scalar(p) for p in parts]
            self.is_any = True
        elif text.startswith("["):
            self.right = Placeholder(text)
        else:
            self.values = [Scalar(text)]

    def _unit(self):
        return None if self.func else TIME_UNITS.get(self.left.name)

    def _check(self):
        left = "%s(%s)" % (self.func, self.left.text) if self.func else self.left.text
        if self.func == "len" and self.left.name != "BODY":
            raise ConditionError("len() takes [BODY] or a [BODY] path, not %s" % self.left.text)
        if (self.pattern is not None or self.is_any) and self.op not in ("==", "!="):
            raise ConditionError("any() and pat() work with == and != only, not %s" % self.op)
        if self.func == "has" or (not self.func and self.left.name == "CONNECTED"):
            if self.pattern is not None or self.right is not None or any(v.boolean is None for v in self.values):
                raise ConditionError("%s compares with true or false" % left)
        if self.op in ORDERING:
            if self.right is not None:
                return
            value = self.values[0]
            if value.quantity(self._unit()) is None:
                if value.seconds is not None:
                    raise ConditionError("%s is not a time: compare it with a number, not the duration %s"
                                         % (left, value.text))
                raise ConditionError("%s needs a number%s to its right, got %r"
                                     % (self.op, " or a duration" if self._unit() else "", value.text))
        if not self.func and self.left.name == "CERTIFICATE_EXPIRATION":
            bare = [v.text for v in self.values if v.seconds is None]
            if bare or self.pattern is not None:
                raise ConditionError("compare [CERTIFICATE_EXPIRATION] with a duration such as 48h or 30d, got %s"
                                     % (", ".join(bare) or "pat()"))

    def _left_value(self, facts):
        if self.func == "has":
            try:
                self.left.resolve(facts)
            except Unresolved:
                return False
            return True
        value = self.left.resolve(facts)
        if self.func == "len":
            if not isinstance(value, (str, list, dict)):
                raise Unresolved("len(%s): %s is %s %s, which has no length"
                                 % (self.left.text, self.left.text, _article(value), json_type(value)))
            return len(value)
        return value

    def evaluate(self, facts):
        """``(True, None)`` when met, else ``(False, reason)``, reason quoting the value found.

        ``facts`` maps placeholder names to values (``BODY`` as text, ``RESPONSE_TIME`` in ms,
        ``CERTIFICATE_EXPIRATION`` in seconds); ``facts["_missing"]`` may say why a name has none.
        """
        try:
            value = self._left_value(facts)
            other = self.right.resolve(facts) if self.right is not None else None
        except Unresolved as exc:
            return False, str(exc)
        if self._compare(value, other):
            return True, None
        got = "got %s" % self._show(value)
        if self.right is not None:
            got += ", %s is %s" % (self.right.text, self._show(other))
        return False, got

    def _compare(self, value, other):
        unit = self._unit()
        if self.right is not None:
            if self.op in ORDERING:
                a, b = _as_number(value), _as_number(other)
                return a is not None and b is not None and _order(self.op, a, b)
            a, b = _as_number(value), _as_number(other)
            same = a == b if a is not None and b is not None else as_text(value) == as_text(other)
            return same == (self.op == "==")
        if self.pattern is not None:
            return fnmatch.fnmatchcase(as_text(value), self.pattern) == (self.op == "==")
        if self.op in ORDERING:
            number = _as_number(value)
            return number is not None and _order(self.op, number, self.values[0].quantity(unit))
        matched = any(v.equals(value, unit) for v in self.values)
        return matched == (self.op == "==")

    def _show(self, value):
        if not self.func and self.left.name == "RESPONSE_TIME" and isinstance(value, (int, float)):
            return "%dms" % round(value)
        if not self.func and self.left.name == "CERTIFICATE_EXPIRATION" and isinstance(value, (int, float)):
            return "%.1fh" % (value / 3600.0)
        text = as_text(value)
        if text == "":
            return '""'
        return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."

    def __repr__(self):
        return "Condition(%r)" % self.text


def _order(op, a, b):
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def parse_conditions(texts):
    """Parse every condition; returns (conditions, errors) with each error naming its condition."""
    conditions, errors = [], []
    for text in texts:
        try:
            conditions.append(Condition(text))
        except ConditionError as exc:
            errors.append("condition %r: %s" % (text, exc))
    return conditions, errors
