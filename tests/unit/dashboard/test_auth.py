# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's login pieces: argon2 hashes, signed sessions carrying the CSRF token, the
failed-login limiter (on a fake clock) and the Basic credentials cache."""

from __future__ import annotations

import base64

import pytest

pytest.importorskip("argon2", reason="the dashboard's dependencies (dashboard/requirements.lock)")
pytest.importorskip("itsdangerous", reason="the dashboard's dependencies (dashboard/requirements.lock)")

from korczewski_dashboard import auth  # noqa: E402  pylint: disable=wrong-import-position

SECRET = "s" * 40


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_passwords_verify_only_against_their_hash():
    hashed = auth.hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert auth.verify_password(hashed, "correct horse")
    assert not auth.verify_password(hashed, "correct horse ")
    assert not auth.verify_password("not a hash", "correct horse")


def test_a_session_is_signed_and_carries_its_csrf_token():
    sessions = auth.Sessions(SECRET, max_age=60)
    cookie = sessions.issue("admin")
    session = sessions.load(cookie)
    assert session["u"] == "admin" and len(session["csrf"]) >= 32
    assert auth.csrf_ok(session, session["csrf"])
    assert not auth.csrf_ok(session, "forged") and not auth.csrf_ok(session, None) and not auth.csrf_ok(None, "x")
    tampered = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    assert sessions.load(tampered) is None
    assert auth.Sessions("o" * 40, max_age=60).load(cookie) is None
    assert sessions.load("") is None


def test_failed_logins_lock_the_address_out_then_expire():
    clock = Clock()
    limiter = auth.LoginLimiter(attempts=3, window=60, lockout=120, clock=clock)
    assert limiter.failed("10.0.0.1") == 1 and limiter.failed("10.0.0.1") == 2
    assert limiter.locked_for("10.0.0.1") == 0
    limiter.failed("10.0.0.1")
    assert 0 < limiter.locked_for("10.0.0.1") <= 121
    assert limiter.locked_for("10.0.0.2") == 0
    clock.now += 121
    assert limiter.locked_for("10.0.0.1") == 0
    # Failures older than the window do not add up.
    limiter.failed("10.0.0.3")
    clock.now += 61
    limiter.failed("10.0.0.3")
    limiter.failed("10.0.0.3")
    assert limiter.locked_for("10.0.0.3") == 0
    limiter.succeeded("10.0.0.3")
    assert limiter.failed("10.0.0.3") == 1


def test_basic_credentials_are_checked_once_then_remembered_as_an_hmac():
    basic = auth.BasicAuth("admin", auth.hash_password("pw"), SECRET)
    good = "Basic " + base64.b64encode(b"admin:pw").decode()
    bad = "Basic " + base64.b64encode(b"admin:nope").decode()
    assert not basic.cached(good)
    assert basic.check(bad) is None and basic.check("Basic !!") is None
    assert basic.check(good) == "admin" and basic.cached(good) and not basic.cached(bad)
    assert all(good not in str(key) for key in basic._ok)  # pylint: disable=protected-access
