# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): refused without a
login, log in, every catalog service on the page, a stray l2p development container started by
hand appears as a violation without a reload, is stopped from the page and is gone in Docker, a
second start is refused, both actions stand in the audit log; a screenshot is kept.

The stray is ztest-browser-l2p-stray (local/app-standin:1, run with --rm and the identity labels
of l2p/development, no published port), removed after the test whatever happens. The screenshot
goes to $DASHBOARD_ARTIFACTS (default tests/output/dashboard).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (dashboard/requirements-test.txt)")

CHROMIUM = os.environ.get("DASHBOARD_CHROMIUM", "/usr/bin/chromium")
STRAY = "ztest-browser-l2p-stray"
ARTIFACTS = os.environ.get("DASHBOARD_ARTIFACTS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "output", "dashboard")

pytestmark = [
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs Docker"),
]


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check)


def running(name):
    result = docker("inspect", "-f", "{{.State.Running}}", name, check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


@pytest.fixture
def stray():
    docker("rm", "-f", STRAY, check=False)

    def start():
        docker("run", "-d", "--rm", "--name", STRAY, "--label", "korczewski.platform.service=l2p",
               "--label", "korczewski.platform.environment=development", "local/app-standin:1")
    yield start
    docker("rm", "-f", STRAY, check=False)


@pytest.fixture
def page(dashboard):
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 1600, "height": 1200})
        page = context.new_page()
        page.set_default_timeout(20000)
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        context.close()
        browser.close()


def fetch(page, url, what="status"):
    """A request from the page itself, through Chromium's network stack and the page's cookies:
    Chromium resolves *.localhost to loopback, Playwright's own request client does not."""
    script = "url => fetch(url, {credentials: 'same-origin'}).then(r => %s)" % (
        "r.status" if what == "status" else "r.json()")
    return page.evaluate(script, url)


def test_control_a_stray_from_the_page(dashboard, page, stray):
    url = dashboard["url"]
    # Refused without a login: the page sends to the login form, the data answers 401.
    page.goto(url + "/")
    assert page.url.endswith("/login")
    assert fetch(page, url + "/api/status") == 401
    assert fetch(page, url + "/healthz") == 200

    page.fill("#username", dashboard["user"])
    page.fill("#password", dashboard["password"])
    page.click("#login")
    page.wait_for_selector("#services")
    cookie = [c for c in page.context.cookies() if c["name"] == "kd_session"][0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    status = fetch(page, url + "/api/status", "json")
    for row in status["services"]:
        assert page.locator('tr.service[data-service="%s"]' % row["service"]).count() == 1, row["service"]
    # Marks this document: a reload would lose the mark.
    page.evaluate("window.__noReload = 'kept'")

    stray()
    violation = page.locator('#violations article.active[data-unit="l2p/development"]')
    violation.wait_for()
    assert STRAY in violation.inner_text()
    assert "violating" in page.locator('td.unit[data-unit="l2p/development"]').get_attribute("class")
    assert page.evaluate("window.__noReload") == "kept"

    violation.locator('li.stray[data-name="%s"] button.stop-stray' % STRAY).click()
    page.locator('#flash [data-result="ok"]').wait_for()
    deadline = time.monotonic() + 30
    while running(STRAY):
        assert time.monotonic() < deadline, "the stray still runs in Docker"
        time.sleep(0.3)
    violation.wait_for(state="detached")

    # A second start is refused with the reason; the rightful instance runs (or is not deployed).
    page.locator('td.unit[data-unit="l2p/development"] button.act.start').click()
    refused = page.locator('#flash [data-result="refused"]')
    refused.wait_for()
    assert "l2p/development" in refused.inner_text()

    audit = page.locator("#audit")
    audit.locator("tr.audit.ok", has_text="stop-stray").first.wait_for()
    audit.locator("tr.audit.refused", has_text="l2p/development").first.wait_for()
    assert page.evaluate("window.__noReload") == "kept"

    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "dashboard.png")
    page.screenshot(path=shot, full_page=True)
    assert os.path.getsize(shot) > 10000


def test_the_page_shows_uptime_sparklines_and_incidents_from_the_history(dashboard, page):
    page.goto(dashboard["url"] + "/login")
    page.fill("#username", dashboard["user"])
    page.fill("#password", dashboard["password"])
    page.click("#login")
    page.wait_for_selector("#history table.uptime")
    document = fetch(page, dashboard["url"] + "/api/history", "json")
    assert document["endpoints"], document
    for endpoint in document["endpoints"]:
        row = page.locator('#history tr.endpoint[data-endpoint="%s"]' % endpoint["name"])
        assert row.count() == 1, endpoint["name"]
    # A round probes every endpoint: once one is in the history, the page shows its uptime (and,
    # where a probe measured a latency, its sparkline).
    deadline = time.monotonic() + 60
    while not any(e["probes"]["24h"] for e in document["endpoints"]):
        assert time.monotonic() < deadline, "no probe in the history after a minute of rounds"
        time.sleep(2)
        document = fetch(page, dashboard["url"] + "/api/history", "json")
    page.reload()
    page.wait_for_selector("#history table.uptime")
    probed = [e["name"] for e in document["endpoints"] if e["probes"]["24h"]]
    for name in probed:
        cell = page.locator('#history tr.endpoint[data-endpoint="%s"] td.uptime[data-window="24h"]' % name)
        assert cell.inner_text().endswith("%"), name
    timed = [e["name"] for e in document["endpoints"] if any(v is not None for v in e["latency_ms"])]
    for name in timed:
        assert page.locator('#history tr.endpoint[data-endpoint="%s"] svg.latency' % name).count() == 1, name
    assert page.locator("#history table.incidents").count() == 1
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "history.png")
    page.locator("#history").screenshot(path=shot)
    assert os.path.getsize(shot) > 5000


def test_the_test_notification_button_sends_one_and_the_page_shows_it(dashboard, page, app_runner):
    """Against a dashboard of the test's own that notifies a local json:// receiver."""
    if not dashboard.get("local"):
        pytest.skip("needs the test's own dashboard with a notification URL")
    from test_notify import Received, json_receiver  # pylint: disable=import-outside-toplevel

    received = Received()
    receiver = json_receiver(received)
    work, port = dashboard["work"], 47445
    urls = work / "browser-notify-urls"
    urls.write_text("json://127.0.0.1:%d/hook\n" % receiver.server_address[1])
    own = {"DASHBOARD_NOTIFY_URLS_FILE": str(urls), "DASHBOARD_AUDIT_LOG": str(work / "audit-47445.jsonl"),
           "DASHBOARD_HISTORY_DB": str(work / "history-47445.sqlite3")}
    try:
        with app_runner(work, port, **own):
            url = "http://127.0.0.1:%d" % port
            page.goto(url + "/login")
            page.fill("#username", dashboard["user"])
            page.fill("#password", dashboard["password"])
            page.click("#login")
            section = page.locator("#notifications")
            section.wait_for()
            assert "json://" in section.inner_text() and "127.0.0.1" not in section.inner_text()
            section.locator("button.notify-test").click()
            flash = page.locator('#flash [data-result="ok"]')
            flash.wait_for()
            assert "sent to 1 target" in flash.inner_text()
            message = received.wait("korczewski.platform: test notification", count=1)
            assert dashboard["user"] in message["body"]
            section.locator("li.ok").wait_for()
            page.locator("#audit tr.audit.ok", has_text="notify-test").first.wait_for()
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = os.path.join(ARTIFACTS, "notifications.png")
            section.screenshot(path=shot)
            assert os.path.getsize(shot) > 2000
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_login_is_rate_limited_with_a_clear_message(dashboard, page):
    if not dashboard.get("local"):
        pytest.skip("locks the client address out: only against the test's own dashboard")
    page.goto(dashboard["url"] + "/login")
    for dummy in range(3):
        page.fill("#username", dashboard["user"])
        page.fill("#password", "wrong")
        page.click("#login")
    message = page.locator("#login-error").inner_text()
    assert "Too many failed logins" in message and "locked" in message
    # Even the right password is refused while locked out.
    page.fill("#password", dashboard["password"])
    page.click("#login")
    assert "locked" in page.locator("#login-error").inner_text()
