"""What a newcomer does with `campuscard demo` at the encoding station: lay a blank software
card on the demo's reader, encode a printed card from the browser, then read on the card's
page what its chip holds. The real demo: its web workers, its reader agent, its own keys."""

import re

import pytest

from .test_demo_esc import demo_server, log_in  # noqa: F401 (demo_server is a fixture)

pytestmark = pytest.mark.browser


def test_the_demo_encodes_a_printed_card_from_the_browser(demo_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, demo_server, "manager-rouen")
    page.get_by_role("link", name="Stations", exact=True).click()
    page.get_by_role("link", name="Encode cards at this station").click()
    expect(page.locator("#reader-kind")).to_contain_text("built-in software reader")
    page.get_by_role("button", name="Lay a blank software card").click()
    status = page.locator("#encode-status")
    expect(status).to_contain_text("A blank software card is on the reader")
    uid = re.search(r"[0-9A-F]{14}", status.inner_text()).group(0)
    page.locator("[data-encode]").first.click()
    expect(status).to_contain_text("files read back as written, in 44 APDUs", timeout=60_000)
    card_link = page.locator("tbody tr").first.get_by_role("link")
    card_link.click()
    chip = page.locator("section[aria-labelledby='chip-title']")
    expect(chip).to_contain_text(uid)
    expect(chip).to_contain_text("ESUP-SGC (demo keys)")
    expect(chip).to_contain_text("CROUS card number")
