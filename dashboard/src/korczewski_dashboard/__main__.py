# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m korczewski_dashboard [--host H] [--port P] [--reload]`` serves the dashboard;
``python -m korczewski_dashboard hash-password`` prints an argon2 hash of a password read from stdin."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="korczewski-dashboard")
    parser.add_argument("command", nargs="?", default="serve", choices=("serve", "hash-password"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4242)
    parser.add_argument("--reload", action="store_true", help="development: restart on source changes")
    args = parser.parse_args(argv)
    if args.command == "hash-password":
        from .auth import hash_password
        print(hash_password(sys.stdin.readline().rstrip("\n")))
        return 0
    import uvicorn
    # Only the package's own files: the default (the working directory) may hold a whole venv.
    reload_dirs = [os.path.dirname(os.path.abspath(__file__))] if args.reload else None
    uvicorn.run("korczewski_dashboard.app:app", host=args.host, port=args.port, reload=args.reload,
                reload_dirs=reload_dirs,
                # Off, though uvicorn's default trusts 127.0.0.1: the app itself decides whom to believe
                # (DASHBOARD_TRUSTED_PROXIES), in the one place that takes the client's address.
                proxy_headers=False,
                log_level="info", access_log=False, lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
