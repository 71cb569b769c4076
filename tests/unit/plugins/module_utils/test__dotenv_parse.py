# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dotenv reader: every quirk of a hand-written central .env, and no value in any message."""

from __future__ import annotations

import pytest

from ansible_collections.korczewski.platform.plugins.module_utils.dotenv.parse import DotenvError, parse_dotenv


@pytest.mark.parametrize("text,expected", [
    ("", {}),
    ("\n\n   \n", {}),
    ("# a comment\n  # indented comment\nA=1\n", {"A": "1"}),
    ("\ufeffA=1\r\nB=2\r\n", {"A": "1", "B": "2"}),                       # BOM and CRLF
    ("export A=1\nexport\tB=2\n", {"A": "1", "B": "2"}),
    ("  A  =  spaced out  \n", {"A": "spaced out"}),
    ("A=\n", {"A": ""}),
    ("A=value # trailing comment\n", {"A": "value"}),
    ("A=http://host/#fragment\n", {"A": "http://host/#fragment"}),       # no space before #
    ("A='single # not a comment'  # comment\n", {"A": "single # not a comment"}),
    ('A="double # not a comment" # comment\n', {"A": "double # not a comment"}),
    ("A='lit\\n $HOME ${X}'\n", {"A": "lit\\n $HOME ${X}"}),              # single quotes are literal
    ('A="tab\\tnl\\ncr\\rbs\\\\q\\"d\\$s\\\'x\\q"\n', {"A": "tab\tnl\ncr\rbs\\q\"d$s'x\\q"}),
    ('A="line one\nline two"\nB=after\n', {"A": "line one\nline two", "B": "after"}),
    ("A='line one\nline two'\n", {"A": "line one\nline two"}),
    ("A=one\nB=${A}-$A-${A:-d}-${NO:-d}-${NO-d}\n", {"A": "one", "B": "one-one-one-d-d"}),
    ("A=\nB=${A:-colon}-${A-dash}\n", {"A": "", "B": "colon-"}),        # :- also takes empty, - only unset
    ('A=one\nB="${A} \\${A} $$"\n', {"A": "one", "B": "one ${A} $"}),
    ("A=x\nA=y\n", {"A": "y"}),
    ("my.key-1=x\n", {"my.key-1": "x"}),
    ("A=#ff0000\nB= # kept\n", {"A": "#ff0000", "B": "# kept"}),       # a # needs whitespace before it
    ("A='Let\\'s go!'\n", {"A": "Let's go!"}),
    ("A=1\nB=\nC=${A:+alt}-${B:+alt}-${B+set}-${NO+x}\n", {"A": "1", "B": "", "C": "alt--set-"}),
    ("A=1\nexport", None),
])
def test_the_syntax(text, expected):
    if expected is None:
        with pytest.raises(DotenvError):
            parse_dotenv(text)
    else:
        assert parse_dotenv(text).values == expected


def test_a_central_env_as_a_hand_run_installation_keeps_it():
    text = """# --- infrastructure
POSTGRES_PASSWORD='pg#pass$word'
export AUTH_DB_PASSWORD="auth\\"db"   # the owner role's password
AUTH_DATABASE_URL=postgresql://auth_user:${AUTH_DB_PASSWORD}@shared-postgres:5432/auth_db
JWT_SECRET="j w t # $$"
SMTP_HOST=smtp.example.test
SMTP_PORT=587
STRIPE_SECRET_KEY=sk_test_123 # test key
OAUTH_KEY="-----BEGIN PRIVATE KEY-----
MIIEvQ
-----END PRIVATE KEY-----"
AUTH_URL=https://auth.${DOMAIN:-korczewski.de}/
"""
    assert parse_dotenv(text).values == {
        "POSTGRES_PASSWORD": "pg#pass$word",
        "AUTH_DB_PASSWORD": 'auth"db',
        "AUTH_DATABASE_URL": 'postgresql://auth_user:auth"db@shared-postgres:5432/auth_db',
        "JWT_SECRET": "j w t # $",
        "SMTP_HOST": "smtp.example.test",
        "SMTP_PORT": "587",
        "STRIPE_SECRET_KEY": "sk_test_123",
        "OAUTH_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
        "AUTH_URL": "https://auth.korczewski.de/",
    }


def test_line_numbers_count_the_lines_of_multi_line_values():
    result = parse_dotenv('A="1\n2\n3"\nB=${NOPE}\n')
    assert result.warnings == ["line 4: B refers to NOPE, which is not defined: it is empty"]


def test_environ_answers_what_the_file_does_not_define_and_the_file_wins():
    assert parse_dotenv("A=$HOME-$B\nB=file\nC=$B\n", environ={"HOME": "/h", "B": "env"}).values == {
        "A": "/h-env", "B": "file", "C": "file"}


def test_a_key_defined_twice_is_a_warning_naming_both_lines():
    assert parse_dotenv("A=1\n\nA=2\n").warnings == ["line 3: A is defined again (first on line 1); the last one counts"]


SECRET = "ZZsecretZZ"


@pytest.mark.parametrize("text,message", [
    ("OK=1\n%s\n" % SECRET, "line 2: expected KEY=value"),
    ("1A=%s\n" % SECRET, "line 1: no valid variable name before = (letters, digits, _ . -; not a digit first)"),
    ("A=1\nZZsecretZZ+QIBAD/AN==\n", "line 2: no valid variable name before = (letters, digits, _ . -; not a digit first)"),
    ('A="%s\nnever closed\n' % SECRET, "line 1: the double quote of A opened here is never closed"),
    ("A='%s\n" % SECRET, "line 1: the single quote of A opened here is never closed"),
    ('A="%s" %s\n' % (SECRET, SECRET), "line 1: A: only a comment may follow the closing quote"),
    ("A=${B:?B must be set}\n", "line 1: A requires B: B must be set"),
    ("B=\nA=${B:?}\n", "line 2: A requires B: it is not set"),
])
def test_an_error_names_the_line_and_key_never_the_value(text, message):
    with pytest.raises(DotenvError) as error:
        parse_dotenv(text)
    assert str(error.value) == message
    assert SECRET not in str(error.value)


def test_warnings_never_hold_a_value():
    result = parse_dotenv("A=%s\nA=%s-${NOPE}\n" % (SECRET, SECRET))
    assert result.values == {"A": SECRET + "-"}
    assert result.warnings and not any(SECRET in warning for warning in result.warnings)
