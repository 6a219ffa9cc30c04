"""Bulk actions: choose cards, see the actions valid for all of them, apply, read the report."""

from django.contrib.messages import get_messages
from django.urls import reverse

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, State
from campuscard.core.models import AuditEntry

from ..conftest import actor, card_in_state
from .conftest import many_people, quick_card

CHOOSE = reverse("backoffice:bulk_choose")
APPLY = reverse("backoffice:bulk_apply")


def choose(client, cards, back=""):
    return client.post(CHOOSE, {"card": [card.pk for card in cards], "back": back})


def apply(client, cards, action, **fields):
    tokens = [f"{card.pk}:{card.state}" for card in cards]
    return client.post(APPLY, {"card": tokens, "action": action, **fields})


def offered_targets(response):
    return [offer.target for offer in response.context["offers"]]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_new_and_checked_cards_share_only_cancel(login, manager_a, student, other_student):
    new = card_in_state(student, State.NEW, manager_a)
    checked = card_in_state(other_student, State.REQUEST_CHECKED, manager_a)
    response = choose(login(manager_a), [new, checked])
    assert response.status_code == 200
    assert offered_targets(response) == [State.CANCELED]
    assert not response.context["may_deliver"]
    html = response.content.decode()
    assert f'value="{new.pk}:NEW"' in html and f'value="{checked.pk}:REQUEST_CHECKED"' in html
    assert "Cancel the request (2 cards)" in html


def test_cards_in_the_same_state_share_their_whole_menu(login, manager_a, student,
                                                        other_student):
    cards = [card_in_state(p, State.NEW, manager_a) for p in (student, other_student)]
    response = choose(login(manager_a), cards)
    assert offered_targets(response) == [State.REQUEST_CHECKED, State.REJECTED, State.CANCELED]
    reject = response.context["offers"][1]
    assert reject.needs_reason and not reject.disable_reasons


def test_nothing_in_common_says_so(login, manager_a, student, other_student):
    new = card_in_state(student, State.NEW, manager_a)
    enabled = card_in_state(other_student, State.ENABLED, manager_a)
    response = choose(login(manager_a), [new, enabled])
    assert offered_targets(response) == []
    assert "No action is possible for all of these cards at once." in response.content.decode()


def test_encoding_is_never_offered_in_bulk(login, manager_a, student, other_student):
    cards = [card_in_state(p, State.IN_ENCODE, manager_a) for p in (student, other_student)]
    response = choose(login(manager_a), cards)
    assert offered_targets(response) == [State.PRINTED]  # ENCODED needs one chip per card
    assert response.context["may_deliver"]


def test_enabled_cards_offer_disable_with_its_reasons_and_delivery(login, manager_a, student,
                                                                  other_student):
    cards = [card_in_state(p, State.ENABLED, manager_a) for p in (student, other_student)]
    response = choose(login(manager_a), cards)
    assert offered_targets(response) == [State.DISABLED]
    assert list(response.context["offers"][0].disable_reasons) == list(DisableReason)
    assert response.context["may_deliver"]


def test_choosing_nothing_goes_back_to_the_search(login, manager_a):
    response = login(manager_a).post(CHOOSE, {"back": "state=NEW&q=alice"})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:cards") + "?state=NEW&q=alice"
    assert texts(response) == ["Select at least one card."]


def test_apply_cancels_every_card_and_goes_back_to_the_search(login, manager_a, student,
                                                              other_student):
    new = card_in_state(student, State.NEW, manager_a)
    checked = card_in_state(other_student, State.REQUEST_CHECKED, manager_a)
    response = apply(login(manager_a), [new, checked], "CANCELED", back="state=NEW")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:cards") + "?state=NEW"
    assert texts(response) == ["2 cards updated."]
    assert set(Card.objects.values_list("state", flat=True)) == {State.CANCELED}
    assert AuditEntry.objects.filter(action="card.canceled").count() == 2


def test_apply_reports_each_card_that_failed(login, manager_a, student, other_student, est_a,
                                            students):
    ok = card_in_state(student, State.NEW, manager_a)
    changed = card_in_state(other_student, State.NEW, manager_a)
    card_services.cancel_request(changed, actor(manager_a))  # meanwhile, someone else
    enabled = card_in_state(many_people(1, est_a, students)[0], State.ENABLED, manager_a)
    response = apply(login(manager_a), [ok, changed, enabled], "REQUEST_CHECKED")
    messages = texts(response)
    assert messages[0] == "1 card updated."
    assert messages[1].startswith(f"Card {changed.number} (Bob Martin) was not changed: "
                                  "Someone else changed this card meanwhile")
    assert messages[2].startswith(f"Card {enabled.number} (First000 Name000) was not changed: "
                                  "A card in state “Enabled” cannot become")
    assert Card.objects.get(pk=ok.pk).state == State.REQUEST_CHECKED
    assert Card.objects.get(pk=changed.pk).state == State.CANCELED
    assert Card.objects.get(pk=enabled.pk).state == State.ENABLED


def test_apply_reject_without_reason_fails_for_each_card(login, manager_a, student,
                                                         other_student):
    cards = [card_in_state(p, State.NEW, manager_a) for p in (student, other_student)]
    messages = texts(apply(login(manager_a), cards, "REJECTED", reason=""))
    assert len(messages) == 2
    assert all(m.endswith("A reason is required.") for m in messages)
    assert set(Card.objects.values_list("state", flat=True)) == {State.NEW}


def test_apply_reject_with_reason(login, manager_a, student, other_student):
    cards = [card_in_state(p, State.NEW, manager_a) for p in (student, other_student)]
    apply(login(manager_a), cards, "REJECTED", reason="Photo missing")
    assert set(Card.objects.values_list("rejection_reason", flat=True)) == {"Photo missing"}


def test_apply_disable_with_reason(login, manager_a, student, other_student):
    cards = [card_in_state(p, State.ENABLED, manager_a) for p in (student, other_student)]
    apply(login(manager_a), cards, "DISABLED", disable_reason="OUT_OF_ORDER")
    assert set(Card.objects.values_list("disable_reason", flat=True)) == {"OUT_OF_ORDER"}


def test_bulk_mark_delivered_reports_the_card_already_delivered(login, manager_a, student,
                                                                other_student):
    printed = card_in_state(student, State.PRINTED, manager_a)
    enabled = card_in_state(other_student, State.ENABLED, manager_a)
    card_services.mark_delivered(enabled, actor(manager_a))
    messages = texts(apply(login(manager_a), [printed, enabled], "deliver"))
    assert messages == ["1 card updated.",
                        f"Card {enabled.number} (Bob Martin) was not changed: "
                        "This card has already been delivered."]
    assert Card.objects.get(pk=printed.pk).delivered_at is not None


def test_garbled_apply_changes_nothing(login, manager_a, student):
    card = quick_card(student)
    client = login(manager_a)
    for body in ({"card": [f"{card.pk}:FLYING"], "action": "CANCELED"},
                 {"card": [f"{card.pk}:NEW"], "action": "FLYING"},
                 {"card": ["x:NEW"], "action": "CANCELED"},
                 {"action": "CANCELED"}):
        response = client.post(APPLY, body)
        assert response.status_code == 302
        assert texts(response)[-1] == "This action could not be understood; nothing was changed."
    assert Card.objects.get(pk=card.pk).state == State.NEW


def test_back_cannot_redirect_elsewhere(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    response = apply(login(manager_a), [card], "CANCELED", back="//evil.example/x?y=1")
    assert response["Location"].startswith(reverse("backoffice:cards") + "?")
