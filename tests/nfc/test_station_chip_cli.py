"""`campuscard station encode` and `station read` against a live server, over real HTTP, with
a software card kept in a file (as it would be on a reader)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.nfc.models import ChipSession
from campuscard.nfc.softcard import SoftCard
from campuscard.stations.models import Station

from .flow import make_encoding_station

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_file(tmp_path, est_a, manager_a):
    station = make_encoding_station(est_a, [manager_a])
    path = tmp_path / "token"
    path.write_text(station.token + "\n")
    return path


def station(command, live_server, token_file, *args):
    call_command("station", command, "--server", live_server.url, "--token-file",
                 str(token_file), *args)


def test_encode_then_read_a_software_card(live_server, token_file, layout, printed, tmp_path,
                                          capsys):
    chip = tmp_path / "chip.json"
    station("encode", live_server, token_file, "--card", str(printed.pk), "--softcard",
            str(chip))
    out = capsys.readouterr().out
    card = Card.objects.get(pk=printed.pk)
    assert card.state == State.ENCODED
    assert card.csn == SoftCard.load(chip).uid.hex().upper()  # a blank card was made and kept
    assert f"Card {card.pk}" in out and "3 files read back as written" in out

    station("read", live_server, token_file, "--softcard", str(chip), "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["card"]["id"] == card.pk
    assert answer["outcome"]["checks"]["all_match"] is True
    values = {file["holds"]: file["value"] for app in answer["outcome"]["applications"]
              for file in app["files"]}
    assert values["access_control_id"] == card.access_control_id
    assert Station.objects.get(kind="encode").last_badge == card.csn  # the badge page hears

    station("read", live_server, token_file, "--softcard", str(chip))
    assert "The chip matches our record of the card." in capsys.readouterr().out


def test_reading_a_chip_whose_record_differs_says_what_differs(live_server, token_file, layout,
                                                               printed, tmp_path, capsys):
    chip = tmp_path / "chip.json"
    station("encode", live_server, token_file, "--next", "--softcard", str(chip))
    Card.objects.filter(pk=printed.pk).update(access_control_id="4242")
    station("read", live_server, token_file, "--softcard", str(chip))
    out = capsys.readouterr().out
    assert "Does not match our record: access_control_id in F585C0 file 0." in out
    assert "The chip matches" not in out


def test_a_refusal_is_the_commands_error(live_server, token_file, layout, printed, tmp_path):
    chip = tmp_path / "chip.json"
    station("encode", live_server, token_file, "--card", str(printed.pk), "--softcard",
            str(chip))
    with pytest.raises(CommandError, match="only that chip can be encoded again"):
        station("encode", live_server, token_file, "--card", str(printed.pk), "--softcard",
                str(tmp_path / "another-chip.json"))
    assert ChipSession.objects.filter(status="open").count() == 0


def test_a_foreign_chip_reads_as_unknown(live_server, token_file, layout, tmp_path, capsys):
    chip = tmp_path / "blank.json"
    SoftCard(path=chip).save()
    station("read", live_server, token_file, "--softcard", str(chip))
    out = capsys.readouterr().out
    assert "This chip is not bound to any card of ours." in out
    assert "Application F585C0: not on the chip" in out


@pytest.mark.nfc
def test_encode_through_a_pcsc_reader(pcscd, live_server, token_file, layout, printed):
    from campuscard.nfc.vpcd import VpcdBridge

    from .pcscd import wait_for_reader

    chip = SoftCard(uid=bytes.fromhex("04C0FFEE000042"))
    bridge = VpcdBridge(chip, port=pcscd.port).insert(wait=5)
    try:
        station("encode", live_server, token_file, "--card", str(printed.pk), "--reader")
    finally:
        bridge.remove()
        wait_for_reader(present=False)
    card = Card.objects.get(pk=printed.pk)
    assert card.state == State.ENCODED and card.csn == "04C0FFEE000042"
    assert {app.aid for app in chip.memory.applications.values()} >= {0xF585C0, 0xF58540}


def test_another_establishments_station_learns_nothing_of_the_card(
        live_server, token_file, layout, printed, tmp_path, est_b, capsys):
    chip = tmp_path / "chip.json"
    station("encode", live_server, token_file, "--card", str(printed.pk), "--softcard",
            str(chip))
    other = tmp_path / "other-token"
    other.write_text(make_encoding_station(est_b, name="Encoder B").token)
    with pytest.raises(CommandError, match="does not serve") as refused:
        station("read", live_server, other, "--softcard", str(chip))
    assert printed.person.last_name not in str(refused.value)
