# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The web application: one page, its live updates (SSE), the actions, ``/api/status``,
``/metrics``, and ``/healthz`` (the only route without a login; without one it tells the status only)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from . import auth, proxies
from .actions import OK, REFUSED, Actions
from .audit import AuditLog
from .metrics import process_metrics
from .monitor import Monitor
from ansible_collections.korczewski.platform.plugins.module_utils.catalog.catalog import Catalog

HERE = os.path.dirname(os.path.abspath(__file__))
SSE_PING = 15
# How soon an open stream notices that its session was logged out.
SSE_SESSION_CHECK = 2
# How often the trusted proxies' host names are looked up again (a proxy's container may get a new address).
PROXY_REFRESH = 30
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _ago(stamp):
    if not stamp:
        return "-"
    seconds = max(0, int(datetime.datetime.now(datetime.timezone.utc).timestamp() - stamp))
    return _duration(seconds) + " ago"


def _duration(seconds):
    if seconds is None:
        return "-"
    seconds = int(seconds)
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            return "%d%s %d%s" % (seconds // size, unit, (seconds % size) // sub_size, sub)
    return "%ds" % seconds


def _clock(stamp):
    if not stamp:
        return "-"
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _sparkline(values, width=96, height=18):
    """SVG polyline points of a latency series (None: no result in that slot, left out)."""
    known = [v for v in values or [] if v is not None]
    if not known:
        return ""
    top = max(known) or 1.0
    step = width / max(1, len(values) - 1)
    points = ["%.1f,%.1f" % (i * step, height - (v / top) * height) for i, v in enumerate(values) if v is not None]
    # One point is a zero-length line: drawn as a dot by its round cap.
    return " ".join(points * 2 if len(points) == 1 else points)


def _percent(value):
    return "-" if value is None else ("%.2f%%" % value if value < 100 else "100%")


def create_app(settings):
    services, domain, network = settings.load_catalog()
    catalog = Catalog.load(services, domain, network)
    templates = Jinja2Templates(directory=os.path.join(HERE, "templates"))
    templates.env.filters.update(ago=_ago, duration=_duration, clock=_clock, sparkline=_sparkline, percent=_percent)
    audit = AuditLog(settings.audit_log)
    monitor = Monitor(settings, catalog, audit)
    monitor.renderer = lambda status: templates.get_template("board.html").render(status=status)
    actions = Actions(monitor)
    sessions = auth.Sessions(settings.session_secret, settings.session_max_age, settings.password_hash,
                             settings.session_epoch, settings.revoked_sessions)
    trusted = proxies.TrustedProxies(settings.trusted_proxies)
    limiter = auth.LoginLimiter(settings.login_attempts, settings.login_window, settings.login_lockout)
    basic = auth.BasicAuth(settings.user, settings.password_hash, settings.session_secret)

    def client_of(request):
        # uvicorn runs without its proxy headers: this is the one place a forwarded address is believed.
        return trusted.client(request.client.host if request.client else None, request.headers.getlist("x-forwarded-for"))

    async def current_user(request):
        session = sessions.load(request.cookies.get(auth.COOKIE))
        if session:
            request.state.session = session
            return session["u"]
        header = request.headers.get("authorization") or ""
        if header.lower().startswith("basic "):
            if basic.cached(header):
                return settings.user
            key = client_of(request)
            if limiter.attempt(key):
                return None
            user = await asyncio.to_thread(basic.check, header)
            if user is None:
                limiter.failed(key)
            else:
                # Only its own attempt: a script's regular success must not wipe out the failures of
                # a guesser behind the same address.
                limiter.release(key)
            return user
        return None

    def secured(handler, redirect=False):
        async def wrapper(request):
            request.state.session = None
            user = await current_user(request)
            if user is None:
                if redirect:
                    return RedirectResponse("/login", status_code=303)
                # The Basic challenge only answers a client that tried Basic: sent to a browser's
                # own fetch it would open a credentials prompt instead of the page's login.
                tried_basic = request.headers.get("authorization", "").lower().startswith("basic ")
                scheme = 'Basic realm="dashboard"' if tried_basic else 'Session realm="dashboard", login="/login"'
                return JSONResponse({"error": "login required"}, status_code=401, headers={"WWW-Authenticate": scheme})
            request.state.user = user
            return await handler(request)
        return wrapper

    def html(request, name, context, status_code=200):
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        response.headers.update(HEADERS)
        return response

    # ------------------------------------------------------------ pages

    async def index(request):
        return html(request, "index.html", {"status": monitor.status, "board": monitor.board_html,
                                            "version": monitor.version, "user": request.state.user,
                                            "csrf": (request.state.session or {}).get("csrf", "")})

    async def login_form(request):
        return html(request, "login.html", {"error": None, "user": settings.user})

    async def login(request):
        key = client_of(request)
        # Counted before anything is awaited, so parallel guesses cannot all pass while the first are checked.
        locked = limiter.attempt(key)
        if locked:
            return html(request, "login.html", {"error": "Too many failed logins from your address: locked for %d more "
                                                         "seconds." % locked, "user": settings.user}, 429)
        form = await request.form()
        user = str(form.get("username") or "")
        password = str(form.get("password") or "")
        ok = user == settings.user and await asyncio.to_thread(auth.verify_password, settings.password_hash, password)
        if not ok:
            count = limiter.failed(key)
            locked = limiter.locked_for(key)
            if locked:
                message = "Too many failed logins from your address: locked for %d seconds." % locked
                audit.record(user or "-", "login", "dashboard", REFUSED, "locked out after %d failures" % count, key)
                return html(request, "login.html", {"error": message, "user": settings.user}, 429)
            left = settings.login_attempts - count
            return html(request, "login.html", {"error": "Wrong user name or password (%d attempt%s left before a lock-out)."
                                                         % (left, "s" if left != 1 else ""), "user": settings.user}, 401)
        limiter.succeeded(key)
        audit.record(user, "login", "dashboard", OK, "logged in", key)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(auth.COOKIE, sessions.issue(user), max_age=settings.session_max_age, path="/",
                            secure=settings.cookie_secure, httponly=True, samesite="strict")
        return response

    async def logout(request):
        form = await request.form()
        if not auth.csrf_ok(request.state.session, form.get("csrf") or request.headers.get("x-csrf-token")):
            return PlainTextResponse("CSRF token missing or wrong", status_code=403)
        # The cookie stays valid by its signature until it expires: only the server can end it now.
        sessions.revoke(request.state.session)
        audit.record(request.state.user, "logout", "dashboard", OK, "logged out", client_of(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(auth.COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="strict")
        return response

    # ------------------------------------------------------------ data

    async def api_status(request):
        return Response(monitor.status_json, media_type="application/json")

    async def api_history(request):
        document = await monitor.refresh_history()
        # The page shows what this answer says from now on, not the minute-old table.
        await monitor.publish()
        return JSONResponse(document, headers={"Cache-Control": "no-store"})

    async def metrics(request):
        return PlainTextResponse(monitor.metrics_text + process_metrics(), media_type="text/plain; version=0.0.4")

    async def healthz(request):
        ok = monitor.discovery is not None and monitor.discovery_error is None
        body = {"status": "ok" if ok else "degraded"}
        # The error text names hosts, sockets and paths: only for a logged-in session, not for any caller.
        if sessions.load(request.cookies.get(auth.COOKIE)):
            body.update(discovery_error=monitor.discovery_error, version=monitor.version)
        return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def events(request):
        last = request.headers.get("last-event-id") or request.query_params.get("lastEventId")
        seen = int(last) if last and last.isdigit() else -1
        session = request.state.session

        async def stream():
            nonlocal seen
            while True:
                # A logout or a new password ends the stream too, not only the next request.
                if session is not None and not sessions.valid(session):
                    return
                version = monitor.version
                if version != seen:
                    seen = version
                    yield {"event": "board", "id": str(version), "data": monitor.board_html}
                await monitor.wait_change(seen, SSE_SESSION_CHECK)

        return EventSourceResponse(stream(), ping=SSE_PING, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # ------------------------------------------------------------ actions

    async def _action(request, run):
        form = await request.form()
        if not auth.csrf_ok(request.state.session, request.headers.get("x-csrf-token") or form.get("csrf")):
            return PlainTextResponse("CSRF token missing or wrong", status_code=403)
        outcome = await run(form)
        code = {OK: 200, REFUSED: 409}.get(outcome.result, 502)
        return html(request, "flash.html", {"outcome": outcome}, code)

    async def unit_action(request):
        return await _action(request, lambda form: actions.unit_action(
            request.state.user, client_of(request), str(form.get("action")), str(form.get("service")),
            str(form.get("environment"))))

    async def notify_test(request):
        return await _action(request, lambda form: actions.notify_test(request.state.user, client_of(request)))

    async def stray_action(request):
        return await _action(request, lambda form: actions.stop_stray(
            request.state.user, client_of(request), str(form.get("target"))))

    async def refresh_proxies():
        while True:
            await asyncio.sleep(PROXY_REFRESH)
            await asyncio.to_thread(trusted.refresh)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        refresher = None
        if trusted.names:
            await asyncio.to_thread(trusted.refresh)
            refresher = asyncio.create_task(refresh_proxies())
        await monitor.start()
        yield
        if refresher is not None:
            refresher.cancel()
        await monitor.stop()

    routes = [
        Route("/", secured(index, redirect=True)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", secured(logout), methods=["POST"]),
        Route("/api/status", secured(api_status)),
        Route("/api/history", secured(api_history)),
        Route("/metrics", secured(metrics)),
        Route("/events", secured(events)),
        Route("/actions/unit", secured(unit_action), methods=["POST"]),
        Route("/actions/stray", secured(stray_action), methods=["POST"]),
        Route("/actions/notify-test", secured(notify_test), methods=["POST"]),
        Route("/healthz", healthz),
        # The catalog's health path of the dashboard service.
        Route("/health", healthz),
        Mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.monitor = monitor
    return app
