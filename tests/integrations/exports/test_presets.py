"""ESUP-SGC's exporters, byte for byte: the presets against the hand-written samples/."""

import datetime
from pathlib import Path

import pytest

from campuscard.integrations.exports.formats import parse_format
from campuscard.integrations.exports.presets import PRESETS, preset

from .conftest import export

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"


def sample(name):
    return (SAMPLES / name).read_bytes()


def test_synchronic_writes_one_file_per_person_with_their_one_card(people):
    files = export(PRESETS["synchronic"], people)
    assert files == {
        "elodie@univ-a.example.org_synchronic.csv":
            sample("elodie@univ-a.example.org_synchronic.csv"),
        "jean-noel@univ-a.example.org_synchronic.csv":
            sample("jean-noel@univ-a.example.org_synchronic.csv"),
    }


def test_til_writes_dd_mm_yyyy_uncapped_and_the_operation(people):
    files = export(PRESETS["til"], people[:1])
    assert files == {"elodie@univ-a.example.org_til.csv":
                     sample("elodie@univ-a.example.org_til.csv")}


def test_p2s_writes_every_card_in_one_lf_file_named_by_the_epoch(people):
    at = datetime.datetime(2025, 9, 16, 5, 20, tzinfo=datetime.UTC)  # 1758000000 s
    assert export(PRESETS["p2s"], people, at=at) == {
        "1758000000000_1_p2s.csv": sample("1758000000000_1_p2s.csv")}


def test_pcpass_writes_its_header_and_reversed_chip_numbers_in_utf8(people):
    assert export(PRESETS["pcpass"], people) == {"pcpass.csv": sample("pcpass.csv")}


def test_a_person_whose_only_card_was_never_enabled_gets_an_empty_file(people):
    from campuscard.cards.models import Card

    Card.objects.filter(person=people[1]).update(enabled_at=None)
    files = export(PRESETS["synchronic"], people[1:])
    assert files == {"jean-noel@univ-a.example.org_synchronic.csv": b""}


def test_every_preset_parses_and_its_copy_is_independent():
    for name, data in PRESETS.items():
        assert parse_format(data).columns, name
    copy = preset("synchronic")
    copy["columns"][0]["value"] = "eppn"
    copy["states"].append("ENCODED")
    assert PRESETS["synchronic"]["columns"][0]["value"] == "secondary_id"
    assert "ENCODED" not in PRESETS["synchronic"]["states"]


def test_p2s_caps_at_2099(people):
    from campuscard.people.models import Person

    Person.objects.filter(pk=people[1].pk).update(rights_end=datetime.date(2100, 6, 30))
    (content,) = export(PRESETS["p2s"], people[1:]).values()
    assert b";2024/01/10;2099/12/31;1;1987/12/31;" in content
