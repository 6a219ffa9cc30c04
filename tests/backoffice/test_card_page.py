"""The card page: what it shows, the actions it offers, and what those actions do."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, State
from campuscard.core.models import AuditEntry

from ..conftest import actor, card_in_state
from .conftest import failed_push


def page(client, card):
    return client.get(reverse("backoffice:card", args=[card.pk]))


def transition(client, card, target, seen=None, **fields):
    return client.post(reverse("backoffice:card_transition", args=[card.pk]),
                       {"target": target, "seen_state": seen or card.state, **fields})


def offered(response):
    return [(offer.target, str(offer.label)) for offer in response.context["offers"]]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_page_shows_person_card_history_and_pushes(login, manager_a, student):
    card = card_in_state(student, State.ENABLED, manager_a)
    failed_push(card=card)
    response = page(login(manager_a), card)
    html = response.content.decode()
    assert response.status_code == 200
    for fact in (student.eppn, student.email, str(card.escn), card.csn, "Enabled"):
        assert fact in html
    actions = [entry.action for entry in response.context["history"]]
    assert actions[0] == "card.enabled" and actions[-1] == "card.requested"
    assert "192.0.2.10" in html  # the IP of each change
    assert "manager-a" in html  # who made it
    assert "New request" in html and "Request checked" in html  # states by their labels
    assert [p.status for p in response.context["pushes"]] == ["failed"]
    assert "HTTP 410" in html


def test_new_card_offers_exactly_accept_reject_cancel(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    response = page(login(manager_a), card)
    assert offered(response) == [(State.REQUEST_CHECKED, "Accept the request"),
                                 (State.REJECTED, "Reject the request"),
                                 (State.CANCELED, "Cancel the request")]
    html = response.content.decode()
    assert 'id="reason-REJECTED"' in html and 'for="reason-REJECTED"' in html
    assert 'name="csn"' not in html and 'name="disable_reason"' not in html
    assert not response.context["may_deliver"]


def test_enabled_card_offers_disable_with_every_reason(login, manager_a, student):
    card = card_in_state(student, State.ENABLED, manager_a)
    response = page(login(manager_a), card)
    assert offered(response) == [(State.DISABLED, "Disable")]
    assert list(response.context["offers"][0].disable_reasons) == list(DisableReason)
    assert 'for="disable-reason-DISABLED"' in response.content.decode()
    assert response.context["may_deliver"]


def test_card_being_encoded_asks_for_the_csn(login, manager_a, student):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    response = page(login(manager_a), card)
    assert [target for target, _label in offered(response)] == [State.ENCODED, State.PRINTED]
    assert 'for="csn-ENCODED"' in response.content.decode()


def test_enable_is_not_offered_when_the_rights_have_ended(login, manager_a, student):
    card = card_in_state(student, State.ENCODED, manager_a)
    student.rights_end = timezone.localdate() - datetime.timedelta(days=1)
    student.save()
    assert offered(page(login(manager_a), card)) == [(State.DESTROYED, "Destroy")]


def test_accept_moves_the_card_and_is_audited(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    client = login(manager_a)
    response = transition(client, card, State.REQUEST_CHECKED)
    assert response.status_code == 302
    assert Card.objects.get(pk=card.pk).state == State.REQUEST_CHECKED
    entry = AuditEntry.objects.filter(card=card).first()
    assert (entry.action, entry.actor, entry.ip) == ("card.request_checked", manager_a,
                                                     "127.0.0.1")
    assert texts(response) == ["Done: the card is now “Request checked”."]
    assert "Request checked" in client.get(response["Location"]).content.decode()


def test_reject_needs_a_reason(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    entries = AuditEntry.objects.count()
    response = transition(login(manager_a), card, State.REJECTED, reason="  ")
    assert response.status_code == 400
    assert "A reason is required." in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == State.NEW
    assert AuditEntry.objects.count() == entries


def test_reject_with_a_reason(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    transition(login(manager_a), card, State.REJECTED, reason="Blurred photo")
    card.refresh_from_db()
    assert (card.state, card.reject_count, card.rejection_reason) == (
        State.REJECTED, 1, "Blurred photo")


def test_encoding_keeps_a_wrong_csn_in_the_form_and_explains(login, manager_a, student):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    response = transition(login(manager_a), card, State.ENCODED, csn="not-hex")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A chip serial number is 4, 7 or 10 bytes written in hexadecimal." in html
    assert 'value="not-hex"' in html
    assert Card.objects.get(pk=card.pk).state == State.IN_ENCODE


def test_encoding_binds_the_chip(login, manager_a, student):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    transition(login(manager_a), card, State.ENCODED, csn="04:a1:b2:c3:d4:e5:f6")
    card.refresh_from_db()
    assert (card.state, card.csn) == (State.ENCODED, "04A1B2C3D4E5F6")


def test_disable_needs_a_disable_reason(login, manager_a, student):
    card = card_in_state(student, State.ENABLED, manager_a)
    client = login(manager_a)
    assert transition(client, card, State.DISABLED).status_code == 400
    assert Card.objects.get(pk=card.pk).state == State.ENABLED
    transition(client, card, State.DISABLED, disable_reason="THEFT")
    card.refresh_from_db()
    assert (card.state, card.disable_reason) == (State.DISABLED, DisableReason.THEFT)


def test_someone_else_changed_the_card_meanwhile(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    card_services.check_request(card, actor(manager_a))  # another tab, another manager
    entries = AuditEntry.objects.count()
    response = transition(login(manager_a), card, State.CANCELED, seen=State.NEW)
    assert response.status_code == 409
    assert "Someone else changed this card meanwhile" in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == State.REQUEST_CHECKED
    assert AuditEntry.objects.count() == entries
    assert offered(response)[0][0] == State.IN_PRINT  # the page shows the card as it is now


def test_a_transition_not_in_the_table_is_refused(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    response = transition(login(manager_a), card, State.ENABLED)
    assert response.status_code == 409
    assert "cannot become" in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == State.NEW


@pytest.mark.parametrize("body", [{"target": "FLYING", "seen_state": "NEW"},
                                  {"target": "CANCELED"}])
def test_a_garbled_post_changes_nothing(login, manager_a, student, body):
    card = card_in_state(student, State.NEW, manager_a)
    response = login(manager_a).post(reverse("backoffice:card_transition", args=[card.pk]),
                                     body)
    assert response.status_code == 302
    assert texts(response) == ["This action could not be understood; reload the page."]
    assert Card.objects.get(pk=card.pk).state == State.NEW


def test_mark_delivered(login, manager_a, student):
    card = card_in_state(student, State.PRINTED, manager_a)
    client = login(manager_a)
    assert page(client, card).context["may_deliver"]
    url = reverse("backoffice:card_delivered", args=[card.pk])
    response = client.post(url)
    assert texts(response) == ["The card is recorded as delivered."]
    card.refresh_from_db()
    assert card.delivered_at is not None and card.delivered_by == manager_a
    assert not page(client, card).context["may_deliver"]
    again = client.post(url)
    assert texts(again) == ["This card has already been delivered."]


def test_a_card_not_printed_cannot_be_delivered(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    response = login(manager_a).post(reverse("backoffice:card_delivered", args=[card.pk]))
    assert texts(response) == ["Only a card that has been printed can be handed over."]
    assert Card.objects.get(pk=card.pk).delivered_at is None
