"""The system Chromium, driven by Playwright, for the browser tests."""

import os
from pathlib import Path

import pytest

from ..conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # A synthetic camera, allowed without asking, for the webcam capture test.
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def chromium():
    """The system Chromium; CI installs it, so there its absence is a failure."""
    if not CHROMIUM.exists():
        if os.environ.get("CAMPUSCARD_REQUIRE_BROWSER"):
            pytest.fail("no Chromium at /usr/bin/chromium")
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Every document records the Content-Security-Policy violations it sees (read by csp_violations).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
                              + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


def csp_violations(page):
    """The violations the page's current document reported (securitypolicyviolation events)."""
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture
def new_page(chromium):
    """new_page(**context options) -> a page in a fresh context (its own cookies). Whatever the
    test does, a page that breaks the Content-Security-Policy fails it (console messages)."""
    contexts = []
    refused = []

    def make(**options):
        context = chromium.new_context(locale="en-US", **options)
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda message: "Content Security Policy" in message.text
                and refused.append(f"{page.url}: {message.text}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, "the pages broke the Content-Security-Policy:\n" + "\n".join(refused)


@pytest.fixture
def browser_page(new_page):
    return new_page(**DESKTOP)


def log_in(page, base_url, username, lands_on="/manage/"):
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{lands_on}")
