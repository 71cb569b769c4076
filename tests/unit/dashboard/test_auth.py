# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's login pieces: argon2 hashes, signed sessions carrying the CSRF token (bound to
the password, revocable), the login limiter (on a fake clock) and the Basic credentials cache."""

from __future__ import annotations

import base64

import pytest

pytest.importorskip("argon2", reason="the dashboard's dependencies (dashboard/requirements.lock)")
pytest.importorskip("itsdangerous", reason="the dashboard's dependencies (dashboard/requirements.lock)")

from korczewski_dashboard import auth  # noqa: E402  pylint: disable=wrong-import-position

SECRET = "s" * 40
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


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
    sessions = auth.Sessions(SECRET, max_age=60, password_hash=HASH)
    cookie = sessions.issue("admin")
    session = sessions.load(cookie)
    assert session["u"] == "admin" and len(session["csrf"]) >= 32
    assert auth.csrf_ok(session, session["csrf"])
    assert not auth.csrf_ok(session, "forged") and not auth.csrf_ok(session, None) and not auth.csrf_ok(None, "x")
    tampered = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    assert sessions.load(tampered) is None
    assert auth.Sessions("o" * 40, max_age=60, password_hash=HASH).load(cookie) is None
    assert sessions.load("") is None
    assert HASH not in str(session) and HASH not in cookie


def test_a_new_password_or_epoch_ends_every_session():
    cookie = auth.Sessions(SECRET, max_age=60, password_hash=HASH).issue("admin")
    assert auth.Sessions(SECRET, max_age=60, password_hash=HASH).load(cookie)
    assert auth.Sessions(SECRET, max_age=60, password_hash=HASH + "x").load(cookie) is None
    assert auth.Sessions(SECRET, max_age=60, password_hash=HASH, epoch="1").load(cookie) is None
    # A cookie signed before sessions were bound (no fingerprint, no id) is no session either.
    old = auth.Sessions(SECRET, max_age=60, password_hash=HASH).serializer.dumps({"u": "admin", "csrf": "c" * 32})
    assert auth.Sessions(SECRET, max_age=60, password_hash=HASH).load(old) is None


def test_a_logged_out_session_stays_ended_across_a_restart(tmp_path):
    clock = Clock()
    path = str(tmp_path / "revoked.json")
    sessions = auth.Sessions(SECRET, max_age=60, password_hash=HASH, revoked_file=path, clock=clock)
    ended, kept = sessions.issue("admin"), sessions.issue("admin")
    session = sessions.load(ended)
    sessions.revoke(session)
    assert sessions.load(ended) is None and not sessions.valid(session) and sessions.load(kept)
    restarted = auth.Sessions(SECRET, max_age=60, password_hash=HASH, revoked_file=path, clock=clock)
    assert restarted.load(ended) is None and restarted.load(kept)
    assert (tmp_path / "revoked.json").stat().st_mode & 0o777 == 0o600
    # An entry outlives its cookie's max age by nothing: the file does not grow without end.
    clock.now += 61
    later = auth.Sessions(SECRET, max_age=60, password_hash=HASH, revoked_file=path, clock=clock)
    later.revoke(later.load(later.issue("admin")))
    assert session["sid"] not in later._revoked  # pylint: disable=protected-access


def test_failed_logins_lock_the_address_out_then_expire():
    clock = Clock()
    limiter = auth.LoginLimiter(attempts=3, window=60, lockout=120, clock=clock)

    def fail(key):
        assert limiter.attempt(key) == 0
        return limiter.failed(key)

    assert fail("10.0.0.1") == 1 and fail("10.0.0.1") == 2
    assert limiter.locked_for("10.0.0.1") == 0
    fail("10.0.0.1")
    assert 0 < limiter.locked_for("10.0.0.1") <= 121
    assert limiter.attempt("10.0.0.1") > 0
    assert limiter.locked_for("10.0.0.2") == 0
    clock.now += 121
    assert limiter.locked_for("10.0.0.1") == 0
    # Failures older than the window do not add up.
    fail("10.0.0.3")
    clock.now += 61
    fail("10.0.0.3")
    fail("10.0.0.3")
    assert limiter.locked_for("10.0.0.3") == 0
    limiter.succeeded("10.0.0.3")
    assert fail("10.0.0.3") == 1


def test_an_attempt_counts_before_its_password_is_checked():
    """Parallel guesses: the limit is used up when they arrive, not when their checks finish."""
    limiter = auth.LoginLimiter(attempts=3, window=60, lockout=120, clock=Clock())
    admitted = [limiter.attempt("10.0.0.9") for dummy in range(8)]
    assert admitted[:3] == [0, 0, 0] and all(left > 0 for left in admitted[3:])
    # The admitted ones finish: the lock holds; a success among them lifts it.
    assert limiter.failed("10.0.0.9") == 3 and limiter.locked_for("10.0.0.9") > 0
    limiter.succeeded("10.0.0.9")
    assert limiter.attempt("10.0.0.9") == 0
    # A script's Basic login gives back its own attempt only.
    assert limiter.attempt("10.0.0.9") == 0
    limiter.release("10.0.0.9")
    assert limiter.failed("10.0.0.9") == 1


def test_basic_credentials_are_checked_once_then_remembered_as_an_hmac():
    basic = auth.BasicAuth("admin", auth.hash_password("pw"), SECRET)
    good = "Basic " + base64.b64encode(b"admin:pw").decode()
    bad = "Basic " + base64.b64encode(b"admin:nope").decode()
    assert not basic.cached(good)
    assert basic.check(bad) is None and basic.check("Basic !!") is None
    assert basic.check(good) == "admin" and basic.cached(good) and not basic.cached(bad)
    assert all(good not in str(key) for key in basic._ok)  # pylint: disable=protected-access
