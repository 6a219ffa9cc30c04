"""Finding a card by its badge: typed in any form a reader prints, or read at a station; the
page the manager waits on opens the card the station read."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import services as stations
from tests.backoffice.conftest import quick_card

SEVEN = "04A23B1C5D8000"

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(student):
    return quick_card(student, State.ENCODED, csn=SEVEN)


@pytest.fixture
def station(est_a):
    station, token = stations.register_station("Desk A", est_a, Actor.system())
    station.token = token
    return station


def read_at_station(station, csn):
    response = Client().post(reverse("stations_api:badge"), json.dumps({"csn": csn}),
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {station.token}"})
    assert response.status_code == 200, response.content
    return response


@pytest.mark.parametrize("typed", [SEVEN, "04:a2:3b:1c:5d:80:00", " 04 A2 3B 1C 5D 80 00 ",
                                   "00:80:5D:1C:3B:A2:04", str(int(SEVEN, 16)),
                                   str(int("00805D1C3BA204", 16))])
def test_a_typed_badge_opens_its_card(login, manager_a, card, typed):
    response = login(manager_a).get(reverse("delivery:badge"), {"csn": typed})
    assert response.status_code == 302
    assert response.url == reverse("backoffice:card", args=[card.pk])


def test_consultants_may_look_a_badge_up_too(login, consultant_a, card):
    response = login(consultant_a).get(reverse("delivery:badge"), {"csn": SEVEN})
    assert response.url == reverse("backoffice:card", args=[card.pk])


def test_a_badge_two_cards_may_be_lists_both(login, manager_a, student, other_student):
    first = quick_card(student, State.ENCODED, csn="A1B2C3D4")
    second = quick_card(other_student, State.ENCODED, csn="D4C3B2A1")
    response = login(manager_a).get(reverse("delivery:badge"), {"csn": "a1:b2:c3:d4"})
    assert response.status_code == 200
    assert {c.pk for c in response.context["cards"]} == {first.pk, second.pk}
    text = response.content.decode()
    assert reverse("backoffice:card", args=[first.pk]) in text
    assert reverse("backoffice:card", args=[second.pk]) in text


def test_no_card_with_this_badge_says_so(login, manager_a, card):
    response = login(manager_a).get(reverse("delivery:badge"), {"csn": "11:22:33:44"})
    assert response.status_code == 200
    assert "No card has the chip “11:22:33:44”." in response.content.decode()


def test_a_card_outside_the_scope_is_not_found(login, manager_b, card):
    response = login(manager_b).get(reverse("delivery:badge"), {"csn": SEVEN})
    assert response.status_code == 200 and response.context["cards"] == []


@pytest.mark.parametrize("typed", ["hello", "04A23B", "04:A2:3B:1C:5D:80:0G"])
def test_malformed_input_is_a_clear_error(login, manager_a, card, typed):
    response = login(manager_a).get(reverse("delivery:badge"), {"csn": typed})
    assert response.status_code == 400
    assert "is not a chip serial number" in response.content.decode()


def test_students_may_not_search_badges(client, student, card):
    client.force_login(student.user)
    assert client.get(reverse("delivery:badge"), {"csn": SEVEN}).status_code == 403


def test_the_card_list_has_a_badge_field(login, manager_a):
    text = login(manager_a).get(reverse("backoffice:cards")).content.decode()
    assert f'action="{reverse("delivery:badge")}"' in text and 'name="csn"' in text


# --- waiting for a station's reader --------------------------------------------------------

def wait(client, station, since=None):
    params = {"station": station.pk} | ({"since": since} if since is not None else {})
    response = client.get(reverse("delivery:badge_wait"), params)
    return response.status_code, response.json()


def test_the_badge_page_offers_the_stations_of_the_managers_establishments(
        login, manager_a, station, est_b):
    stations.register_station("Desk B", est_b, Actor.system())
    response = login(manager_a).get(reverse("delivery:badge"))
    assert [s.name for s in response.context["stations"]] == ["Desk A"]
    assert 'data-wait-url="' + reverse("delivery:badge_wait") in response.content.decode()


def test_the_waiting_page_gets_the_card_url_after_a_station_read(login, manager_a, station,
                                                                 card):
    client = login(manager_a)
    read_at_station(station, "11223344")  # read before the manager started waiting
    status, first = wait(client, station)
    assert status == 200 and first["status"] == "waiting" and first["since"]
    assert wait(client, station, first["since"]) == (200, {"status": "waiting",
                                                           "since": first["since"]})
    read_at_station(station, "00 80 5d 1c 3b a2 04")
    status, answer = wait(client, station, first["since"])
    assert answer == {"status": "read", "csn": "00805D1C3BA204",
                      "url": reverse("backoffice:card", args=[card.pk])}


def test_a_first_read_after_waiting_from_a_quiet_station(login, manager_a, station, card):
    client = login(manager_a)
    _status, first = wait(client, station)
    assert first == {"status": "waiting", "since": ""}
    read_at_station(station, SEVEN)
    _status, answer = wait(client, station, "")
    assert answer["url"] == reverse("backoffice:card", args=[card.pk])


def test_a_read_of_an_unknown_badge_leads_to_the_search_saying_so(login, manager_a, station):
    client = login(manager_a)
    _status, first = wait(client, station)
    read_at_station(station, "DEADBEEF")
    _status, answer = wait(client, station, first["since"])
    assert answer["url"] == reverse("delivery:badge") + "?csn=DEADBEEF"
    page = client.get(answer["url"])
    assert "No card has the chip “DEADBEEF”." in page.content.decode()


def test_another_establishments_station_cannot_be_waited_on(login, manager_b, station):
    client = login(manager_b)
    status, body = wait(client, station)
    assert status == 404 and body["detail"] == "Choose one of your stations."
    response = client.get(reverse("delivery:badge_wait"), {"station": "not a number"})
    assert response.status_code == 404


def test_a_revoked_station_cannot_be_waited_on(login, manager_a, station):
    stations.revoke_station(station, Actor.system())
    assert wait(login(manager_a), station)[0] == 404
