# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Login: an argon2 password hash from the vault, a signed session cookie carrying its CSRF
token (revoked at logout, ended by a new password), and a limit on login attempts per client address."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

LOG = logging.getLogger("korczewski_dashboard")
COOKIE = "kd_session"
# OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane; keeps a login well under the memory budget.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password):
    return HASHER.hash(password)


def verify_password(password_hash, password):
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class Sessions:
    """Signed session cookies, each bound to a fingerprint of the password hash and the session
    epoch it was issued under (a new password or epoch ends every session, the open ones too), and
    a server-side set of logged-out session ids, kept in ``revoked_file`` until they would have
    expired anyway, so a restart does not bring them back."""

    def __init__(self, secret, max_age, password_hash="", epoch="0", revoked_file=None, clock=time.time):
        self.serializer = URLSafeTimedSerializer(secret, salt="korczewski-dashboard-session")
        self.max_age = max_age
        self.clock = clock
        # Keyed by the session secret: the fingerprint in a cookie says nothing about the hash to its holder.
        self.fingerprint = hmac.new(secret.encode("utf-8"), b"\0".join([b"session-binding", str(epoch).encode("utf-8"),
                                    (password_hash or "").encode("utf-8")]), hashlib.sha256).hexdigest()[:32]
        self.revoked_file = revoked_file
        self._revoked = self._read_revoked()

    def _read_revoked(self):
        if not self.revoked_file or not os.path.exists(self.revoked_file):
            return {}
        try:
            with open(self.revoked_file, encoding="utf-8") as stream:
                data = json.load(stream)
        except (OSError, ValueError) as exc:
            # Unreadable: the sessions it listed stay ended by their own expiry only; say so.
            LOG.warning("cannot read the logged-out sessions from %s: %s", self.revoked_file, exc)
            return {}
        now = self.clock()
        return {str(sid): float(until) for sid, until in data.items() if isinstance(until, (int, float)) and until > now} \
            if isinstance(data, dict) else {}

    def _write_revoked(self):
        if not self.revoked_file:
            return
        temporary = self.revoked_file + ".tmp"
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                json.dump(self._revoked, stream)
            os.replace(temporary, self.revoked_file)
        except OSError as exc:
            LOG.warning("cannot keep the logged-out sessions in %s (they end at a restart's): %s", self.revoked_file, exc)

    def issue(self, user):
        return self.serializer.dumps({"u": user, "csrf": secrets.token_urlsafe(32), "sid": secrets.token_urlsafe(18),
                                      "fp": self.fingerprint})

    def load(self, cookie):
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        return data if self.valid(data) else None

    def valid(self, session):
        """Still a live session: well formed, issued under the current password and epoch, not logged out."""
        if not (isinstance(session, dict) and session.get("u") and session.get("csrf") and session.get("sid")):
            return False
        if not hmac.compare_digest(str(session.get("fp", "")), self.fingerprint):
            return False
        return str(session["sid"]) not in self._revoked

    def revoke(self, session):
        now = self.clock()
        self._revoked = {sid: until for sid, until in self._revoked.items() if until > now}
        # The cookie's signature expires max_age after issue at the latest: no entry needs to outlive that.
        self._revoked[str(session["sid"])] = now + self.max_age
        self._write_revoked()


def csrf_ok(session, token):
    return bool(session and token) and hmac.compare_digest(str(session["csrf"]), str(token))


class LoginLimiter:
    """At most ``attempts`` failures per key within ``window`` seconds; then locked for ``lockout``.

    An attempt counts from ``attempt()``, before its password is checked, and stays counted unless
    it succeeds: argon2 takes tens of milliseconds, and guesses sent in parallel would otherwise
    all pass the limit while the first ones are still being checked."""

    def __init__(self, attempts=5, window=300.0, lockout=300.0, clock=time.monotonic):
        self.attempts = attempts
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._failures = {}
        self._locked = {}

    def locked_for(self, key):
        """Seconds the key stays locked (0 when it may try)."""
        until = self._locked.get(key)
        if until is None:
            return 0
        left = until - self.clock()
        if left <= 0:
            del self._locked[key]
            self._failures.pop(key, None)
            return 0
        return int(left) + 1

    def _recent(self, key):
        now = self.clock()
        return [t for t in self._failures.get(key, []) if now - t < self.window]

    def attempt(self, key):
        """Counts one attempt for the key; 0 when its password may be checked, else the seconds it stays locked."""
        locked = self.locked_for(key)
        if locked:
            return locked
        recent = self._recent(key)
        if len(recent) >= self.attempts:
            # The limit is used up by attempts still being checked.
            self._locked[key] = self.clock() + self.lockout
            return self.locked_for(key)
        self._failures[key] = recent + [self.clock()]
        return 0

    def failed(self, key):
        """The checked attempt failed: the number of failures in the window (locked at the limit)."""
        recent = self._recent(key)
        self._failures[key] = recent
        if len(recent) >= self.attempts:
            self._locked.setdefault(key, self.clock() + self.lockout)
        return len(recent)

    def release(self, key):
        """The checked attempt succeeded, and the key's other attempts stay counted."""
        recent = self._recent(key)
        self._failures[key] = recent[:-1]

    def succeeded(self, key):
        self._failures.pop(key, None)
        self._locked.pop(key, None)


class BasicAuth:
    """HTTP Basic for scripts and Prometheus: the same user and hash; a verified header is
    remembered (as an HMAC, never in clear) for a minute, so argon2 runs once, not per scrape."""

    def __init__(self, user, password_hash, secret, ttl=60.0):
        self.user = user
        self.password_hash = password_hash
        self.key = hashlib.sha256(("basic:" + secret).encode("utf-8")).digest()
        self.ttl = ttl
        self._ok = {}

    def _digest(self, header):
        return hmac.new(self.key, header.encode("utf-8"), hashlib.sha256).digest()

    def cached(self, header):
        until = self._ok.get(self._digest(header))
        return until is not None and until > time.monotonic()

    def check(self, header):
        """(user or None) for an ``Authorization: Basic ...`` header; argon2 is the caller's to run in a thread."""
        try:
            user, dummy, password = base64.b64decode(header.split(" ", 1)[1]).decode("utf-8").partition(":")
        except (IndexError, ValueError):
            return None
        if user != self.user or not verify_password(self.password_hash, password):
            return None
        if len(self._ok) > 1000:
            self._ok.clear()
        self._ok[self._digest(header)] = time.monotonic() + self.ttl
        return user
