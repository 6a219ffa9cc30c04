"""The smartcard record: built when a card is encoded (CSN, a number from the establishment's
sequence, its constants) or imported from a CROUS CSV file, checked whole."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from campuscard.integrations.crous import services
from campuscard.integrations.crous.csvimport import ImportRefused, import_smartcards
from campuscard.integrations.crous.models import CrousSmartCard

from ..conftest import actor, card_in_state
from .conftest import drained

HEADER = ("PIX.SS;PIX.NN;AAPL;NUM_PROTOCOLAIRE;NUM_APPLICATIF;NFO;CNOUS;CROUS;EMETTEUR;MAPPING;"
          "NUM_CARTE;DATE_CREATION")


def csv(*lines):
    return "\n".join([HEADER, *lines]).encode()


def line(uid="04A1B2C3D4E5F6", number="12345678", emitter="00FA", mapping="3",
         created="15/09/2025", rid="ab12"):
    return f"0001;0002;AAPL;{uid};{rid};;;;{emitter};{mapping};{number};{created}"


def test_an_encoded_card_gets_its_record_with_the_establishment_constants(
        crous_on, student, manager_a):
    card = card_in_state(student, State.ENCODED, manager_a)
    drained()  # card.encoded: numbered, nothing sent
    record = CrousSmartCard.objects.get(card=card)
    assert (record.uid, record.id_zdc, record.id_transmitter, record.id_mapping) == (
        card.csn, 99990001, 0x1234, 5)
    assert (record.pix_ss, record.pix_nn, record.appl, record.origin) == (
        "0001", "0002", "AAPL", "built")
    assert record.zdc_creation_date == card.encoded_at
    assert crous_on.emulator.snapshot()["smartcards"] == []
    assert services.smartcard_for(card) == record  # asked again: the same one


def test_card_numbers_follow_each_other(crous_on, crous_settings_a):
    assert [services.reserve_card_number(crous_settings_a) for _ in range(3)] == [
        99990001, 99990002, 99990003]


@pytest.mark.django_db(transaction=True)
def test_card_numbers_are_never_given_twice_under_concurrency(crous_settings_a):
    numbers, errors = [], []
    barrier = threading.Barrier(4)

    def take():
        try:
            barrier.wait(timeout=30)
            for _ in range(15):
                numbers.append(services.reserve_card_number(crous_settings_a))
        except Exception as exc:  # the test looks at it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(numbers) == list(range(99990001, 99990061))


def test_a_csv_is_imported_and_bound_to_the_card_encoded_later(crous_on, est_a, student,
                                                               manager_a):
    result = import_smartcards(est_a, csv(line(), line("04A1B2C3D4E5F7", "12345679")),
                               actor(manager_a))
    assert (result.created, result.unchanged, result.bound) == (2, 0, 0)
    record = CrousSmartCard.objects.get(uid="04A1B2C3D4E5F6")
    assert (record.id_zdc, record.id_transmitter, record.id_mapping, record.rid) == (
        12345678, 0xFA, 3, "AB12")
    assert timezone.localtime(record.zdc_creation_date).date().isoformat() == "2025-09-15"
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    from campuscard.cards import services as card_services

    card = card_services.mark_encoded(card, actor(manager_a), "04A1B2C3D4E5F6")
    drained()
    record.refresh_from_db()
    assert record.card == card and record.origin == "imported"
    assert CrousSmartCard.objects.count() == 2  # no number was drawn for it
    assert AuditEntry.objects.filter(action="crous.smartcards_imported").exists()


def test_importing_the_same_file_again_changes_nothing(crous_on, est_a, manager_a):
    import_smartcards(est_a, csv(line()), actor(manager_a))
    again = import_smartcards(est_a, csv(line()), actor(manager_a))
    assert (again.created, again.unchanged) == (0, 1)


def test_an_inverse_csn_is_turned_round(crous_on, est_a, manager_a):
    import_smartcards(est_a, csv(line("F6E5D4C3B2A104", rid="12ab")), actor(manager_a),
                      inverse_csn=True)
    record = CrousSmartCard.objects.get()
    assert (record.uid, record.rid) == ("04A1B2C3D4E5F6", "AB12")


@pytest.mark.parametrize(("bad", "message"), [
    (line(uid="XYZ"), "NUM_PROTOCOLAIRE"),
    (line(emitter="G1"), "EMETTEUR"),
    (line(mapping="three"), "MAPPING"),
    (line(number="12a"), "NUM_CARTE"),
    (line(created="2025-09-15"), "DATE_CREATION"),
    ("0001;0002;AAPL;04A1B2C3D4E5F7", "Expected 12 columns"),
    (line(uid="04A1B2C3D4E5F6", number="87654321"), "twice in the file"),
])
def test_one_bad_line_refuses_the_whole_file(crous_on, est_a, manager_a, bad, message):
    with pytest.raises(ImportRefused) as refused:
        import_smartcards(est_a, csv(line(), bad), actor(manager_a))
    assert refused.value.errors[0][0] == 3 and message in refused.value.errors[0][1]
    assert not CrousSmartCard.objects.exists()


def test_a_csn_already_numbered_otherwise_is_refused(crous_on, est_a, manager_a):
    import_smartcards(est_a, csv(line()), actor(manager_a))
    with pytest.raises(ImportRefused) as refused:
        import_smartcards(est_a, csv(line(number="99999999"), line("04000000000001", "5")),
                          actor(manager_a))
    assert refused.value.errors == [(2, "This CSN already has another CROUS card number "
                                        "(12345678).")]
    assert CrousSmartCard.objects.count() == 1


def test_a_file_that_is_not_text_or_holds_nothing_is_refused(crous_on, est_a, manager_a):
    with pytest.raises(ImportRefused) as not_utf8:
        import_smartcards(est_a, b"\xff\xfe", actor(manager_a))
    assert not_utf8.value.errors == [(0, "The file is not UTF-8 text.")]
    with pytest.raises(ImportRefused) as empty:
        import_smartcards(est_a, HEADER.encode(), actor(manager_a))
    assert empty.value.errors == [(0, "The file holds no smartcard.")]
