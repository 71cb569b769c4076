# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a dotenv file as Docker Compose reads an env_file, for a hand-run installation's .env.

The central .env of a hand-run stack is written for Compose and shell scripts, so it is read the
way Compose reads it: blank lines and ``#`` comments, ``export``, whitespace around ``=``;
unquoted values trimmed, a ``#`` after whitespace starting a comment; single quotes literal
but for ``\'``;
double quotes with ``\\n \\r \\t \\\\ \\" \\$`` escapes; both quotes may span lines (a PEM key);
``${VAR}``, ``$VAR``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?message}`` and
``${VAR?message}``, ``${VAR:+alt}``, ``${VAR+alt}`` (not nested) in unquoted and double-quoted values, resolved from keys defined earlier in the
file, then from ``environ``; ``$$`` is a literal ``$``. A reference to nothing is empty, with a
warning. Messages name lines and keys, never a value: the values are secrets. Private to
korczewski.platform; standard library only.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_REFERENCE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
# An escaped $ becomes this marker until interpolation is done, so it is never a reference.
_DOLLAR = "\x00"
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": _DOLLAR, "'": "'"}


class DotenvError(ValueError):
    """A line that is not KEY=value; the message names the line and the key, never the value."""

    def __init__(self, line, message, key=None):
        super().__init__("line %d: %s" % (line, message))
        self.line = line
        self.key = key


class DotenvResult:
    """The file's values in file order and what deserves a word without being an error."""

    def __init__(self):
        self.values = {}
        self.warnings = []


def _quoted(text, pos, quote, line, key):
    """The raw text between a quote at pos and its closing quote, and the position after it."""
    index = pos + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and (quote == '"' or text[index + 1] == "'"):
            index += 2
            continue
        if char == quote:
            return text[pos + 1:index], index + 1
        index += 1
    raise DotenvError(line, "the %s quote of %s opened here is never closed" % ("double" if quote == '"' else "single", key), key)


def _unescape(raw):
    """Double-quoted escapes; an escaped $ stays marked so interpolation leaves it alone."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), raw, flags=re.S)


def _interpolate(value, known, environ, line, key, warnings):
    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        if name in known:
            found = known[name]
        elif environ is not None and name in environ:
            found = str(environ[name])
        else:
            found = None
        if operator in (":-", "-"):
            if found is None or (operator == ":-" and found == ""):
                return _interpolate(argument or "", known, environ, line, key, warnings)
            return found
        if operator in (":+", "+"):
            if found is None or (operator == ":+" and found == ""):
                return ""
            return _interpolate(argument or "", known, environ, line, key, warnings)
        if operator in (":?", "?"):
            if found is None or (operator == ":?" and found == ""):
                raise DotenvError(line, "%s requires %s: %s" % (key, name, argument or "it is not set"), key)
            return found
        if found is None:
            warnings.append("line %d: %s refers to %s, which is not defined: it is empty" % (line, key, name))
            return ""
        return found
    return _REFERENCE.sub(replace, value)


def _value(text, pos, line, key, known, environ, warnings):
    """The value starting at pos, the position after it and the number of lines it spanned."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    end_of_line = text.find("\n", pos)
    end_of_line = len(text) if end_of_line < 0 else end_of_line
    if pos < len(text) and text[pos] in "'\"":
        quote = text[pos]
        raw, after = _quoted(text, pos, quote, line, key)
        rest_end = text.find("\n", after)
        rest_end = len(text) if rest_end < 0 else rest_end
        rest = text[after:rest_end].strip()
        if rest and not rest.startswith("#"):
            raise DotenvError(line, "%s: only a comment may follow the closing quote" % key, key)
        if quote == "'":
            value = raw.replace("\\'", "'")
        else:
            value = _interpolate(_unescape(raw), known, environ, line, key, warnings).replace(_DOLLAR, "$")
        return value, rest_end, raw.count("\n")
    raw = text[pos:end_of_line]
    comment = re.search(r"[ \t]#", raw)
    if comment:
        raw = raw[:comment.start()]
    return _interpolate(raw.strip(), known, environ, line, key, warnings), end_of_line, 0


def parse_dotenv(text, environ=None):
    """The values of a dotenv text (see the module's docstring), as a DotenvResult."""
    result = DotenvResult()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    defined_at = {}
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        stripped = text[pos:end].strip()
        if not stripped or stripped.startswith("#"):
            pos, line = end + 1, line + 1
            continue
        start = pos + len(text[pos:end]) - len(text[pos:end].lstrip())
        if text.startswith("export", start) and text[start + 6:start + 7] in (" ", "\t"):
            start += 7
            while start < end and text[start] in " \t":
                start += 1
        match = _KEY.match(text, start)
        after_key = match.end() if match else start
        equals = after_key
        while equals < end and text[equals] in " \t":
            equals += 1
        if not match or equals >= end or text[equals] != "=":
            # Never the line's text: it may be part of a value (an unquoted PEM line, say).
            if "=" in text[start:end]:
                raise DotenvError(line, "no valid variable name before = (letters, digits, _ . -; not a digit first)")
            raise DotenvError(line, "expected KEY=value")
        key = match.group(0)
        value, pos, spanned = _value(text, equals + 1, line, key, result.values, environ, result.warnings)
        if key in defined_at:
            result.warnings.append("line %d: %s is defined again (first on line %d); the last one counts"
                                   % (line, key, defined_at[key]))
            del result.values[key]
        defined_at[key] = line
        result.values[key] = value
        pos, line = pos + 1, line + spanned + 1
    return result
