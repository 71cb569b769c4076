# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings from the environment (``DASHBOARD_*``); secrets also from ``*_FILE``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from . import proxies


class ConfigError(Exception):
    pass


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _secret(name):
    """A secret from NAME_FILE (a mounted file) or NAME; never logged."""
    path = _env(name + "_FILE")
    if path:
        with open(path, encoding="utf-8") as stream:
            return stream.read().strip()
    return _env(name)


def _flag(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    catalog_file: str
    docker_host: str
    state_dir: str
    user: str
    password_hash: str
    session_secret: str
    cookie_secure: bool = True
    session_max_age: int = 12 * 3600
    audit_log: str = None
    discovery_interval: float = 10.0
    health_interval: float = 15.0
    health_timeout: float = 3.0
    history_size: int = 20
    https_port: int = 443
    https_address: str = None
    ca_file: str = None
    validate_certs: bool = True
    self_unit: str = "dashboard/production"
    login_attempts: int = 5
    login_window: float = 300.0
    login_lockout: float = 300.0
    stop_timeout: int = 10
    events: bool = True
    net_dir: str = None
    probe_loopback: bool = True
    host_processes: bool = True
    # The catalog itself, for a development server that gets its settings as environment only.
    catalog_json: str = None
    # Peers whose X-Forwarded-For names the client; empty: the client is the TCP peer.
    trusted_proxies: tuple = field(default_factory=tuple)
    # Changing it ends every open session without a new password.
    session_epoch: str = "0"
    # Logged-out sessions, kept so a restart does not bring them back; None: in memory only.
    revoked_sessions: str = None
    # Every probe result (history.py); None: in memory only. Failures in a row that open an incident.
    history_db: str = None
    down_after: int = 3
    # Apprise URLs (they hold tokens: from a file, never logged) and the quiet time before a reminder.
    notify_urls: tuple = field(default_factory=tuple)
    notify_reminder: float = 3600.0

    def load_catalog(self):
        """(services, domain, network) from the catalog the role renders from platform_services: the
        file, or DASHBOARD_CATALOG_JSON when it is set."""
        where = "DASHBOARD_CATALOG_JSON" if self.catalog_json else self.catalog_file
        try:
            if self.catalog_json:
                data = json.loads(self.catalog_json)
            else:
                with open(self.catalog_file, encoding="utf-8") as stream:
                    data = json.load(stream)
        except ValueError as exc:
            raise ConfigError("%s is not JSON: %s" % (where, exc))
        try:
            return data["services"], data["domain"], data.get("network")
        except (KeyError, TypeError):
            raise ConfigError("%s must hold {\"services\": ..., \"domain\": ..., \"network\": ...}" % where)


def from_environment():
    catalog = _env("DASHBOARD_CATALOG")
    catalog_json = _env("DASHBOARD_CATALOG_JSON")
    password_hash = _secret("DASHBOARD_PASSWORD_HASH")
    session_secret = _secret("DASHBOARD_SESSION_SECRET")
    missing = [name for name, value in (("DASHBOARD_CATALOG (or DASHBOARD_CATALOG_JSON)", catalog or catalog_json), ("DASHBOARD_PASSWORD_HASH", password_hash),
                                        ("DASHBOARD_SESSION_SECRET", session_secret)) if not value]
    if missing:
        raise ConfigError("missing settings: %s" % ", ".join(missing))
    if len(session_secret) < 32:
        raise ConfigError("DASHBOARD_SESSION_SECRET must be at least 32 characters")
    state_dir = _env("DASHBOARD_STATE_DIR", "~/.local/state/korczewski-platform/npm")
    trusted_proxies = tuple(item.strip() for item in (_env("DASHBOARD_TRUSTED_PROXIES") or "").split(",") if item.strip())
    try:
        proxies.parse(trusted_proxies)
    except ValueError as exc:
        raise ConfigError("DASHBOARD_TRUSTED_PROXIES: %s" % exc)
    audit_log = _env("DASHBOARD_AUDIT_LOG")
    revoked = _env("DASHBOARD_REVOKED_SESSIONS")
    if revoked is None and audit_log:
        # The audit log's directory is the one place the app may write (the container's volume).
        revoked = os.path.join(os.path.dirname(os.path.abspath(audit_log)), "revoked-sessions.json")
    history_db = _env("DASHBOARD_HISTORY_DB")
    if history_db is None and audit_log:
        history_db = os.path.join(os.path.dirname(os.path.abspath(audit_log)), "history.sqlite3")
    return Settings(
        catalog_file=catalog,
        catalog_json=catalog_json,
        docker_host=_env("DASHBOARD_DOCKER_HOST", "unix:///var/run/docker.sock"),
        state_dir=os.path.expanduser(state_dir),
        user=_env("DASHBOARD_USER", "admin"),
        password_hash=password_hash,
        session_secret=session_secret,
        cookie_secure=_flag("DASHBOARD_COOKIE_SECURE", True),
        session_max_age=int(_env("DASHBOARD_SESSION_MAX_AGE", 12 * 3600)),
        audit_log=audit_log,
        revoked_sessions=revoked,
        history_db=history_db,
        down_after=int(_env("DASHBOARD_DOWN_AFTER", 3)),
        notify_urls=tuple(line.strip() for line in (_secret("DASHBOARD_NOTIFY_URLS") or "").splitlines()
                          if line.strip() and not line.lstrip().startswith("#")),
        notify_reminder=float(_env("DASHBOARD_NOTIFY_REMINDER", 3600)),
        session_epoch=_env("DASHBOARD_SESSION_EPOCH", "0"),
        trusted_proxies=trusted_proxies,
        discovery_interval=float(_env("DASHBOARD_DISCOVERY_INTERVAL", 10)),
        health_interval=float(_env("DASHBOARD_HEALTH_INTERVAL", 15)),
        health_timeout=float(_env("DASHBOARD_HEALTH_TIMEOUT", 3)),
        history_size=int(_env("DASHBOARD_HISTORY", 20)),
        https_port=int(_env("DASHBOARD_HTTPS_PORT", 443)),
        https_address=_env("DASHBOARD_HTTPS_ADDRESS"),
        ca_file=_env("DASHBOARD_CA_FILE"),
        validate_certs=_flag("DASHBOARD_VALIDATE_CERTS", True),
        self_unit=_env("DASHBOARD_SELF_UNIT", "dashboard/production"),
        login_attempts=int(_env("DASHBOARD_LOGIN_ATTEMPTS", 5)),
        login_window=float(_env("DASHBOARD_LOGIN_WINDOW", 300)),
        login_lockout=float(_env("DASHBOARD_LOGIN_LOCKOUT", 300)),
        stop_timeout=int(_env("DASHBOARD_STOP_TIMEOUT", 10)),
        events=_flag("DASHBOARD_EVENTS", True),
        # In a container sharing the host's pids: /proc/1/net, the host's TCP table.
        net_dir=_env("DASHBOARD_NET_DIR"),
        # Off in a container: the host's loopback (development ports) is not reachable from it.
        probe_loopback=_flag("DASHBOARD_PROBE_LOOPBACK", True),
        # Off in a container without the host's pids: it would see only its own processes.
        host_processes=_flag("DASHBOARD_HOST_PROCESSES", True),
    )
