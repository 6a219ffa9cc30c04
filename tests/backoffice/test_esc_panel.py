"""The European Student Card panel of the card page: what was last sent beside what the router
says now, and "push to the router again", for one card and in bulk."""

import re
import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.institutions.models import Establishment
from campuscard.people import services as people_services
from tests.esc_router.conftest import (  # noqa: F401 (fixtures)
    Reply,
    live_router,
    router_key,
    scripted_server,
)
from tests.esc_router.test_target import closed_port_url, fresh_pool  # noqa: F401

from ..conftest import actor, card_in_state
from .conftest import quick_card

PUSH_AGAIN = "esc_router.push_again"


def with_key(establishment, key="key-of-a"):
    Establishment.objects.filter(pk=establishment.pk).update(esc_router_key=key)
    establishment.refresh_from_db()
    return establishment


def panel_value(response, element_id):
    match = re.search(rf'<dd id="{element_id}">(.*?)</dd>', response.content.decode(), re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def card_page(client, card):
    return client.get(reverse("backoffice:card", args=[card.pk]))


def push_url(card):
    return reverse("backoffice:card_esc_push", args=[card.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def nothing_written():
    return not OutboxItem.objects.exists() and not AuditEntry.objects.filter(
        action="push.esc_router.requested").exists()


@pytest.fixture
def router_down(settings, est_a):
    settings.CAMPUSCARD_ESC_ROUTER_URL = closed_port_url()
    with_key(est_a)


@pytest.fixture
def scripted_router(settings, scripted_server, est_a):  # noqa: F811
    settings.CAMPUSCARD_ESC_ROUTER_URL = scripted_server.base_url
    with_key(est_a)
    return scripted_server


# --- what the panel shows ----------------------------------------------------------------------

def test_the_panel_shows_what_was_sent_beside_the_routers_live_status(
        live_router, fresh_pool, settings, est_a, student, manager_a, login):  # noqa: F811
    base_url, key = live_router
    settings.CAMPUSCARD_ESC_ROUTER_URL = base_url
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 0  # the suite's earlier checks count too
    with_key(est_a, key)
    people_services.set_consent(student, actor(manager_a), "esc", True)
    card = card_in_state(student, State.ENABLED, manager_a)
    outbox.drain()
    response = card_page(login(manager_a), card)
    assert response.status_code == 200
    expiry = student.rights_end.strftime("%d/%m/%Y")  # English dates are day/month too
    assert panel_value(response, "esc-last-sent").startswith(f"Active, expiry date {expiry} — ")
    assert panel_value(response, "esc-live") == f"Active, expiry date {expiry}"
    assert str(card.escn) in response.content.decode()


def test_a_card_the_router_does_not_know(scripted_router, student, manager_a, login):
    scripted_router.answer(Reply(404, {"code": "ER-0001", "message": "card not found"}))
    card = quick_card(student, State.ENABLED)
    response = card_page(login(manager_a), card)
    assert panel_value(response, "esc-live") == "unknown to the router"
    assert panel_value(response, "esc-last-sent") == "nothing yet"
    assert scripted_router.received[0].path == f"/esc-rest/api/v2/cards/{card.escn}/status"
    assert "Authorization" not in scripted_router.received[0].headers


def test_the_page_renders_when_the_router_is_down(router_down, student, manager_a, login):
    response = card_page(login(manager_a), quick_card(student, State.ENABLED))
    assert response.status_code == 200
    assert panel_value(response, "esc-live") == "router unreachable"


@pytest.mark.parametrize("reply", [
    Reply(500, {"code": "ER-9999", "message": "boom"}),
    Reply(200, "<html>a proxy page</html>"),
    Reply(302, headers={"Location": "https://elsewhere.example.org/"}),
])
def test_a_router_answering_nonsense_is_unreachable(scripted_router, reply, student,
                                                    manager_a, login):
    scripted_router.answer(reply)
    response = card_page(login(manager_a), quick_card(student, State.ENABLED))
    assert response.status_code == 200
    assert panel_value(response, "esc-live") == "router unreachable"
    assert scripted_router.count() == 1  # asked once: the page does not wait on retries


def test_a_slow_router_is_given_up_after_two_seconds(scripted_router, student, manager_a,
                                                     login):
    scripted_router.answer(Reply(200, {"status": "ACTIVE"}, delay=6))
    started = time.monotonic()
    response = card_page(login(manager_a), quick_card(student, State.ENABLED))
    assert time.monotonic() - started < 4
    assert panel_value(response, "esc-live") == "router unreachable"


def test_without_a_router_the_panel_says_so(est_a, student, manager_a, login):
    response = card_page(login(manager_a), quick_card(student, State.ENABLED))
    assert panel_value(response, "esc-live") == "no ESC router is configured"
    assert push_url(response.context["card"]) not in response.content.decode()


def test_the_panel_says_when_the_holder_has_not_consented(router_down, student, manager_a,
                                                          login):
    response = card_page(login(manager_a), quick_card(student, State.ENABLED))
    assert "has not consented to the European Student Card" in response.content.decode()


# --- push again, one card ----------------------------------------------------------------------

def test_a_manager_pushes_a_card_again(router_down, student, manager_a, login):
    card = quick_card(student, State.ENABLED)
    client = login(manager_a)
    assert push_url(card) in card_page(client, card).content.decode()
    response = client.post(push_url(card))
    assert response.status_code == 302
    assert texts(response) == ["The card will be pushed to the ESC router again."]
    row = OutboxItem.objects.get()
    assert (row.target, row.operation, row.object_type, row.object_id) == (
        "esc_router", PUSH_AGAIN, "card", str(card.pk))
    entry = AuditEntry.objects.get(action="push.esc_router.requested")
    assert (entry.card_id, entry.person_id, entry.actor) == (card.pk, student.pk, manager_a)


def test_a_consultant_cannot_push_again(router_down, student, consultant_a, login):
    card = quick_card(student, State.ENABLED)
    client = login(consultant_a)
    assert push_url(card) not in card_page(client, card).content.decode()
    assert client.post(push_url(card)).status_code == 403
    assert nothing_written()


def test_a_manager_of_another_establishment_gets_404(router_down, student, manager_b, login):
    card = quick_card(student, State.ENABLED)
    assert login(manager_b).post(push_url(card)).status_code == 404
    assert nothing_written()


def test_push_again_is_a_post(router_down, student, manager_a, login):
    card = quick_card(student, State.ENABLED)
    assert login(manager_a).get(push_url(card)).status_code == 405
    assert nothing_written()


def test_an_establishment_without_a_key_offers_no_push(router_down, student_b, manager_b,
                                                       login):
    card = quick_card(student_b, State.ENABLED)
    client = login(manager_b)
    assert push_url(card) not in card_page(client, card).content.decode()
    response = client.post(push_url(card))
    assert texts(response) == ["École B does not send its cards to the ESC router."]
    assert nothing_written()


# --- push again, in bulk -----------------------------------------------------------------------

CHOOSE = reverse("backoffice:bulk_choose")
APPLY = reverse("backoffice:bulk_apply")


def push_in_bulk(client, cards):
    tokens = [f"{card.pk}:{card.state}" for card in cards]
    return client.post(APPLY, {"card": tokens, "action": "esc_push"})


def test_cards_are_pushed_again_in_bulk(router_down, student, other_student, manager_a, login):
    cards = [quick_card(student, State.ENABLED), quick_card(other_student, State.DISABLED)]
    client = login(manager_a)
    chosen = client.post(CHOOSE, {"card": [card.pk for card in cards]})
    assert chosen.context["may_push_esc"]
    assert "Push to the ESC router again (2 cards)" in chosen.content.decode()
    response = push_in_bulk(client, cards)
    assert response.status_code == 302
    assert texts(response) == ["2 cards will be pushed to the ESC router again."]
    rows = OutboxItem.objects.order_by("object_id")
    assert [(r.target, r.operation, r.object_id) for r in rows] == [
        ("esc_router", PUSH_AGAIN, str(card.pk)) for card in cards]
    assert AuditEntry.objects.filter(action="push.esc_router.requested").count() == 2


def test_bulk_push_is_not_offered_when_a_card_cannot_go(router_down, student, student_b,
                                                        admin_user, login):
    cards = [quick_card(student, State.ENABLED), quick_card(student_b, State.ENABLED)]
    client = login(admin_user)
    chosen = client.post(CHOOSE, {"card": [card.pk for card in cards]})
    assert not chosen.context["may_push_esc"]
    response = push_in_bulk(client, cards)  # asked anyway: the one that can go goes
    assert texts(response) == [
        "1 card will be pushed to the ESC router again.",
        f"Card {cards[1].number} (Chloe Martin) was not pushed: "
        "École B does not send its cards to the ESC router."]
    assert list(OutboxItem.objects.values_list("object_id", flat=True)) == [str(cards[0].pk)]


def test_bulk_push_outside_the_scope_is_404(router_down, student, manager_b, login):
    card = quick_card(student, State.ENABLED)
    assert push_in_bulk(login(manager_b), [card]).status_code == 404
    assert nothing_written()


def test_a_consultant_cannot_push_in_bulk(router_down, student, consultant_a, login):
    card = quick_card(student, State.ENABLED)
    assert push_in_bulk(login(consultant_a), [card]).status_code == 403
    assert nothing_written()
