"""The badge page waits for a station's reader in a real browser, and opens the card read."""

import pytest

from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import services as stations
from campuscard.stations.client import StationClient

from ..conftest import card_in_state
from .conftest import csp_violations, log_in

pytestmark = pytest.mark.browser


def test_the_page_opens_the_card_a_station_reads(live_server, browser_page, manager_a,
                                                 student, est_a):
    from playwright.sync_api import expect

    card = card_in_state(student, State.ENCODED, manager_a)
    _station, token = stations.register_station("Desk A", est_a, Actor.system())
    page = browser_page
    log_in(page, live_server.url, "manager-a")
    page.get_by_role("link", name="Badge", exact=True).click()
    page.get_by_label("Station", exact=True).select_option(label="Desk A (Université A)")
    expect(page.get_by_role("button", name="Stop waiting")).to_be_hidden()
    page.get_by_role("button", name="Wait for the next badge").click()
    expect(page.get_by_role("button", name="Stop waiting")).to_be_visible()
    expect(page.get_by_text("Waiting for a badge on the reader…")).to_be_visible()
    page.wait_for_timeout(1500)  # a few polls with nothing read: the page keeps waiting
    assert "/manage/delivery/badge/" in page.url

    reversed_csn = "".join(reversed([card.csn[i:i + 2] for i in range(0, len(card.csn), 2)]))
    StationClient(live_server.url, token).badge(reversed_csn.lower())
    page.wait_for_url(f"{live_server.url}/manage/cards/{card.pk}/")
    expect(page.locator("#card-state")).to_have_text("Encoded")
    assert csp_violations(page) == []
