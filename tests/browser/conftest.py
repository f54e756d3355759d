"""Playwright fixtures for browser journeys: Debian's Chromium, axe-core, console watch.

Playwright never downloads a browser here: it drives the system Chromium (apt package
``chromium``, installed by ``make test``). Every test gets a fresh browser context, so
cookies and sessions never leak from one test to the next.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from playwright.sync_api import Page, sync_playwright

from ..conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEFAULT_TIMEOUT_MS = 10_000
LOGIN_PATH = "/accounts/login/"

# WCAG 2.1 level A and AA; axe's best-practice rules are left out on purpose.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()

# Console errors per open page, filled by listeners the ``page`` fixture attaches.
_console_errors: dict[Page, list[str]] = {}


@pytest.fixture(scope="session")
def playwright_instance():
    """Playwright's sync API, for the whole session.

    Between its calls the sync API marks its event loop as running in the main thread, so
    Django keeps the main thread's database connections in a different (async) slot from
    then on. Close the connections on both sides of that switch; otherwise one stays open
    and the test database cannot be dropped at the end ("being accessed by other users").
    Browser tests are transactional (``live_server``), so no transaction is cut short.
    """
    connections.close_all()
    with sync_playwright() as playwright:
        yield playwright
        connections.close_all()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh context, pointed at the live server, that records console errors.

    No ``bypass_csp``: the app's own Content-Security-Policy stays in force, so a CSP
    violation shows up as a console error and fails the test. axe is injected through
    Playwright's ``evaluate`` (DevTools protocol), which CSP does not block.
    """
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors = _console_errors[page] = []
    page.on("console", lambda msg: _record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(f"Uncaught: {exc}"))
    yield page
    try:
        assert_no_console_errors(page)
    finally:
        del _console_errors[page]
        context.close()


def _record_console_error(errors, msg):
    if msg.type != "error":
        return
    errors.append(f"{msg.text} ({msg.location.get('url', '')})")


def sign_in(page, live_server, email, password=PASSWORD):
    """Fill in and submit the real sign-in form; returns once the answer page has loaded."""
    page.goto(live_server.url + LOGIN_PATH)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    # The failed sign-in answers on the same URL, so wait for the navigation, not a URL.
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()


def assert_no_console_errors(page):
    """Fail on console errors logged since the last check (CSP violations included)."""
    errors = list(_console_errors[page])
    _console_errors[page].clear()
    if errors:
        pytest.fail("Console errors:\n" + "\n".join(errors), pytrace=False)


def assert_accessible(page):
    """Fail if axe-core finds WCAG 2.1 A/AA violations, or the page logged console errors."""
    page.wait_for_load_state("load")
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = ", ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node['html']}")
            lines.append(f"        {node['failureSummary']}".replace("\n", "\n        "))
    if violations:
        header = f"axe: {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url}"
        pytest.fail("\n".join([header, *lines]), pytrace=False)
    assert_no_console_errors(page)
