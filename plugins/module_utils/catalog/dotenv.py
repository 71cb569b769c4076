# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment values and dotenv files: how a value becomes the string a process sees, and the
env_file format docker compose reads.

The catalog, the env_file filter and npm_dev_server all turn values into strings here, so a
boolean or a null is the same text in a container and in a dev server. Private to
korczewski.platform (see catalog/catalog.py); standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.korczewski.platform.plugins.module_utils.catalog.model import CatalogError
from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.parse import DotenvError, parse_dotenv

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_value(value):
    """The string a process gets for value: booleans as true/false (YAML's spelling, not
    Python's), null as the empty string, bytes decoded as UTF-8."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def env_file_text(variables):
    """Render a compose/dotenv file. Single quotes keep values literal; the rest is escaped."""
    lines = []
    for key in sorted(variables, key=str):
        if not ENV_NAME_RE.match(str(key)):
            raise CatalogError(["'%s' is not a valid environment variable name" % key])
        value = env_value(variables[key])
        if "\r" in value:
            raise CatalogError(["%s: a carriage return is not supported in an env file" % key])
        # Compose reads a backslash before the closing single quote as an escaped quote.
        if "'" not in value and "\n" not in value and not value.endswith("\\"):
            lines.append("%s='%s'" % (key, value))
        else:
            # Double quotes: Compose turns \n back into a line break (a PEM key), \" and \$ into themselves.
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
            lines.append('%s="%s"' % (key, escaped))
    return "".join(line + "\n" for line in lines)


def parse_env_file(text):
    """Read a dotenv file (such as the seed's central .env) into a dict: the inverse of
    env_file_text. One reader for every dotenv text: dotenv/parse.py."""
    try:
        return parse_dotenv(text).values
    except DotenvError as exc:
        raise CatalogError([str(exc)])
