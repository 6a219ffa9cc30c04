"""The CROUS target against the emulator, over real HTTP: changes are made through the services,
the outbox is drained, and the emulator says what CROUS holds."""

import datetime
import json

import httpx
import pytest
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.states import DisableReason, State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.crous import services
from campuscard.integrations.crous.client import RightHolder
from campuscard.integrations.crous.models import CrousAccount, CrousFailure, CrousSmartCard
from campuscard.integrations.crous.target import CrousTarget
from campuscard.people import services as people_services

from ..conftest import actor, card_in_state
from .conftest import crous_rows, drained, holders, smartcards

INE = "1234567890A"
Status = OutboxItem.Status


def enabled(person, manager):
    card = card_in_state(person, State.ENABLED, manager)
    drained()
    return card


def seed_holder(emulator, identifier, **fields):
    """A right-holder CROUS already has (from the CVEC import, say)."""
    due = timezone.now() + datetime.timedelta(days=fields.pop("days", 700))
    body = RightHolder(identifier=identifier, due_date=due, **fields).to_json()
    emulator.emulator.store.execute(
        "INSERT INTO holders (identifier, data, priority_rne, created_at, updated_at) "
        "VALUES (?, ?, ?, '', '')",
        (identifier, json.dumps(body), fields.get("rne_org_code") or ""))


def test_the_target_is_configured_by_default():
    assert isinstance(outbox.registered()["crous"], CrousTarget)


def test_an_enabled_card_creates_the_right_holder_then_registers_the_smartcard(
        consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    holder = holders(crous_on)[consenting.eppn]
    assert (holder["firstName"], holder["email"], holder["rneOrgCode"]) == (
        "Alice", "alice@example.org", "0761904G")
    assert (holder["idCompanyRate"], holder["idRate"], holder["putCount"]) == (78, 99, 0)
    due = datetime.datetime.fromisoformat(holder["dueDate"])
    assert timezone.localdate(due) == consenting.rights_end
    record = CrousSmartCard.objects.get(card=card)
    assert (record.id_zdc, record.uid, record.origin) == (99990001, card.csn, "built")
    sent = smartcards(crous_on)[99990001]
    assert (sent["identifier"], sent["uid"], sent["idTransmitter"], sent["appl"]) == (
        consenting.eppn, card.csn, 0x1234, "AAPL")
    assert sent["cancelDate"] == "" and record.registered_at is not None
    assert CrousAccount.objects.get(person=consenting).identifier == consenting.eppn


def test_the_ine_is_the_identifier_when_there_is_one(consenting, manager_a, crous_on):
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    enabled(consenting, manager_a)
    assert list(holders(crous_on)) == [INE]


def test_an_establishment_may_choose_the_eppn(consenting, manager_a, crous_on,
                                              crous_settings_a):
    crous_settings_a.identifier = "eppn"
    crous_settings_a.save()
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    enabled(consenting, manager_a)
    assert list(holders(crous_on)) == [consenting.eppn]


def test_the_setting_may_choose_the_eppn(consenting, manager_a, crous_on, settings):
    settings.CAMPUSCARD_CROUS_IDENTIFIER = "eppn"
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    enabled(consenting, manager_a)
    assert list(holders(crous_on)) == [consenting.eppn]


def test_an_account_known_under_the_eppn_is_renamed_to_the_ine(consenting, manager_a,
                                                                crous_on):
    card = enabled(consenting, manager_a)
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    drained()
    assert list(holders(crous_on)) == [INE]
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc][
        "identifier"] == INE
    assert CrousAccount.objects.get(person=consenting).identifier == INE


def test_nothing_is_sent_without_consent(crous_on, student, manager_a):
    card_in_state(student, State.DISABLED, manager_a)
    assert not crous_rows().exclude(operation="card.encoded").exists()
    drained()
    assert holders(crous_on) == {}


def test_nothing_is_wanted_when_crous_is_not_configured(settings, crous_settings_a, student,
                                                        manager_a):
    settings.CAMPUSCARD_CROUS_URL = ""
    people_services.set_consent(student, actor(manager_a), "crous", True)
    card_in_state(student, State.DISABLED, manager_a)
    assert not crous_rows().exists()


def test_an_establishment_without_crous_settings_sends_nothing(crous_on, student_b,
                                                               manager_b):
    people_services.set_consent(student_b, actor(manager_b), "crous", True)
    card_in_state(student_b, State.ENABLED, manager_b)
    assert not crous_rows().exists()


def test_the_right_holder_is_written_only_when_it_changed(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    people_services.update_person(consenting, actor(manager_a), department="Physics")
    card = card_services.disable(card, actor(manager_a), DisableReason.OUT_OF_ORDER)
    card = card_services.enable(card, actor(manager_a))
    drained()
    assert holders(crous_on)[consenting.eppn]["putCount"] == 0
    people_services.update_person(consenting, actor(manager_a), email="alice@new.example.org")
    drained()
    holder = holders(crous_on)[consenting.eppn]
    assert (holder["putCount"], holder["email"]) == (1, "alice@new.example.org")


def test_a_right_holder_crous_lost_is_created_again(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    crous_on.emulator.store.reset()
    card = card_services.disable(card, actor(manager_a), DisableReason.OTHER)
    card = card_services.enable(card, actor(manager_a))
    drained()
    assert consenting.eppn in holders(crous_on)
    assert len(smartcards(crous_on)) == 1


@pytest.mark.parametrize(("reason", "code"), [
    (DisableReason.LOST, "DP"), (DisableReason.THEFT, "DV"),
    (DisableReason.OUT_OF_ORDER, "CD"), (DisableReason.OTHER, "HS"),
])
def test_a_disabled_card_is_opposed_with_its_reason(consenting, manager_a, crous_on, reason,
                                                    code):
    card = enabled(consenting, manager_a)
    card = card_services.disable(card, actor(manager_a), reason)
    drained()
    sent = smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]
    assert (sent["reason"], sent["oppositions"]) == (code, 1) and sent["cancelDate"]


def test_a_card_destroyed_after_its_loss_is_opposed_once(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    card_services.destroy(card, actor(manager_a))
    drained()
    sent = smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]
    assert (sent["reason"], sent["oppositions"]) == ("DP", 1)


def test_a_destroyed_card_is_opposed_hs(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    card = card_services.disable(card, actor(manager_a), DisableReason.OTHER)
    drained()
    crous_on.emulator.store.execute("UPDATE smartcards SET cancel_date = '', reason = ''")
    CrousSmartCard.objects.filter(card=card).update(opposed_at=None)
    card_services.destroy(card, actor(manager_a))
    drained()
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["reason"] == "HS"


def test_a_replaced_card_is_opposed_hs_and_its_successor_registered(consenting, manager_a,
                                                                     crous_on):
    first = enabled(consenting, manager_a)
    by = actor(manager_a)
    replacement = card_services.renew_card(first, by, reason="new photo")
    for step in (card_services.check_request, card_services.send_to_print,
                 card_services.mark_printed, card_services.start_encoding):
        replacement = step(replacement, by)
    replacement = card_services.mark_encoded(replacement, by, "04AABBCCDDEE11")
    card_services.enable(replacement, by)
    drained()
    first.refresh_from_db()
    assert first.disable_reason == DisableReason.REPLACED
    cards = smartcards(crous_on)
    assert cards[CrousSmartCard.objects.get(card=first).id_zdc]["reason"] == "HS"
    second = cards[CrousSmartCard.objects.get(card=replacement).id_zdc]
    assert (second["uid"], second["idZdc"], second["cancelDate"]) == (
        "04AABBCCDDEE11", 99990002, "")


def test_a_card_enabled_again_is_revalidated(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    drained()
    card = card_services.enable(card, actor(manager_a))
    drained()
    sent = smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]
    assert (sent["cancelDate"], sent["oppositions"], sent["revalidations"]) == ("", 1, 1)


def test_a_student_due_date_is_only_extended_and_their_tariff_kept(consenting, manager_a,
                                                                    crous_on):
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    seed_holder(crous_on, INE, first_name="ALICE", last_name="MARTIN-DURAND",
                email="alice@etu.example.org", ine=INE, rne_org_code="0761904G",
                id_company_rate=10, id_rate=42, days=700)
    enabled(consenting, manager_a)
    holder = holders(crous_on)[INE]
    assert holder["putCount"] == 0  # CROUS's later date stands: nothing to write
    assert CrousAccount.objects.get(person=consenting).id_rate == 42
    # Our end of rights moves past CROUS's: the date is extended, the rest kept.
    people_services.update_person(consenting, actor(manager_a),
                                  rights_end=timezone.localdate() + datetime.timedelta(days=900))
    drained()
    holder = holders(crous_on)[INE]
    assert holder["putCount"] == 1
    assert (holder["idCompanyRate"], holder["idRate"]) == (10, 42)
    assert (holder["lastName"], holder["email"]) == ("MARTIN-DURAND", "alice@etu.example.org")
    due = datetime.datetime.fromisoformat(holder["dueDate"])
    assert timezone.localdate(due) == timezone.localdate() + datetime.timedelta(days=900)


def test_a_student_due_date_is_never_shortened(consenting, manager_a, crous_on):
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    enabled(consenting, manager_a)
    # CROUS extends the account (CVEC), then our end of rights comes earlier.
    later = (timezone.now() + datetime.timedelta(days=800)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    crous_on.emulator.store.execute(
        "UPDATE holders SET data = json_set(data, '$.dueDate', ?, '$.ine', ?)", (later, INE))
    people_services.update_person(consenting, actor(manager_a),
                                  rights_end=timezone.localdate() + datetime.timedelta(days=30))
    drained()
    assert holders(crous_on)[INE]["dueDate"] == later


def test_when_rights_end_the_end_date_is_sent_never_in_the_past(consenting, manager_a,
                                                                 crous_on):
    card = enabled(consenting, manager_a)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    people_services.update_person(consenting, actor(manager_a), rights_end=yesterday)
    drained()
    card.refresh_from_db()
    assert card.state == State.CADUC
    holder = holders(crous_on)[consenting.eppn]
    due = datetime.datetime.fromisoformat(holder["dueDate"])
    expected = timezone.now() + services.DUE_DATE_MARGIN
    assert abs(due - expected) < datetime.timedelta(minutes=2)
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["reason"] == "HS"


def test_a_locked_account_does_not_block_the_push(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    httpx.post(f"{crous_on.url}/_emulator/rightholders/{consenting.eppn}/lock")
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    drained()  # done, not failed
    failure = CrousFailure.objects.get(card=card)
    assert (failure.operation, failure.http_status, failure.blocking) == (
        "smartcard.oppose", 423, False)


def test_an_opposition_already_recorded_by_crous_counts_as_done(consenting, manager_a,
                                                                crous_on):
    card = enabled(consenting, manager_a)
    record = CrousSmartCard.objects.get(card=card)
    crous_on.emulator.store.execute(
        "UPDATE smartcards SET cancel_date = 'x', reason = 'DP', oppositions = 1")
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    drained()
    assert smartcards(crous_on)[record.id_zdc]["oppositions"] == 1
    assert CrousFailure.objects.get(card=card).code == "-9"


def test_a_422_fails_the_push_with_the_api_message(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    httpx.post(f"{crous_on.url}/_emulator/rightholders/{consenting.eppn}/forget")
    card = card_services.disable(card, actor(manager_a), DisableReason.OTHER)
    drained()  # nothing to oppose (404): done
    card = card_services.enable(card, actor(manager_a))
    while outbox.drain():
        pass
    failed = crous_rows(status=Status.FAILED).get()
    assert failed.operation == "card.enabled"
    assert "Carte connue, ayant droit supprimé (RGPD)" in failed.last_error
    failure = CrousFailure.objects.get(card=card, operation="smartcard.create")
    assert (failure.code, failure.blocking, failure.person_id) == ("-31", True, consenting.pk)


def test_the_token_is_renewed_when_crous_stops_taking_it(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    crous_on.emulator.expire_tokens()
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    drained()
    assert crous_on.emulator.counts["tokens_issued"] == 2
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["reason"] == "DP"


def test_withdrawing_consent_stops_pushes_and_deletes_nothing(consenting, manager_a,
                                                              crous_on):
    card = enabled(consenting, manager_a)
    people_services.set_consent(consenting, actor(manager_a), "crous", False)
    people_services.update_person(consenting, actor(manager_a), email="alice@new.example.org")
    drained()
    assert holders(crous_on)[consenting.eppn]["email"] == "alice@example.org"
    # What CROUS holds from us still gets its opposition: it only stops payments.
    card = card_services.disable(card, actor(manager_a), DisableReason.THEFT)
    drained()
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["reason"] == "DV"
    card = card_services.enable(card, actor(manager_a))
    assert not crous_rows(status=Status.PENDING).exists()  # re-enabling is not sent
    assert consenting.eppn in holders(crous_on)


def test_consent_given_later_sends_the_enabled_card(crous_on, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    drained()
    people_services.set_consent(student, actor(manager_a), "crous", True)
    drained()
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["cancelDate"] == ""


def test_push_again_resends_even_unchanged(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    queued, refused = services.push_again([card], actor(manager_a))
    assert (queued, refused) == ([card], {})
    drained()
    assert holders(crous_on)[consenting.eppn]["putCount"] == 1
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc][
        "revalidations"] == 1


def test_push_again_is_for_managers_of_sending_establishments(consenting, manager_a, crous_on,
                                                              student_b, manager_b):
    card = enabled(consenting, manager_a)
    other = card_in_state(student_b, State.ENABLED, manager_b)
    queued, refused = services.push_again([card, other], actor(manager_b))
    assert queued == [] and set(refused) == {card, other}


def test_a_closed_account_is_reopened_on_request(consenting, manager_a, crous_on):
    enabled(consenting, manager_a)
    httpx.post(f"{crous_on.url}/_emulator/rightholders/{consenting.eppn}/close")
    assert services.live_account(consenting).state == "closed"
    assert services.request_reopen(consenting, actor(consenting.user))
    drained()
    assert services.live_account(consenting).state == "active"


def test_live_account_is_read_within_a_short_timeout(consenting, manager_a, crous_on):
    card = enabled(consenting, manager_a)
    live = services.live_account(consenting, card=card)
    assert live.state == "active" and live.smartcard.uid == card.csn
    crous_on.emulator.faults.delay = 1.0
    started = timezone.now()
    slow = services.live_account(consenting, timeout=0.2)
    assert slow.state == "unreachable"
    assert timezone.now() - started < datetime.timedelta(seconds=0.9)
