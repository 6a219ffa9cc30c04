"""The encoding station page and its JSON endpoints (the browser's side of item 8 and 10):
a manager of the station encodes through them; nobody else does, and nothing changes when
they refuse."""

import json

import pytest
from django.test import Client

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.nfc.softcard import SoftCardTransport
from tests.conftest import make_staff

from .flow import blank_card, make_encoding_station


@pytest.fixture
def station(est_a, manager_a):
    return make_encoding_station(est_a, [manager_a])


def browser(user):
    client = Client(enforce_csrf_checks=False, headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def encode_in_browser(client, station, card, chip):
    answer = post(client, f"/manage/stations/{station.pk}/encode/start",
                  {"card": card.pk, "uid": chip.uid.hex().upper()})
    assert answer.status_code == 201, answer.content
    answer = answer.json()
    transport = SoftCardTransport(chip)
    while answer["apdu"]:
        response = transport.transmit(bytes.fromhex(answer["apdu"]))
        answer = post(client, f"/manage/stations/chips/{answer['session']}/step",
                      {"step": answer["step"], "answer": response.hex()}).json()
    return answer


def test_the_page_lists_the_cards_to_encode_and_may_talk_to_the_agent_only(
        manager_a, station, printed, settings):
    page = browser(manager_a).get(f"/manage/stations/{station.pk}/encode/")
    assert page.status_code == 200
    assert f'data-encode="{printed.pk}"' in page.content.decode()
    policy = page.headers["Content-Security-Policy"]
    assert f"connect-src 'self' {settings.CAMPUSCARD_READER_AGENT_URL}" in policy
    assert "encode/" in browser(manager_a).get("/manage/stations/").content.decode()


def test_a_manager_encodes_from_the_browser_and_the_card_page_shows_the_chip(
        manager_a, station, printed, layout):
    client = browser(manager_a)
    done = encode_in_browser(client, station, printed, blank_card())
    assert done["status"] == "done" and done["card"]["state"] == State.ENCODED
    card = Card.objects.get(pk=printed.pk)
    page = client.get(f"/manage/cards/{card.pk}/").content.decode()
    assert "What the chip holds, by our record" in page
    assert card.csn in page and card.access_control_id in page
    assert "CROUS card number" in page


def test_a_manager_not_on_the_station_gets_nothing(est_a, station, printed, layout):
    other = make_staff("manager-other", "manager", [est_a])
    client = browser(other)
    assert client.get(f"/manage/stations/{station.pk}/encode/").status_code == 404
    refused = post(client, f"/manage/stations/{station.pk}/encode/start",
                   {"card": printed.pk, "uid": "04A1B2C3D4E5F6"})
    assert refused.status_code == 404
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED


def test_another_persons_session_is_not_found(est_a, manager_a, station, printed, layout):
    started = post(browser(manager_a), f"/manage/stations/{station.pk}/encode/start",
                   {"card": printed.pk, "uid": "04A1B2C3D4E5F6"}).json()
    intruder = make_staff("manager-b2", "manager", [est_a])
    station.allowed_users.add(intruder)
    stolen = post(browser(intruder), f"/manage/stations/chips/{started['session']}/step",
                  {"step": 0, "answer": "9100"})
    assert stolen.status_code == 404


def test_a_forged_request_is_refused(manager_a, station, printed, layout):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)
    forged = post(client, f"/manage/stations/{station.pk}/encode/start",
                  {"card": printed.pk, "uid": "04A1B2C3D4E5F6"})
    assert forged.status_code == 403
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED
    assert post(browser(manager_a), f"/manage/stations/{station.pk}/encode/start",
                ["not", "an object"]).status_code == 400
