# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Login: an argon2 password hash from the vault, a signed session cookie carrying its CSRF
token, and a limit on failed logins per client address."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

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

    def __init__(self, secret, max_age):
        self.serializer = URLSafeTimedSerializer(secret, salt="korczewski-dashboard-session")
        self.max_age = max_age

    def issue(self, user):
        return self.serializer.dumps({"u": user, "csrf": secrets.token_urlsafe(32)})

    def load(self, cookie):
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and data.get("u") and data.get("csrf") else None


def csrf_ok(session, token):
    return bool(session and token) and hmac.compare_digest(str(session["csrf"]), str(token))


class LoginLimiter:
    """At most ``attempts`` failures per key within ``window`` seconds; then locked for ``lockout``."""

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

    def failed(self, key):
        now = self.clock()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window] + [now]
        self._failures[key] = recent
        if len(recent) >= self.attempts:
            self._locked[key] = now + self.lockout
        return len(recent)

    def succeeded(self, key):
        self._failures.pop(key, None)


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
