"""The stations page, "send to print" on the card page and in bulk, "print again"."""

import re

import pytest
from django.urls import reverse

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import services
from campuscard.stations.models import JobStatus, PrintJob
from tests.conftest import make_staff

RAW = ("print_job", "station.", "queued", "leased", "REQUEST_CHECKED", "IN_PRINT", "failed",
       "again_after", "printed_values", "canceled")


def text_of(response):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def as_manager(client, manager_a):
    client.force_login(manager_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_card_page_offers_the_stations_the_manager_may_use(as_manager, checked_cards,
                                                               station, est_a):
    services.register_station("Not mine", est_a, Actor.system())
    response = as_manager.get(reverse("backoffice:card", args=[checked_cards[0].pk]))
    assert [s.name for s in response.context["stations"]] == ["Office A"]
    assert 'id="send-to-print"' in response.content.decode()


def test_send_to_print_from_the_card_page(as_manager, checked_cards, station):
    card = checked_cards[0]
    response = as_manager.post(reverse("stations:send"), {"card": [card.pk],
                                                          "station": station.pk})
    assert response.status_code == 302 and response.url == reverse("backoffice:card",
                                                                   args=[card.pk])
    assert Card.objects.get(pk=card.pk).state == State.IN_PRINT
    assert PrintJob.objects.get(card=card).station == station


def test_send_to_print_in_bulk(as_manager, checked_cards, station):
    ids = [card.pk for card in checked_cards]
    page = as_manager.post(reverse("backoffice:bulk_choose"),
                           {"card": [f"{pk}" for pk in ids]})
    assert 'id="send-to-print"' in page.content.decode()
    as_manager.post(reverse("stations:send"), {"card": ids, "station": station.pk})
    assert PrintJob.objects.filter(status=JobStatus.QUEUED).count() == 2


def test_a_station_the_manager_may_not_use_changes_nothing(client, checked_cards, station,
                                                           est_a):
    other = make_staff("manager-a2", "manager", [est_a])
    client.force_login(other)
    client.post(reverse("stations:send"), {"card": [checked_cards[0].pk],
                                           "station": station.pk})
    assert Card.objects.get(pk=checked_cards[0].pk).state == State.REQUEST_CHECKED
    assert not PrintJob.objects.exists()


def test_the_stations_page_shows_state_queue_and_print_again(as_manager, queued, station):
    job = services.lease_next_job(station)
    services.report_failed(station, job.pk, "Ribbon empty", Actor.device(station))
    services.heartbeat(station, "192.0.2.7", "ready")
    page = as_manager.get(reverse("stations:list"))
    text = text_of(page)
    assert "Office A" in text and "Evolis Primacy 2" in text and "online" in text
    assert "1 waiting, 0 being printed" in text and "Ribbon empty" in text
    as_manager.post(reverse("stations:print_again", args=[job.pk]))
    assert PrintJob.objects.filter(card=job.card, status=JobStatus.QUEUED).exists()


def test_the_french_pages_show_no_codes(client, manager_a, queued, station):
    job = services.lease_next_job(station)
    services.report_printed(station, job.pk, Actor.device(station))
    other = services.lease_next_job(station)
    services.report_failed(station, other.pk, "Bourrage", Actor.device(station))
    client.force_login(manager_a)
    for url in (reverse("stations:list"), reverse("backoffice:card", args=[job.card_id]),
                reverse("backoffice:card", args=[other.card_id])):
        text = text_of(client.get(url, HTTP_ACCEPT_LANGUAGE="fr"))
        for code in RAW:
            assert code not in text, (url, code)


def test_the_admin_shows_the_token_once_and_revokes(client, admin_user, est_a):
    client.force_login(admin_user)
    response = client.post(reverse("admin:stations_station_add"), {
        "name": "Desk 3", "kind": "print", "establishment": est_a.pk,
        "printer_model": "Zebra ZC300"}, follow=True)
    text = response.content.decode()
    token = re.search(r"st_[0-9a-f]{8}_[A-Za-z0-9_-]{32,}", text)[0]
    found = services.find_station(token)
    assert found.name == "Desk 3" and found.printer_model == "Zebra ZC300"
    page = client.get(reverse("admin:stations_station_change", args=[found.pk]))
    assert token not in page.content.decode()
    client.post(reverse("admin:stations_station_changelist"),
                {"action": "revoke", "_selected_action": [found.pk]})
    assert services.find_station(token) is None
