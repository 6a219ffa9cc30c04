"""Two people and three cards with fixed numbers and dates (the samples/ files describe them),
and a real SFTP server."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.integrations.exports.formats import parse_format
from campuscard.integrations.exports.records import card_record, select_cards
from campuscard.integrations.exports.render import file_name, write_file
from campuscard.people.models import Person

from ...conftest import card_in_state, make_person
from .sftp_server import SFTPTestServer, generate_key

PARIS = ZoneInfo("Europe/Paris")


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def fix(card, **fields):
    Card.objects.filter(pk=card.pk).update(**fields)


@pytest.fixture
def people(est_a, students, staff_population, manager_a):
    elodie = make_person("elodie", est_a, students, first_name="Élodie", last_name="Müller",
                         student_id="21912345", birth_date=None)
    jean = make_person("jean-noel", est_a, staff_population, first_name="Jean-Noël",
                       last_name="Dupont", employee_id="E4567",
                       birth_date=datetime.date(1987, 12, 31))
    old = card_in_state(elodie, State.ENABLED, manager_a)
    new = card_in_state(elodie, State.ENABLED, manager_a)  # the old one is now DISABLED
    blocked = card_in_state(jean, State.DISABLED, manager_a)
    fix(old, access_control_id="1041", csn="04112233445566", enabled_at=paris(2023, 9, 1, 10),
        state_changed_at=paris(2025, 9, 15, 10))
    fix(new, access_control_id="1042", csn="04A1B2C3D4E5F6",
        enabled_at=paris(2025, 9, 15, 10), state_changed_at=paris(2025, 9, 16, 8, 30))
    fix(blocked, access_control_id="1043", csn="A1B2C3D4", enabled_at=paris(2024, 1, 10, 9),
        state_changed_at=paris(2025, 3, 1, 9))
    # Rights set last: a card cannot be requested once they have ended.
    Person.objects.filter(pk=elodie.pk).update(rights_end=datetime.date(2045, 8, 31))
    Person.objects.filter(pk=jean.pk).update(rights_end=datetime.date(2026, 8, 31))
    assert Card.objects.get(pk=old.pk).state == State.DISABLED
    return [elodie, jean]


def cards_of(person):
    return (Card.objects.filter(person=person).order_by("pk")
            .select_related("person__population", "establishment"))


def records_of(fmt, person):
    return [card_record(card) for card in select_cards(cards_of(person), fmt)]


def export(data, people, at=None, seq=1):
    """{file name: bytes} as the format writes them for `people`."""
    fmt = parse_format(data)
    at = at or paris(2025, 9, 16, 9)
    if fmt.grouping == "per_person":
        files = {}
        for person in people:
            out = io.BytesIO()
            write_file(fmt, records_of(fmt, person), out)
            files[file_name(fmt, at, seq, eppn=person.eppn)] = out.getvalue()
        return files
    out = io.BytesIO()
    write_file(fmt, (r for person in people for r in records_of(fmt, person)), out)
    return {file_name(fmt, at, seq): out.getvalue()}


SFTP_USER = "doors"
SFTP_PASSWORD = "s3cret-sftp-Pa55word"


@pytest.fixture
def client_key_file(tmp_path):
    path = tmp_path / "secrets" / "id_ed25519"
    path.parent.mkdir(exist_ok=True)
    generate_key(path)
    return path


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "secrets" / "sftp-password"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SFTP_PASSWORD + "\n")
    return path


@pytest.fixture
def sftp_server(tmp_path, client_key_file):
    """A running SFTP server serving tmp_path/sftp-root, its "in" directory ready."""
    import asyncssh

    root = tmp_path / "sftp-root"
    (root / "in").mkdir(parents=True)
    client_key = asyncssh.read_private_key(client_key_file)
    server = SFTPTestServer(root, username=SFTP_USER, password=SFTP_PASSWORD,
                            client_key=client_key)
    server.start()
    yield server
    server.shutdown()
