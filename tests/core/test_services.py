"""The card and people services: who may do what, what is written, and what is refused."""

import uuid
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from campuscard.cards import services
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, IllegalTransition, NotAllowed, Role, State
from campuscard.core import outbox
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.people import services as people_services
from campuscard.people.models import Person

from ..conftest import actor, card_in_state
from .helpers import (
    IP,
    SPEC,
    RecordingTarget,
    card_row,
    counts,
    make_card,
    next_year,
    reload,
    station,
    system,
    yesterday,
)

PERSONAS = ("manager_a", "manager_b", "holder", "other_student", "system", "station")
PERSONA_ROLE = {"manager_a": Role.MANAGER, "holder": Role.HOLDER, "system": Role.SYSTEM,
                "station": Role.STATION}
CSN = "04A1B2C3D4E5F6"


@pytest.fixture
def people(student, other_student, manager_a, manager_b):
    """The cast: the holder is `student`; everyone else acts on the holder's cards."""
    return {
        "manager_a": actor(manager_a), "manager_b": actor(manager_b), "holder": actor(student.user),
        "other_student": actor(other_student.user), "system": system(), "station": station(),
    }


def kwargs_for(target):
    return {
        State.REJECTED: {"reason": "blurry photo"},
        State.DISABLED: {"disable_reason": DisableReason.LOST},
        State.ENCODED: {"csn": CSN},
    }.get(State(target), {})


def card_audit(card):
    return list(AuditEntry.objects.filter(card=card, action__startswith="card.").order_by("id"))


def pushes_for(card):
    return list(OutboxItem.objects.filter(target=RecordingTarget.name, object_type="card",
                                          object_id=str(card.pk)).order_by("id"))


# --- every transition of the issue, for every persona ----------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("source", "target"), sorted(SPEC))
def test_transition_for_persona(source, target, persona, student, manager_a, people, recorder):
    card = make_card(student, source, manager_a)
    assert card.state == source
    roles, action, pushes, _needs = SPEC[(source, target)]
    by = people[persona]
    row, before_counts = card_row(card), counts()
    pushes_before = len(pushes_for(card))

    if PERSONA_ROLE.get(persona) not in roles:
        with pytest.raises(IllegalTransition) as refused:
            services.change_state(card, target, by, **kwargs_for(target))
        assert "not allowed" in str(refused.value)
        assert card_row(card) == row
        assert counts() == before_counts
        return

    result = services.change_state(card, target, by, **kwargs_for(target))
    assert result.state == target == reload(card).state
    entry = card_audit(card)[-1]
    assert entry.action == action
    assert entry.before["state"] == source and entry.after["state"] == target
    assert entry.actor_id == getattr(by.user, "pk", None)
    assert entry.actor_label == by.label
    assert entry.ip == by.ip
    assert entry.person_id == student.pk
    new_pushes = pushes_for(card)[pushes_before:]
    if pushes:
        assert [(p.operation, p.payload["state"]) for p in new_pushes] == [(action, target)]
        assert new_pushes[0].payload["card_id"] == card.pk
        assert new_pushes[0].payload["eppn"] == student.eppn
    else:
        assert new_pushes == []


# --- creating cards ----------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "allowed"), [
    ("holder", True), ("manager_a", True), ("system", True),
    ("manager_b", False), ("other_student", False), ("station", False)])
def test_request_card(persona, allowed, student, people, est_a):
    by = people[persona]
    if not allowed:
        with pytest.raises(IllegalTransition, match="not allowed"):
            services.request_card(student, by)
        assert not Card.objects.exists() and counts() == (0, 0)
        return
    card = services.request_card(student, by)
    assert card.state == State.NEW and card.establishment == est_a
    assert card.escn.version == 1
    assert f"{card.escn.node:012x}" == f"{est_a.escn_prefix}{est_a.pic}"
    [entry] = card_audit(card)
    assert entry.action == "card.requested" and entry.after["state"] == State.NEW
    assert entry.before is None and entry.ip == by.ip and entry.actor_label == by.label


PENDING = [State.NEW, State.RENEWED, State.REQUEST_CHECKED, State.IN_PRINT, State.PRINTED,
           State.IN_ENCODE, State.ENCODED]


@pytest.mark.parametrize("pending", PENDING)
def test_one_pending_request_at_a_time(pending, student, manager_a):
    card = make_card(student, pending, manager_a)
    before, nb_cards = counts(), Card.objects.count()
    with pytest.raises(IllegalTransition, match="already in progress"):
        services.request_card(student, actor(student.user))
    if pending == State.RENEWED:  # the renewed card is still enabled: renewing it again waits
        with pytest.raises(IllegalTransition, match="already in progress"):
            services.renew_card(card.renewal_of, actor(manager_a), reason="lost")
    with pytest.raises(IllegalTransition, match="Only an issued card"):
        services.renew_card(card, actor(manager_a), reason="lost")
    assert Card.objects.count() == nb_cards and counts() == before


def test_no_renewal_while_a_request_is_in_progress(student, manager_a):
    enabled = card_in_state(student, State.ENABLED, manager_a)
    services.request_card(student, actor(student.user))
    before = counts()
    with pytest.raises(IllegalTransition, match="already in progress"):
        services.renew_card(enabled, actor(student.user), reason="lost")
    assert counts() == before and student.cards.count() == 2


@pytest.mark.parametrize("finished", [State.REJECTED, State.CANCELED])
def test_a_new_request_after_a_finished_one(finished, student, manager_a):
    old = make_card(student, finished, manager_a)
    card = services.request_card(student, actor(student.user))
    assert card.state == State.NEW and card.pk != old.pk


def test_no_request_once_rights_have_ended(student, manager_a):
    people_services.update_person(student, actor(manager_a), rights_end=yesterday())
    before = counts()
    with pytest.raises(IllegalTransition, match="rights have ended"):
        services.request_card(student, actor(manager_a))
    assert not Card.objects.exists() and counts() == before


def walk_to_enabled(card, by, csn):
    for step in (services.check_request, services.send_to_print, services.mark_printed,
                 services.start_encoding):
        card = step(card, by)
    card = services.mark_encoded(card, by, csn)
    return services.enable(card, by)


def test_renewal_replaces_the_old_card_only_when_enabled(student, manager_a, recorder):
    by = actor(manager_a)
    old = card_in_state(student, State.ENABLED, manager_a)
    new = services.renew_card(old, actor(student.user), reason=" worn out ")
    assert new.state == State.RENEWED and new.renewal_of == old
    assert new.renewal_reason == "worn out"
    [entry] = card_audit(new)
    assert entry.action == "card.renewal_requested" and entry.reason == "worn out"

    for step in (services.check_request, services.send_to_print, services.mark_printed,
                 services.start_encoding):
        new = step(new, by)
        assert reload(old).state == State.ENABLED
    new = services.mark_encoded(new, by, CSN)
    assert reload(old).state == State.ENABLED  # still usable until the new one is enabled
    pushes_before = OutboxItem.objects.count()
    new = services.enable(new, by)

    old = reload(old)
    assert (old.state, old.disable_reason) == (State.DISABLED, DisableReason.REPLACED)
    assert new.state == State.ENABLED
    assert Card.objects.filter(person=student, state=State.ENABLED).get() == new
    replaced = card_audit(old)[-1]
    assert replaced.action == "card.disabled" and replaced.reason == DisableReason.REPLACED
    assert replaced.actor_id == manager_a.pk and "system" in replaced.actor_label
    assert replaced.ip == IP
    # other systems hear the old card go before the new one comes
    rows = list(OutboxItem.objects.filter(target=RecordingTarget.name)
                .order_by("id")[pushes_before:])
    assert [(r.operation, int(r.object_id), r.payload["state"]) for r in rows] == [
        ("card.disabled", old.pk, State.DISABLED), ("card.enabled", new.pk, State.ENABLED)]
    assert rows[0].payload["disable_reason"] == DisableReason.REPLACED


@pytest.mark.parametrize("source", [State.ENABLED, State.DISABLED, State.DESTROYED])
def test_issued_cards_can_be_renewed(source, student, manager_a):
    old = make_card(student, source, manager_a)
    new = services.renew_card(old, actor(student.user), reason="lost")
    assert new.state == State.RENEWED and reload(old).state == source


@pytest.mark.parametrize("source", [State.REJECTED, State.CANCELED, State.IN_PRINT])
def test_only_issued_cards_can_be_renewed(source, student, manager_a):
    old = make_card(student, source, manager_a)
    before = counts()
    with pytest.raises(IllegalTransition, match="Only an issued card"):
        services.renew_card(old, actor(manager_a), reason="lost")
    assert counts() == before


def test_renewal_needs_a_reason_and_the_right_person(student, manager_a, manager_b, people):
    old = card_in_state(student, State.ENABLED, manager_a)
    before = counts()
    with pytest.raises(ValidationError):
        services.renew_card(old, actor(manager_a), reason="  ")
    for persona in ("manager_b", "other_student", "system", "station"):
        with pytest.raises(IllegalTransition, match="not allowed"):
            services.renew_card(old, people[persona], reason="lost")
    assert counts() == before and student.cards.count() == 1


# --- requests --------------------------------------------------------------------------------

def test_rejection_counts_and_needs_a_reason(student, manager_a):
    by = actor(manager_a)
    card = services.request_card(student, actor(student.user))
    before, row = counts(), card_row(card)
    with pytest.raises(ValidationError):
        services.reject_request(card, by, "   ")
    assert counts() == before and card_row(card) == row
    card = services.reject_request(card, by, " blurry photo ")
    assert (card.state, card.reject_count, card.rejection_reason) == (
        State.REJECTED, 1, "blurry photo")
    assert card_audit(card)[-1].reason == " blurry photo "
    second = services.request_card(student, actor(student.user))
    second = services.reject_request(second, by, "still blurry")
    assert second.reject_count == 1  # counted per card
    assert Card.objects.filter(person=student, state=State.REJECTED).count() == 2


def test_print_can_be_taken_back(student, manager_a):
    card = card_in_state(student, State.IN_PRINT, manager_a)
    card = services.change_state(card, State.REQUEST_CHECKED, station())
    assert card.state == State.REQUEST_CHECKED
    assert card_audit(card)[-1].action == "card.print_canceled"
    card = services.send_to_print(card, actor(manager_a))
    assert services.mark_printed(card, station()).state == State.PRINTED


# --- encoding --------------------------------------------------------------------------------

def test_encoding_binds_a_normalised_csn(student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    card = services.mark_encoded(card, station(), "04:a1:b2:c3:d4:e5:f6")
    assert (card.state, card.csn) == (State.ENCODED, CSN)
    assert card.encoded_at is not None
    entry = card_audit(card)[-1]
    assert entry.before["csn"] is None and entry.after["csn"] == CSN


@pytest.mark.parametrize("csn", ["", "XYZ", "04A1B2", "04A1B2C3D4E5F6A"])
def test_encoding_refuses_a_malformed_csn(csn, student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    before, row = counts(), card_row(card)
    with pytest.raises(ValidationError):
        services.mark_encoded(card, actor(manager_a), csn)
    assert counts() == before and card_row(card) == row


def test_a_csn_belongs_to_one_card(student, other_student, manager_a, recorder):
    first = card_in_state(student, State.IN_ENCODE, manager_a)
    services.mark_encoded(first, actor(manager_a), CSN)
    second = card_in_state(other_student, State.IN_ENCODE, manager_a)
    before, row = counts(), card_row(second)
    with pytest.raises(ValidationError) as refused:
        services.mark_encoded(second, actor(manager_a), "04-a1-b2-c3-d4-e5-f6")
    assert "already bound to another card" in " ".join(refused.value.messages)
    assert counts() == before and card_row(second) == row
    assert reload(second).state == State.IN_ENCODE and reload(second).csn is None
    # the station can try again with the right chip
    assert services.mark_encoded(second, actor(manager_a), "04FFFFFFFFFFFF").state == State.ENCODED


def test_a_destroyed_card_keeps_its_csn(student, other_student, manager_a):
    first = card_in_state(student, State.ENCODED, manager_a)
    services.destroy(first, actor(manager_a))
    second = card_in_state(other_student, State.IN_ENCODE, manager_a)
    with pytest.raises(ValidationError):
        services.mark_encoded(second, actor(manager_a), first.csn)


def test_failed_encoding_goes_back_to_printed(student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    card = services.fail_encoding(card, station())
    assert card.state == State.PRINTED and card.csn is None
    assert card_audit(card)[-1].action == "card.encode_failed"


def test_auto_enable_after_encoding(student, manager_a, est_a, recorder):
    est_a.auto_enable = True
    est_a.save()
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    card = services.mark_encoded(card, station(), CSN)
    assert card.state == State.ENABLED == reload(card).state
    encoded, enabled = card_audit(card)[-2:]
    assert encoded.action == "card.encoded" and encoded.actor_label == "api:station-1"
    assert enabled.action == "card.enabled" and "system" in enabled.actor_label
    assert enabled.before["state"] == State.ENCODED
    assert [p.operation for p in pushes_for(card)] == ["card.enabled"]


def test_no_auto_enable_unless_the_establishment_says_so(student, manager_a, recorder):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    assert services.mark_encoded(card, station(), CSN).state == State.ENCODED
    assert pushes_for(card) == []


def test_no_auto_enable_when_rights_ended_during_encoding(student, manager_a, est_a):
    est_a.auto_enable = True
    est_a.save()
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    people_services.update_person(student, actor(manager_a), rights_end=yesterday())
    assert reload(card).state == State.IN_ENCODE  # a card on the encoder is left alone
    card = services.mark_encoded(card, actor(manager_a), CSN)
    assert card.state == State.ENCODED == reload(card).state
    assert services.sweep_rights_ends() == 1
    assert reload(card).state == State.CADUC


def test_auto_enable_replaces_the_previous_card(student, manager_a, est_a):
    old = card_in_state(student, State.ENABLED, manager_a)
    est_a.auto_enable = True
    est_a.save()
    new = services.renew_card(old, actor(student.user), reason="broken")
    new = _walk_to_encoded(new, actor(manager_a))
    assert new.state == State.ENABLED == reload(new).state
    assert (reload(old).state, reload(old).disable_reason) == (State.DISABLED,
                                                               DisableReason.REPLACED)


def _walk_to_encoded(card, by):
    for step in (services.check_request, services.send_to_print, services.mark_printed,
                 services.start_encoding):
        card = step(card, by)
    return services.mark_encoded(card, by, CSN)


# --- enabled cards, one per person ------------------------------------------------------------

def test_one_enabled_card_per_person(student, manager_a, recorder):
    by = actor(manager_a)
    old = card_in_state(student, State.ENABLED, manager_a)
    new = walk_to_enabled(services.renew_card(old, by, reason="broken"), by, CSN)
    # the manager puts the old card back into service: the new one is replaced in turn
    old = services.enable(reload(old), by)
    assert old.state == State.ENABLED
    new = reload(new)
    assert (new.state, new.disable_reason) == (State.DISABLED, DisableReason.REPLACED)
    assert Card.objects.filter(person=student, state=State.ENABLED).count() == 1


def test_holder_declares_lost_and_reenables(student, manager_a, recorder):
    card = card_in_state(student, State.ENABLED, manager_a)
    holder = actor(student.user)
    card = services.disable(card, holder, DisableReason.LOST)
    assert (card.state, card.disable_reason) == (State.DISABLED, DisableReason.LOST)
    card = services.enable(card, holder)
    assert (card.state, card.disable_reason) == (State.ENABLED, "")
    assert [p.operation for p in pushes_for(card)] == ["card.enabled", "card.disabled",
                                                      "card.enabled"]
    assert [p.payload["disable_reason"] for p in pushes_for(card)] == [None, "LOST", None]


@pytest.mark.parametrize("reason", [DisableReason.REPLACED, DisableReason.OTHER, "", "NONSENSE"])
def test_holder_gives_only_their_own_reasons(reason, student, manager_a, recorder):
    card = card_in_state(student, State.ENABLED, manager_a)
    before, row = counts(), card_row(card)
    with pytest.raises(ValidationError):
        services.disable(card, actor(student.user), reason)
    assert counts() == before and card_row(card) == row


def test_manager_must_give_a_reason_and_nothing_is_written_without(student, manager_a, recorder):
    card = card_in_state(student, State.ENABLED, manager_a)
    before, row = counts(), card_row(card)
    with pytest.raises(ValidationError):
        services.disable(card, actor(manager_a), "")
    assert counts() == before and card_row(card) == row
    assert services.disable(card, actor(manager_a), DisableReason.THEFT).disable_reason == "THEFT"


def test_holder_cannot_reenable_what_a_manager_blocked(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    card = services.disable(card, actor(manager_a), DisableReason.OTHER, reason="fraud")
    assert card_audit(card)[-1].reason == "fraud"
    with pytest.raises(IllegalTransition, match="blocked yourself"):
        services.enable(card, actor(student.user))
    assert reload(card).state == State.DISABLED


def test_holder_cannot_reenable_a_replaced_card(student, manager_a):
    by, holder = actor(manager_a), actor(student.user)
    old = card_in_state(student, State.ENABLED, manager_a)
    old = services.disable(old, holder, DisableReason.LOST)
    new = walk_to_enabled(services.renew_card(old, holder, reason="lost"), by, CSN)
    before = counts()
    with pytest.raises(IllegalTransition, match="replaced by another one"):
        services.enable(old, holder)
    assert counts() == before
    assert reload(new).state == State.ENABLED and reload(old).state == State.DISABLED


def test_enabling_needs_rights(student, manager_a):
    card = card_in_state(student, State.ENCODED, manager_a)
    Person.objects.filter(pk=student.pk).update(rights_end=yesterday())
    before = counts()
    with pytest.raises(IllegalTransition, match="rights have ended"):
        services.enable(card, actor(manager_a))
    assert counts() == before


# --- establishments ------------------------------------------------------------------------------

def test_a_manager_acts_on_their_establishment_only(student, student_b, manager_a, manager_b):
    card_a = card_in_state(student, State.NEW, manager_a)
    card_b = card_in_state(student_b, State.NEW, manager_b)
    before = counts()
    for card, outsider in ((card_a, manager_b), (card_b, manager_a)):
        for verb, args in ((services.check_request, ()), (services.cancel_request, ()),
                           (services.reject_request, ("no",))):
            with pytest.raises(IllegalTransition, match="not allowed"):
                verb(card, actor(outsider), *args)
        with pytest.raises(IllegalTransition):
            services.mark_delivered(card, actor(outsider))
    with pytest.raises(IllegalTransition, match="not allowed"):
        services.request_card(student, actor(manager_b))
    assert counts() == before
    assert services.check_request(card_b, actor(manager_b)).state == State.REQUEST_CHECKED


# --- end of rights -------------------------------------------------------------------------------

RIGHTS_END = {
    State.NEW: State.CANCELED, State.RENEWED: State.CANCELED,
    State.REQUEST_CHECKED: State.CANCELED, State.ENCODED: State.CADUC,
    State.ENABLED: State.CADUC, State.DISABLED: State.CADUC,
    # cards in the print shop or on the encoder, and finished ones, are left alone
    State.IN_PRINT: State.IN_PRINT, State.PRINTED: State.PRINTED,
    State.IN_ENCODE: State.IN_ENCODE, State.REJECTED: State.REJECTED,
    State.CANCELED: State.CANCELED, State.DESTROYED: State.DESTROYED,
}


def expected_rights_end(person):
    """(card, expected state) for every card of `person`."""
    return [(card, RIGHTS_END[card.state]) for card in person.cards.order_by("pk")]


@pytest.mark.parametrize("state", sorted(RIGHTS_END))
def test_update_person_applies_the_end_of_rights(state, student, manager_a, recorder):
    make_card(student, state, manager_a)
    expected = expected_rights_end(student)
    before_audit = AuditEntry.objects.count()
    people_services.update_person(student, actor(manager_a), rights_end=yesterday())
    for card, target in expected:
        assert reload(card).state == target
    new_entries = list(AuditEntry.objects.order_by("id")[before_audit:])
    assert new_entries[0].action == "person.updated"
    changed = [(c.pk, t) for c, t in expected if c.state != t]
    card_entries = [e for e in new_entries if e.action.startswith("card.")]
    assert [(e.card_id, e.after["state"]) for e in card_entries] == changed
    for entry in card_entries:
        assert entry.actor_id == manager_a.pk and "system" in entry.actor_label
    expired = [(p.object_id, p.payload["state"]) for p in OutboxItem.objects.filter(
        operation="card.expired", status=OutboxItem.Status.PENDING)]
    assert sorted(expired) == sorted((str(pk), t) for pk, t in changed if t == State.CADUC)


@pytest.mark.parametrize("state", [State.ENABLED, State.DISABLED, State.ENCODED, State.NEW,
                                   State.RENEWED, State.REQUEST_CHECKED, State.IN_PRINT])
def test_the_sweep_applies_ends_of_rights_that_passed(state, student, other_student, manager_a):
    make_card(student, state, manager_a)
    untouched = card_in_state(other_student, State.ENABLED, manager_a)
    expected = expected_rights_end(student)
    Person.objects.filter(pk=student.pk).update(rights_end=yesterday())  # e.g. an import
    swept = services.sweep_rights_ends()
    assert swept == (1 if any(c.state != t for c, t in expected) else 0)
    for card, target in expected:
        assert reload(card).state == target
    assert reload(untouched).state == State.ENABLED
    before = counts()
    assert services.sweep_rights_ends() == 0  # nothing left to do: nothing written
    assert counts() == before


def test_rights_moved_back_restore_expired_cards(student, manager_a, recorder):
    card = make_card(student, State.CADUC, manager_a)
    assert card.state == State.CADUC
    people_services.update_person(student, actor(manager_a), rights_end=next_year())
    card = reload(card)
    assert (card.state, card.disable_reason) == (State.DISABLED, DisableReason.OTHER)
    entry = card_audit(card)[-1]
    assert entry.action == "card.unexpired" and entry.before["state"] == State.CADUC
    assert pushes_for(card)[-1].operation == "card.unexpired"
    # a manager brings it back into service
    assert services.enable(card, actor(manager_a)).state == State.ENABLED


@pytest.mark.parametrize("rights_end", [next_year(), None])
def test_the_sweep_restores_expired_cards(rights_end, student, manager_a):
    card = make_card(student, State.CADUC, manager_a)
    Person.objects.filter(pk=student.pk).update(rights_end=rights_end)
    assert services.sweep_rights_ends() == 1
    assert reload(card).state == State.DISABLED


def test_expired_cards_are_destroyed_by_a_manager_only(student, manager_a, manager_b):
    card = make_card(student, State.CADUC, manager_a)
    for by in (actor(student.user), actor(manager_b), system()):
        with pytest.raises(IllegalTransition):
            services.destroy(card, by)
    assert services.destroy(card, actor(manager_a)).state == State.DESTROYED


@pytest.mark.parametrize("target", [State.CADUC, State.DISABLED])
def test_only_the_system_expires_and_restores(target, student, manager_a):
    card = make_card(student, State.ENABLED if target == State.CADUC else State.CADUC, manager_a)
    with pytest.raises(IllegalTransition, match="not allowed"):
        services.change_state(card, target, actor(manager_a),
                              disable_reason=DisableReason.OTHER)


def test_other_changes_to_a_person_leave_cards_alone(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    people_services.update_person(student, actor(manager_a), first_name="Alicia")
    assert reload(card).state == State.ENABLED
    assert not AuditEntry.objects.filter(card=card, action="card.expired").exists()


# --- staleness, audit and outbox ---------------------------------------------------------------

def test_a_stale_card_is_refused(student, manager_a):
    seen = card_in_state(student, State.NEW, manager_a)
    services.check_request(Card.objects.get(pk=seen.pk), actor(manager_a))
    before = counts()
    with pytest.raises(services.StaleCard, match="changed this card meanwhile"):
        services.cancel_request(seen, actor(manager_a))
    assert counts() == before and reload(seen).state == State.REQUEST_CHECKED


def test_pushes_are_written_in_the_transition_transaction(student, manager_a, recorder):
    card = card_in_state(student, State.ENCODED, manager_a)
    before, row = counts(), card_row(card)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.enable(card, actor(manager_a))
        assert OutboxItem.objects.filter(operation="card.enabled").count() == 1
        raise Abort
    assert counts() == before and card_row(card) == row
    services.enable(card, actor(manager_a))
    [row] = OutboxItem.objects.filter(target=RecordingTarget.name)
    assert (row.operation, row.object_type, row.object_id) == ("card.enabled", "card", str(card.pk))
    assert row.status == OutboxItem.Status.PENDING and row.key
    assert outbox.drain() == 1
    assert recorder.delivered == [("card.enabled", "card", str(card.pk))]
    assert OutboxItem.objects.get(pk=row.pk).status == OutboxItem.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_enqueue_refuses_to_run_outside_a_transaction(student, recorder):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.enqueue("card.enabled", student, {})
    assert not OutboxItem.objects.exists()


def test_person_changes_are_pushed(student, manager_a, recorder):
    people_services.update_person(student, actor(manager_a), email="Alice.New@Example.org")
    people_services.set_consent(student, actor(student.user), "esc", True)
    people_services.set_consent(student, actor(student.user), "esc", True)  # no change
    rows = list(OutboxItem.objects.filter(target=RecordingTarget.name).order_by("id"))
    assert [(r.operation, r.object_type) for r in rows] == [
        ("person.updated", "person"), ("person.consent_changed", "person")]
    assert rows[0].payload["email"] == "alice.new@example.org"
    assert rows[1].payload["esc_consent"] is True
    assert AuditEntry.objects.filter(person=student, action__startswith="person.").count() == 2


def test_transitions_are_audited_with_the_actor(student, manager_a):
    card = card_in_state(student, State.DISABLED, manager_a)
    entries = card_audit(card)
    assert [e.action for e in entries] == [
        "card.requested", "card.request_checked", "card.in_print", "card.printed",
        "card.in_encode", "card.encoded", "card.enabled", "card.disabled"]
    for previous, entry in pairwise(entries):
        assert entry.before["state"] == previous.after["state"]
        assert states_edge(entry.before["state"], entry.after["state"]).action == entry.action
    for entry in entries:
        assert entry.actor_id == manager_a.pk and entry.ip == IP
        assert entry.actor_label == "manager-a"


def states_edge(source, target):
    from campuscard.cards import states

    edge = states.find(source, target)
    assert edge is not None, (source, target)
    return edge


# --- delivery and bulk ------------------------------------------------------------------------

def test_mark_delivered_is_separate_from_state(student, manager_a, manager_b, other_student):
    card = card_in_state(student, State.PRINTED, manager_a)
    before = counts()
    for by in (actor(manager_b), actor(other_student.user), system(), station()):
        with pytest.raises(IllegalTransition, match="not allowed"):
            services.mark_delivered(card, by)
    assert counts() == before
    card = services.mark_delivered(card, actor(manager_a))
    card = reload(card)
    assert card.state == State.PRINTED
    assert card.delivered_by == manager_a and card.delivered_at is not None
    entry = card_audit(card)[-1]
    assert entry.action == "card.delivered" and entry.ip == IP
    with pytest.raises(IllegalTransition, match="already been delivered"):
        services.mark_delivered(card, actor(student.user))
    # delivery does not stop the lifecycle
    assert services.start_encoding(card, actor(manager_a)).delivered_by == manager_a


@pytest.mark.parametrize("state", [State.NEW, State.REQUEST_CHECKED, State.IN_PRINT,
                                   State.CANCELED, State.DESTROYED])
def test_only_a_printed_card_is_delivered(state, student, manager_a):
    card = make_card(student, state, manager_a)
    with pytest.raises(IllegalTransition, match="has been printed"):
        services.mark_delivered(card, actor(manager_a))
    assert reload(card).delivered_at is None


def test_the_holder_may_confirm_delivery(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    assert services.mark_delivered(card, actor(student.user)).delivered_by == student.user


def test_bulk_change_reports_each_failure(student, other_student, student_b, manager_a, manager_b):
    mine = card_in_state(student, State.NEW, manager_a)
    done_already = card_in_state(other_student, State.REQUEST_CHECKED, manager_a)
    elsewhere = card_in_state(student_b, State.NEW, manager_b)
    done, failures = services.bulk_change_state([mine], State.REJECTED, actor(manager_a))
    assert done == [] and failures == {mine: "A reason is required."}
    done, failures = services.bulk_change_state([mine, done_already, elsewhere],
                                                State.REQUEST_CHECKED, actor(manager_a))
    assert [c.pk for c in done] == [mine.pk]
    assert set(failures) == {done_already, elsewhere}
    assert "cannot become" in failures[done_already]
    assert "not allowed" in failures[elsewhere]


def test_system_actor_has_no_user_but_is_labelled(student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    card = services.cancel_request(card, Actor.system())
    entry = card_audit(card)[-1]
    assert entry.actor_id is None and entry.actor_label == "system" and entry.ip is None


def test_card_payload_describes_the_card(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    payload = services.card_payload(reload(card))
    assert payload["card_id"] == card.pk and payload["state"] == State.ENABLED
    assert uuid.UUID(payload["escn"]) == card.escn
    assert payload["csn"] == card.csn and payload["establishment"] == "univ-a"
    assert payload["rights_end"] == student.rights_end.isoformat()


def test_someone_without_rights_learns_nothing_from_a_stale_view(student, manager_a, manager_b):
    card = card_in_state(student, State.NEW, manager_a)
    seen = Card.objects.get(pk=card.pk)
    services.check_request(card, actor(manager_a))
    with pytest.raises(NotAllowed) as refused:
        services.reject_request(seen, actor(manager_b), "blurred photo")
    assert "Request checked" not in str(refused.value.message)
