"""Encoding a card's chip through an encoding station: the station API relays APDUs between the
server, which holds the keys and drives the chip, and a software card (item 8 of issue 14)."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from campuscard.integrations.crous.models import CrousSmartCard
from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.encoding.plan import plan_chip
from campuscard.nfc.encoding.reading import read_chip
from campuscard.nfc.models import ChipEncoding, ChipSession
from campuscard.nfc.softcard import SoftCardTransport
from campuscard.stations.models import StationKind
from tests.conftest import card_in_state, make_person

from .flow import blank_card, make_encoding_station, relay


@pytest.fixture
def station(est_a, manager_a):
    return make_encoding_station(est_a, [manager_a])


class Device:
    def __init__(self, token):
        self.http = Client()
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    def post(self, url, body=None):
        return self.http.post(url, json.dumps(body or {}), content_type="application/json",
                              headers=self.headers)

    def step(self, session, step, answer):
        response = self.post(f"/stations/api/chips/{session}/step",
                             {"step": step, "answer": answer})
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def device(station):
    return Device(station.token)


def start(device, card, chip, **body):
    return device.post("/stations/api/chips/encode",
                       {"uid": chip.uid.hex().upper(), "card": card.pk, **body})


def test_encoding_binds_writes_verifies_then_marks_the_card_encoded(device, printed, layout):
    chip = blank_card()
    started = start(device, printed, chip)
    assert started.status_code == 201, started.content
    assert Card.objects.get(pk=printed.pk).state == State.IN_ENCODE
    done = relay(started.json(), chip, device.step)

    assert done["status"] == "done"
    assert done["outcome"] == {"verified_files": 3, "apdus": 44}
    card = Card.objects.get(pk=printed.pk)
    assert card.state == State.ENCODED and card.csn == "04A1B2C3D4E5F6"
    encoding = ChipEncoding.objects.get(card=card)
    assert encoding.verified and encoding.version == layout.current_version
    record = CrousSmartCard.objects.get(card=card)
    assert record.uid == card.csn and record.id_zdc == 99990001
    # what the chip holds, read with the layout's keys for this UID
    plan = plan_chip(layout.current_version.declaration, chip.uid)
    apps = {app.aid: app for app in read_chip(Desfire(SoftCardTransport(chip)), plan)}
    assert apps["F585C0"].files[0].value == card.access_control_id
    assert apps["F58540"].files[0].value == str(record.id_zdc)
    actions = list(AuditEntry.objects.filter(card_id=card.pk).values_list("action", flat=True))
    assert {"nfc.encoding_started", "card.in_encode", "card.encoded",
            "nfc.chip_encoded"} <= set(actions)


def test_no_key_appears_in_the_audit_or_the_session(device, printed, layout, settings):
    chip = blank_card()
    relay(start(device, printed, chip).json(), chip, device.step)
    secrets = [path.read_text().strip() for path in
               settings.CAMPUSCARD_NFC_KEY_DIR.rglob("*.hex")]
    stored = json.dumps(list(AuditEntry.objects.values()), default=str) + json.dumps(
        list(ChipSession.objects.values()), default=str)
    assert secrets and not any(secret.lower() in stored.lower() for secret in secrets)


def test_a_chip_bound_to_another_card_is_refused(device, printed, layout, est_a, students,
                                                 manager_a):
    chip = blank_card()
    relay(start(device, printed, chip).json(), chip, device.step)
    other = card_in_state(make_person("bob", est_a, students), State.PRINTED, manager_a)
    refused = start(device, other, blank_card())  # the same UID
    assert refused.status_code == 409
    assert "already bound to another card" in refused.json()["detail"]
    assert Card.objects.get(pk=other.pk).state == State.PRINTED


def test_a_card_pulled_midway_is_encoded_again_from_the_start(device, printed, layout):
    chip = blank_card()
    halfway = relay(start(device, printed, chip).json(), chip, device.step, stop_after=20)
    assert halfway["status"] == "open"
    # the card was pulled: the station gives up, the card goes back to printed
    abandoned = device.post(f"/stations/api/chips/{halfway['session']}/abandon",
                            {"message": "card removed"})
    assert abandoned.json()["status"] == "failed"
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED
    # the half-written chip (it holds our master key already) is formatted and redone
    again = relay(start(device, printed, chip).json(), chip, device.step)
    assert again["status"] == "done" and again["outcome"]["verified_files"] == 3
    assert Card.objects.get(pk=printed.pk).state == State.ENCODED


def test_a_station_that_vanishes_leaves_a_card_that_encodes_again(device, printed, layout):
    chip = blank_card()
    relay(start(device, printed, chip).json(), chip, device.step, stop_after=9)
    assert Card.objects.get(pk=printed.pk).state == State.IN_ENCODE
    again = relay(start(device, printed, chip).json(), chip, device.step)
    assert again["status"] == "done"
    assert ChipSession.objects.filter(card=printed, status="failed").count() == 1


def test_an_answer_out_of_order_or_forged_is_refused(device, printed, layout):
    chip = blank_card()
    started = start(device, printed, chip).json()
    wrong_step = device.post(f"/stations/api/chips/{started['session']}/step",
                             {"step": 5, "answer": "9100"})
    assert wrong_step.status_code == 409
    not_hex = device.post(f"/stations/api/chips/{started['session']}/step",
                          {"step": 0, "answer": "zz"})
    assert not_hex.status_code == 400
    # forged answers to the authentications: each master key the chip may hold fails the
    # server's check, then the session ends
    forged = device.step(started["session"], 0, "9100")  # select PICC: fine
    while forged["status"] == "open" and forged["step"] < 20:
        forged = device.step(forged["session"], forged["step"], "00" * 8 + "91AF")
    assert forged["status"] == "failed"
    assert "No known master key opens this chip" in forged["failure"]
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED


def test_another_station_cannot_step_a_session(device, printed, layout, est_a):
    other = Device(make_encoding_station(est_a, name="Encoder B").token)
    started = start(device, printed, blank_card()).json()
    response = other.post(f"/stations/api/chips/{started['session']}/step",
                          {"step": 0, "answer": "9100"})
    assert response.status_code == 404


def test_a_print_station_may_not_encode(printed, layout, est_a):
    printer = Device(make_encoding_station(est_a, name="Printer", kind=StationKind.PRINT).token)
    response = start(printer, printed, blank_card())
    assert response.status_code == 403


def test_a_station_does_not_encode_another_establishments_card(device, layout, est_b, students,
                                                               manager_b):
    card = card_in_state(make_person("carol", est_b, students), State.PRINTED, manager_b)
    assert start(device, card, blank_card()).status_code == 404
    assert Card.objects.get(pk=card.pk).state == State.PRINTED


def test_the_card_is_found_by_its_qr_code_or_by_the_queue(device, printed, layout, est_a,
                                                          students, manager_a):
    later = card_in_state(make_person("dave", est_a, students), State.PRINTED, manager_a)
    by_qr = device.post("/stations/api/chips/encode",
                        {"uid": "04000000000001", "qr": f"https://s.esc-r.eu/{later.escn}"})
    assert by_qr.json()["card"]["id"] == later.pk
    queued = device.post("/stations/api/chips/encode", {"uid": "04000000000002", "next": True})
    assert queued.json()["card"]["id"] == printed.pk  # printed first; `later` is busy


def test_without_a_layout_encoding_is_refused_and_nothing_changes(device, printed):
    response = start(device, printed, blank_card())
    assert response.status_code == 409
    assert "No card layout" in response.json()["detail"]
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED


def test_a_missing_key_file_is_refused_before_anything_is_written(device, printed, layout,
                                                                  settings):
    next(settings.CAMPUSCARD_NFC_KEY_DIR.rglob("picc.hex")).unlink()
    response = start(device, printed, blank_card())
    assert response.status_code == 409
    assert "cannot be read" in response.json()["detail"]
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED


def test_a_malformed_uid_is_refused(device, printed, layout):
    response = device.post("/stations/api/chips/encode", {"uid": "04-zz", "card": printed.pk})
    assert response.status_code == 400
    assert "not the UID" in response.json()["detail"]


def test_reencoding_an_enabled_card_to_a_new_layout_version(device, printed, layout):
    from campuscard.nfc.services import encodings_behind, save_layout_version

    chip = blank_card()
    relay(start(device, printed, chip).json(), chip, device.step)
    card = Card.objects.get(pk=printed.pk)
    declaration = json.loads(json.dumps(layout.current_version.declaration))
    declaration["picc"]["key"]["version"] = 2
    save_layout_version(layout, declaration)
    assert [e.card_id for e in encodings_behind(layout)] == [card.pk]
    listed = io.StringIO()
    call_command("nfc-layout", "behind", layout.code, stdout=listed)
    assert listed.getvalue().startswith(f"{card.pk}\t{card.csn}\tv1\t")
    assert "1 chip to encode again to version 2." in listed.getvalue()
    again = relay(start(device, card, chip).json(), chip, device.step)
    assert again["status"] == "done"
    assert list(encodings_behind(layout)) == []
    assert Card.objects.get(pk=card.pk).state == card.state  # no lifecycle change


def test_a_session_left_silent_times_out_and_says_so(device, printed, layout, settings):
    from datetime import timedelta

    started = start(device, printed, blank_card()).json()
    ChipSession.objects.filter(pk=started["session"]).update(
        last_step_at=ChipSession.objects.get(pk=started["session"]).last_step_at
        - timedelta(seconds=settings.CAMPUSCARD_CHIP_SESSION_SECONDS + 1))
    late = device.post(f"/stations/api/chips/{started['session']}/step",
                       {"step": 0, "answer": "9100"})
    assert late.status_code == 409 and "timed out" in late.json()["detail"]
    session = ChipSession.objects.get(pk=started["session"])
    assert session.status == "failed" and session.failure
    # the card stays being encoded, and encodes again from the start
    assert Card.objects.get(pk=printed.pk).state == State.IN_ENCODE
    chip = blank_card()
    assert relay(start(device, printed, chip).json(), chip, device.step)["status"] == "done"


def test_reencoding_without_the_old_master_key_says_so(device, printed, layout, settings):
    from campuscard.nfc import keys
    from campuscard.nfc.services import save_layout_version

    chip = blank_card()
    relay(start(device, printed, chip).json(), chip, device.step)
    declaration = json.loads(json.dumps(layout.current_version.declaration))
    declaration["picc"]["key"]["reference"] = "file:esup/picc-2.hex"
    save_layout_version(layout, declaration)
    keys.create_key_file("file:esup/picc-2.hex", "aes")
    (settings.CAMPUSCARD_NFC_KEY_DIR / "esup" / "picc.hex").unlink()  # the old key is gone
    card = Card.objects.get(pk=printed.pk)
    answer = relay(start(device, card, chip).json(), chip, device.step)
    assert answer["status"] == "failed"
    assert "No known master key opens this chip" in answer["failure"]
    assert Card.objects.get(pk=card.pk).state == card.state


def test_a_card_taken_back_meanwhile_is_not_marked_encoded(device, printed, layout, manager_a):
    from campuscard.cards import services as card_services
    from tests.conftest import actor

    chip = blank_card()
    halfway = relay(start(device, printed, chip).json(), chip, device.step, stop_after=30)
    card_services.fail_encoding(Card.objects.get(pk=printed.pk), actor(manager_a))  # by hand
    done = relay(halfway, chip, device.step)
    assert done["status"] == "failed"
    assert "could not be marked encoded" in done["failure"]
    assert Card.objects.get(pk=printed.pk).state == State.PRINTED
    assert not ChipEncoding.objects.filter(card=printed).exists()
