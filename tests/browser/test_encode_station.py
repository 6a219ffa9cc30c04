"""A manager encodes a printed card from the encoding station page in a real browser, the page
relaying APDUs between the server and the local agent's software reader; then the card's page
shows what its chip holds."""

import threading

import pytest

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.stations.agent import SoftReader, serve_agent
from tests.nfc.flow import make_encoding_station, make_layout

from ..conftest import card_in_state
from .conftest import csp_violations, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def agent(live_server, settings, tmp_path):
    server = serve_agent(SoftReader(tmp_path / "softcards"), live_server.url, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CAMPUSCARD_READER_AGENT_URL = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


def test_a_printed_card_is_encoded_from_the_browser(live_server, browser_page, agent, settings,
                                                    tmp_path, manager_a, student, est_a):
    from playwright.sync_api import expect

    settings.CAMPUSCARD_NFC_KEY_DIR = tmp_path / "nfc-keys"
    CrousEstablishment.objects.create(establishment=est_a)
    make_layout(est_a)
    station = make_encoding_station(est_a, [manager_a], name="Encoder A")
    card = card_in_state(student, State.PRINTED, manager_a)
    page = browser_page
    log_in(page, live_server.url, "manager-a")
    page.goto(f"{live_server.url}/manage/stations/")
    page.get_by_role("link", name="Encode cards at this station").click()
    assert page.url.endswith(f"/manage/stations/{station.pk}/encode/")
    expect(page.locator("#reader-kind")).to_have_text(
        "Reader: the built-in software reader (blank software cards, for the demo and tests).")
    page.get_by_role("button", name="Lay a blank software card").click()
    expect(page.locator("#encode-status")).to_contain_text("A blank software card is on the reader")
    page.locator(f"[data-encode='{card.pk}']").click()
    status = page.locator("#encode-status")
    expect(status).to_contain_text("encoded: 3 files read back as written, in 44 APDUs",
                                   timeout=30_000)
    expect(status).to_contain_text("It is now “Encoded”.")
    encoded = Card.objects.get(pk=card.pk)
    assert encoded.state == State.ENCODED and encoded.csn
    expect(page.locator(f"#card-{card.pk} [data-state]")).to_have_text("Encoded")

    page.goto(f"{live_server.url}/manage/cards/{card.pk}/")
    chip = page.locator("section[aria-labelledby='chip-title']")
    expect(chip).to_contain_text(encoded.csn)
    expect(chip).to_contain_text(encoded.access_control_id)
    expect(chip).to_contain_text("CROUS card number")
    assert csp_violations(page) == []


def test_without_an_agent_the_page_says_how_to_start_one(live_server, browser_page, settings,
                                                         manager_a, est_a):
    from playwright.sync_api import expect

    settings.CAMPUSCARD_READER_AGENT_URL = "http://127.0.0.1:9"  # nothing listens there
    station = make_encoding_station(est_a, [manager_a], name="Encoder A")
    page = browser_page
    log_in(page, live_server.url, "manager-a")
    page.goto(f"{live_server.url}/manage/stations/{station.pk}/encode/")
    expect(page.locator("#reader-kind")).to_contain_text("campuscard station agent")
