"""PaperCut over real HTTP against the emulator: the card number set on enable, cleared after
(only while it is still this card's), missing users, a bad token, an outage."""

import time
import xmlrpc.client

import pytest
from django.core.exceptions import ValidationError

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.core.sealing import is_sealed
from campuscard.integrations.papercut.emulator import PapercutEmulator
from campuscard.integrations.papercut.models import PapercutServer
from tests.conftest import actor, card_in_state

pytestmark = pytest.mark.django_db
Status = OutboxItem.Status
TOKEN = "papercut-test-token"


@pytest.fixture
def emulator():
    with PapercutEmulator(TOKEN, users=["alice"]) as server:
        yield server


@pytest.fixture
def fast_retries(settings):
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_CAP = 0.02


def connect(emulator, **fields):
    values = {"code": "print", "label_en": "Printing", "url": emulator.url,
              "auth_token": TOKEN, "username_rule": r"(.*)@univ-a\.example\.org",
              "timeout": 5} | fields
    server = PapercutServer(**values)
    server.full_clean()
    server.save()
    return server


def rows(server):
    return OutboxItem.objects.filter(target=f"papercut:{server.code}")


def drain():
    while outbox.drain():
        pass


def reverse(csn):
    return "".join(reversed([csn[i:i + 2] for i in range(0, len(csn), 2)]))


def test_enabling_sets_the_card_number(emulator, student, manager_a):
    server = connect(emulator)
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    assert rows(server).get().status == Status.DONE
    assert emulator.users["alice"]["card-number"] == card.csn
    assert ("isUserExists", "alice") in emulator.calls


def test_reversed_csn_on_the_secondary_number(emulator, student, manager_a):
    connect(emulator, reversed_csn=True, card_property="secondary-card-number")
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    assert emulator.users["alice"]["secondary-card-number"] == reverse(card.csn)
    assert "card-number" not in emulator.users["alice"]


def test_disabling_clears_it(emulator, student, manager_a):
    server = connect(emulator)
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    card_services.disable(card, actor(manager_a), "LOST")
    drain()
    assert emulator.users["alice"]["card-number"] == ""
    assert list(rows(server).values_list("status", flat=True)) == [Status.DONE, Status.DONE]


def test_a_late_enable_row_follows_the_cards_current_state(emulator, student, manager_a):
    connect(emulator)
    card = card_in_state(student, State.ENABLED, manager_a)
    card_services.disable(card, actor(manager_a), "LOST")
    drain()  # both rows see the card disabled: its number is never set
    assert emulator.users["alice"].get("card-number", "") == ""


def test_another_cards_number_is_not_cleared(emulator, student, manager_a):
    server = connect(emulator)
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    emulator.users["alice"]["card-number"] = "04AABBCCDDEEFF"  # a newer card's, already there
    card_services.disable(card, actor(manager_a), "LOST")
    drain()
    assert emulator.users["alice"]["card-number"] == "04AABBCCDDEEFF"
    assert "another number" in rows(server).order_by("id").last().last_error


def test_a_user_papercut_does_not_know_is_done_with_a_note(emulator, other_student, manager_a):
    server = connect(emulator)
    card_in_state(other_student, State.ENABLED, manager_a)
    drain()
    row = rows(server).get()
    assert row.status == Status.DONE and "no user bob" in row.last_error
    assert "bob" not in emulator.users


def test_a_bad_token_fails_and_never_shows(emulator, student, manager_a):
    server = connect(emulator, auth_token="wrong-token-value")
    card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(server).get()
    assert row.status == Status.FAILED and "token" in row.last_error
    assert "wrong-token-value" not in row.last_error
    assert not any("wrong-token-value" in f"{a.reason} {a.after}"
                   for a in AuditEntry.objects.all())


def test_the_token_is_sealed_in_the_database(emulator):
    from django.db import connection as db

    server = connect(emulator)
    with db.cursor() as cursor:
        cursor.execute("SELECT auth_token FROM papercut_papercutserver WHERE id = %s",
                       [server.pk])
        stored = cursor.fetchone()[0]
    assert is_sealed(stored) and TOKEN not in stored


def test_papercut_down_is_retried_and_nothing_lost(emulator, student, manager_a, fast_retries):
    server = connect(emulator)
    emulator.go_down()
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(server).get()
    assert row.status == Status.PENDING and "cannot be reached" in row.last_error
    emulator.come_back()
    time.sleep(0.05)
    drain()
    assert rows(server).get().status == Status.DONE
    assert emulator.users["alice"]["card-number"] == card.csn


def test_the_emulator_checks_the_token_like_papercut(emulator):
    proxy = xmlrpc.client.ServerProxy(emulator.url, allow_none=True)
    assert proxy.api.isUserExists(TOKEN, "alice") is True
    assert proxy.api.addNewUser(TOKEN, "zoe")
    assert proxy.api.isUserExists(TOKEN, "zoe") is True
    with pytest.raises(xmlrpc.client.Fault, match="token"):
        proxy.api.getUserProperty("nope", "alice", "card-number")
    with pytest.raises(xmlrpc.client.Fault, match="does not exist"):
        proxy.api.getUserProperty(TOKEN, "nobody", "card-number")


@pytest.mark.parametrize(("fields", "field"), [
    ({"url": "ftp://papercut/rpc/api/xmlrpc"}, "url"),
    ({"username_rule": "(.*"}, "username_rule"),
    ({"username_rule": ".*"}, "username_rule"),
    ({"auth_token": ""}, "auth_token"),
])
def test_bad_settings_are_refused_when_saved(db, fields, field):
    good = {"code": "p", "label_en": "P", "url": "http://127.0.0.1:9191/rpc/api/xmlrpc",
            "auth_token": "t"}
    with pytest.raises(ValidationError) as caught:
        PapercutServer(**(good | fields)).full_clean()
    assert field in caught.value.message_dict
