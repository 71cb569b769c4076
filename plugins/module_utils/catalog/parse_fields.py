# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shapes of the catalog's fields: the error collector (:class:`Checker`) that parsing
hands to every rule, and the checks of one value each (strings, ports, durations, environment
values, secret variables, health paths and conditions), every error named by its path, and the
two grammars of what reaches a shell or a Traefik rule: URL paths and host names.

Part of reading the catalog (catalog/parse.py); private to korczewski.platform (see
catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import re
import string

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.dotenv import ENV_NAME_RE, env_value
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import SecretVar
from ansible_collections.korczewski.platform.plugins.module_utils.health.conditions import parse_conditions

SECRET_ENV_KEYS = ("name", "secret", "format", "file")
# The placeholders of a secret_env format: the value as is, or percent-encoded for a URL.
SECRET_PLACEHOLDERS = ("{secret}", "{secret|urlencode}")
# Go durations, as Compose and Docker read them: 90s, 1m30s, 10m, 1h.
DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|ns))+$")
DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001, "ns": 0.000000001}

# URL paths (health paths, route paths) end up in a CMD-SHELL health check and inside a Traefik
# rule's backticks, which cannot be escaped: so the grammar is RFC 3986's path characters less
# every one a shell or a Traefik rule reads: the sub-delimiters ! $ & ' ( ) * ; are out (percent-
# encode them), and so are '?' and '#': a health probe and a PathPrefix match a path, never a query
# (a health answer is judged by its conditions, not by query arguments), and a fragment never
# reaches the server at all.
URL_PATH_CHARS = frozenset(string.ascii_letters + string.digits + "-._~" + "/:@+,=")
URL_PATH_ALLOWED = "letters, digits, '-._~/:@+,=' and %XX"
HEX_PAIR_RE = re.compile(r"^[0-9A-Fa-f]{2}$")
SHELL_CHARS = frozenset("$;&|()<>*!'\"\\{}[]^")
# Host names (RFC 1123) end up in Host(`...`) rules and URLs. Lower case only: host names are
# claimed by their spelling, so two spellings of one name must not both pass.
HOST_NAME_CHARS = frozenset(string.ascii_lowercase + string.digits + "-")
HOST_NAME_MAX = 253
HOST_LABEL_MAX = 63


def _char(ch):
    """A character as an error message names it: visibly, even when it is blank or a control."""
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return", "`": "a backtick '`'",
             "'": "a single quote", '"': "a double quote", "\\": "a backslash"}
    if ch in names:
        return names[ch]
    return "'%s'" % ch if ch.isprintable() else "U+%04X" % ord(ch)


def url_path_problem(value):
    """What makes value (a string starting with '/') no URL path of the catalog, or None."""
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "%":
            if HEX_PAIR_RE.match(value[i + 1:i + 3]):
                i += 3
                continue
            return "'%%' at position %d does not start a percent-encoded byte (%%XX)" % i
        if ch not in URL_PATH_CHARS:
            if ch == "`":
                why = "a shell runs what it encloses, and it would end a Traefik rule's string"
            elif ch in SHELL_CHARS:
                why = "a shell would read it"
            elif ch in "?#":
                why = "a health or route path carries no query or fragment"
            elif ch.isspace() or not ch.isprintable():
                why = "whitespace and control characters end a URL"
            else:
                why = "it is not a URL path character (RFC 3986)"
            # Percent-encoded, the character is plain path text; a query or a fragment has no such spelling.
            encoded = " (write %%%02X)" % ord(ch) if ord(ch) < 128 and ch.isprintable() and ch not in "?#" else ""
            return "%s at position %d is not allowed: %s%s; allowed are %s" % (_char(ch), i, why, encoded, URL_PATH_ALLOWED)
        i += 1
    return None


def host_name_problem(name):
    """What makes name no host name (RFC 1123 labels separated by dots, lower case), or None."""
    if len(name) > HOST_NAME_MAX:
        return "it is %d characters long, at most %d" % (len(name), HOST_NAME_MAX)
    position = 0
    for label in name.split("."):
        if not label:
            return "empty label at position %d (two dots, or a dot at an end)" % position
        if len(label) > HOST_LABEL_MAX:
            return "label '%s' is %d characters long, at most %d" % (label, len(label), HOST_LABEL_MAX)
        for i, ch in enumerate(label):
            if ch not in HOST_NAME_CHARS:
                return ("%s at position %d is not allowed: a label has lower-case letters, digits and '-'"
                        % (_char(ch), position + i))
        if label[0] == "-" or label[-1] == "-":
            return "label '%s' %s with '-'" % (label, "starts" if label[0] == "-" else "ends")
        position += len(label) + 1
    return None


def typename(value):
    if value is None:
        return "null"
    if value == "":
        return "an empty string"
    # isinstance, not type(): Ansible hands over subclasses such as _AnsibleLazyTemplateDict.
    for kind, name in ((bool, "boolean"), (dict, "mapping"), (list, "list"), (str, "string"), (int, "integer"),
                       (float, "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


class Checker(object):
    """Collects errors with their paths while the raw data is parsed."""

    def __init__(self):
        self.errors = []
        self.warnings = []
        self.reported = set()

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))
        self.reported.add(path)

    def has_error(self, path):
        """Whether path already has an error: a rule does not call a rejected value missing too."""
        return path in self.reported

    def warn(self, path, message):
        self.warnings.append("%s: %s" % (path, message))

    def mapping(self, value, path, allowed=None):
        if not isinstance(value, dict):
            self.error(path, "must be a mapping, got %s" % typename(value))
            return None
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.error("%s.%s" % (path, key), "unknown key '%s' (expected one of: %s)"
                               % (key, ", ".join(allowed)))
        return value

    def seq(self, value, path):
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list, got %s" % typename(value))
            return []
        return value

    def string(self, value, path, required=False, pattern=None, what=None):
        if value is None:
            if required:
                self.error(path, "is required")
            return None
        if not isinstance(value, str) or not value:
            self.error(path, "must be a non-empty string, got %s" % typename(value))
            return None
        if pattern is not None and not pattern.match(value):
            self.error(path, "'%s' is not a valid %s" % (value, what))
            return None
        return value

    def choice(self, value, path, choices, what):
        if value is None:
            self.error(path, "is required")
            return None
        if value not in choices:
            self.error(path, "unknown %s '%s' (expected one of: %s)" % (what, value, ", ".join(choices)))
            return None
        return value

    def port(self, value, path):
        # Inventory templating may hand over "5500" where YAML said 5500.
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "port must be an integer, got %s" % typename(value))
            return None
        if not 1 <= value <= 65535:
            self.error(path, "port %d is out of range 1..65535" % value)
            return None
        return value

    def boolean(self, value, path, default=False):
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, "must be true or false, got %s" % typename(value))
            return default
        return value

    def env(self, value, path):
        result = {}
        if value is None:
            return result
        if self.mapping(value, path) is None:
            return result
        for key, val in value.items():
            if not isinstance(key, str) or not ENV_NAME_RE.match(key):
                self.error("%s.%s" % (path, key), "'%s' is not a valid environment variable name" % key)
                continue
            # A null would silently become an empty string: in the catalog it is a mistake.
            if isinstance(val, (dict, list)) or val is None:
                self.error("%s.%s" % (path, key), "must be a string, number or boolean, got %s" % typename(val))
                continue
            result[key] = env_value(val)
        return result

    def secret_vars(self, value, path):
        """secret_env: NAME (the secret <service>/NAME) or {name, secret, format} (another
        variable name for a secret, or the secret embedded in a text such as a URL)."""
        result = []
        for i, item in enumerate(self.seq(value, path)):
            ipath = "%s[%d]" % (path, i)
            if not isinstance(item, dict):
                name = self.string(item, ipath, pattern=ENV_NAME_RE, what="environment variable name")
                if name:
                    result.append(SecretVar(name))
                continue
            self.mapping(item, ipath, SECRET_ENV_KEYS)
            name = self.string(item.get("name"), ipath + ".name", required=True, pattern=ENV_NAME_RE,
                               what="environment variable name")
            secret = self.string(item.get("secret"), ipath + ".secret", pattern=ENV_NAME_RE, what="secret name")
            fmt = self.string(item.get("format"), ipath + ".format")
            if fmt is not None and not any(p in fmt for p in SECRET_PLACEHOLDERS):
                self.error(ipath + ".format", "must contain %s where the secret goes" % " or ".join(SECRET_PLACEHOLDERS))
                fmt = None
            as_file = self.boolean(item.get("file"), ipath + ".file")
            if name and (item.get("secret") is None or secret) and (item.get("format") is None or fmt):
                result.append(SecretVar(name, secret, fmt, as_file))
        return result

    def duration(self, value, path):
        """A Compose duration ("90s", "1m30s"); an integer is seconds."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return "%ds" % value
        if isinstance(value, str) and DURATION_RE.match(value):
            return value
        self.error(path, "must be a duration such as 90s, 5m or 1m30s (or whole seconds), got %r" % (value,))
        return None

    def health_path(self, value, path):
        if value is None:
            return None
        if isinstance(value, dict):
            self.mapping(value, path, ("path", "conditions"))
            value = value.get("path")
            path += ".path"
        return self.url_path(value, path, "health path")

    def url_path(self, value, path, what):
        """A health or route path: '/' and the path characters of URL_PATH_CHARS."""
        if not isinstance(value, str) or not value.startswith("/"):
            self.error(path, "%s must be a string starting with '/', got %r" % (what, value))
            return None
        problem = url_path_problem(value)
        if problem:
            self.error(path, "%s %r: %s" % (what, value, problem))
            return None
        return value

    def hostname(self, value, path):
        """A host name, a single label (below platform_domain) or fully qualified."""
        value = self.string(value, path)
        problem = host_name_problem(value) if value else None
        if problem:
            self.error(path, "'%s' is not a valid host name: %s" % (value, problem))
            return None
        return value


def health_conditions(chk, value, path):
    """Extra conditions a service adds to its health probe (``health: {path, conditions}``), in
    korczewski.platform.service_health's grammar, checked here so a typo fails validation."""
    if not isinstance(value, dict) or value.get("conditions") is None:
        return []
    path += ".conditions"
    texts = [text for i, text in enumerate(chk.seq(value.get("conditions"), path))
             if chk.string(text, "%s[%d]" % (path, i))]
    dummy, errors = parse_conditions(texts)
    for error in errors:
        chk.error(path, error)
    return texts if not errors else []


def duration_seconds(value):
    """Seconds of a Compose duration string (as validated above)."""
    return sum(float(n) * DURATION_UNITS[u] for n, u in DURATION_PART_RE.findall(value or ""))
