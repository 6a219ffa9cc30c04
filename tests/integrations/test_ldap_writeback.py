"""LDAP write-back against a real slapd: values added beside the directory's own, only ours
removed, the Active Directory single-value way, escaping, outages and refusals."""

import time

import pytest
from django.core.exceptions import ValidationError

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.integrations.ldap_writeback.models import LdapWriteBack
from tests.conftest import actor, card_in_state, make_person
from tests.people.directory import slapd as slapd_helper

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]
Status = OutboxItem.Status
FOREIGN = "{KOHA}12345"


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "bind-password"
    path.write_text(slapd_helper.ADMIN_PASSWORD + "\n")
    return path


@pytest.fixture
def fast_retries(settings):
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_CAP = 0.02


def write_back(directory, password_file, **fields):
    values = {"code": "annuaire", "label_en": "Directory", "url": directory.url,
              "bind_dn": slapd_helper.ADMIN_DN, "bind_password_file": str(password_file),
              "base_dn": slapd_helper.PEOPLE} | fields
    connection = LdapWriteBack(**values)
    connection.full_clean()
    connection.save()
    return connection


def entry(directory, uid):
    import ldap

    conn = directory.server.connection()
    try:
        [(_dn, attributes)] = conn.search_s(f"uid={uid},{slapd_helper.PEOPLE}", ldap.SCOPE_BASE)
    finally:
        conn.unbind_s()
    return {name: sorted(v.decode() for v in values) for name, values in attributes.items()}


def rows(connection):
    return OutboxItem.objects.filter(target=f"ldap:{connection.code}")


def drain():
    while outbox.drain():
        pass


@pytest.fixture
def alice_in_directory(directory, student):
    directory.add("alice", cn="Alice Martin", sn="Martin", eduPersonPrincipalName=student.eppn,
                  supannRefId=FOREIGN)
    return directory


def test_enabling_adds_our_values_beside_the_directorys_own(alice_in_directory, password_file,
                                                            student, manager_a):
    connection = write_back(alice_in_directory, password_file)
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    assert rows(connection).get().status == OutboxItem.Status.DONE
    values = entry(alice_in_directory, "alice")["supannRefId"]
    assert card.access_control_id
    assert values == sorted([FOREIGN, f"{{ISO15693}}{card.csn.upper()}",
                             f"{{UNIV-A:ACCESS-CONTROL}}{card.access_control_id}"])


def test_disabling_removes_only_ours(alice_in_directory, password_file, student, manager_a):
    connection = write_back(alice_in_directory, password_file, multi_valued={
        "supannRefId": ["{ISO15693}${csn}", "{${ESTABLISHMENT}:CSN-DEC}${csn_reversed_dec}"]})
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    reversed_dec = str(int("".join(reversed([card.csn[i:i + 2] for i in range(0, 14, 2)])), 16))
    assert entry(alice_in_directory, "alice")["supannRefId"] == sorted(
        [FOREIGN, f"{{ISO15693}}{card.csn}", f"{{UNIV-A:CSN-DEC}}{reversed_dec}"])
    card_services.disable(card, actor(manager_a), "LOST")
    drain()
    assert entry(alice_in_directory, "alice")["supannRefId"] == [FOREIGN]
    assert list(rows(connection).values_list("status", flat=True)) == [Status.DONE, Status.DONE]


def test_a_value_already_there_or_already_gone_is_no_failure(alice_in_directory, password_file,
                                                             student, manager_a):
    write_back(alice_in_directory, password_file)
    card = card_in_state(student, State.ENCODED, manager_a)
    alice_in_directory.modify("alice", supannRefId=[FOREIGN, f"{{ISO15693}}{card.csn}"])
    card = card_services.enable(card, actor(manager_a))
    drain()
    alice_in_directory.modify("alice", supannRefId=[FOREIGN])
    card_services.disable(card, actor(manager_a), "LOST")
    drain()
    assert not OutboxItem.objects.exclude(status=Status.DONE).exists()
    assert entry(alice_in_directory, "alice")["supannRefId"] == [FOREIGN]


def test_active_directory_way_one_replaced_value_found_by_uid(directory, password_file,
                                                              student, manager_a):
    directory.add("alice", cn="alice", sn="Martin", pager="old-value")
    write_back(directory, password_file, people_filter="(&(objectClass=person)(cn={uid}))",
               multi_valued={}, single_valued={"pager": "${csn}"})
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    assert entry(directory, "alice")["pager"] == [card.csn]
    card_services.disable(card, actor(manager_a), "THEFT")
    drain()
    assert "pager" not in entry(directory, "alice")


def test_the_filter_escapes_the_eppn(directory, password_file, est_a, students, manager_a):
    tricky = make_person("tricky", est_a, students)
    tricky.eppn = "a*(b)\\c@univ-a.example.org"
    tricky.save()
    directory.add("tricky", cn="Tricky", sn="T", eduPersonPrincipalName=tricky.eppn)
    directory.add("bystander", cn="Bystander", sn="B",
                  eduPersonPrincipalName="aXXbYc@univ-a.example.org")
    connection = write_back(directory, password_file)
    card = card_in_state(tricky, State.ENABLED, manager_a)
    drain()
    assert rows(connection).get().status == Status.DONE
    assert f"{{ISO15693}}{card.csn}" in entry(directory, "tricky")["supannRefId"]
    assert "supannRefId" not in entry(directory, "bystander")


def test_no_entry_is_done_with_a_note(directory, password_file, student, manager_a):
    connection = write_back(directory, password_file)
    card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(connection).get()
    assert row.status == Status.DONE and "No entry" in row.last_error
    assert AuditEntry.objects.filter(action="push.ldap:annuaire.done",
                                     reason__contains="No entry").exists()


def test_directory_down_is_retried_and_nothing_lost(alice_in_directory, password_file,
                                                    student, manager_a, fast_retries):
    connection = write_back(alice_in_directory, password_file,
                            url=f"ldap://127.0.0.1:{slapd_helper.free_port()}")
    card = card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(connection).get()
    assert row.status == Status.PENDING and row.attempts == 1
    assert "cannot be reached" in row.last_error
    connection.url = alice_in_directory.url
    connection.save()
    time.sleep(0.05)
    drain()
    assert rows(connection).get().status == Status.DONE
    assert f"{{ISO15693}}{card.csn}" in entry(alice_in_directory, "alice")["supannRefId"]


def test_a_refused_write_fails_with_the_servers_message(alice_in_directory, password_file,
                                                        student, manager_a, tmp_path):
    alice_in_directory.add("reader", cn="Reader", sn="R", userPassword="reader-secret")
    secret = tmp_path / "reader"
    secret.write_text("reader-secret")
    connection = write_back(alice_in_directory, secret,
                            bind_dn=f"uid=reader,{slapd_helper.PEOPLE}")
    card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(connection).get()
    assert row.status == Status.FAILED
    assert "Insufficient access" in row.last_error and "supannRefId" in row.last_error
    assert entry(alice_in_directory, "alice")["supannRefId"] == [FOREIGN]


def test_the_bind_password_never_shows(alice_in_directory, student, manager_a, monkeypatch):
    monkeypatch.setenv("LDAP_WB_PASSWORD", "wrong-but-secret-pw")
    connection = write_back(alice_in_directory, "", bind_password_file="",
                            bind_password_env="LDAP_WB_PASSWORD")
    card_in_state(student, State.ENABLED, manager_a)
    drain()
    row = rows(connection).get()
    assert row.status == Status.FAILED and "Invalid credentials" in row.last_error
    assert not OutboxItem.objects.filter(last_error__contains="secret-pw").exists()
    for audit in AuditEntry.objects.all():
        assert "secret-pw" not in f"{audit.reason} {audit.after} {audit.before}"


@pytest.mark.parametrize(("fields", "field"), [
    ({"url": "http://ldap.example.org"}, "url"),
    ({"url": "ldaps://h:636", "start_tls": True}, "start_tls"),
    ({"people_filter": "(uid=alice)"}, "people_filter"),
    ({"people_filter": "(uid={uid}"}, "people_filter"),
    ({"multi_valued": {"supannRefId": ["{ISO15693}${serial}"]}}, "multi_valued"),
    ({"multi_valued": {"supannRefId": ["fixed"]}}, "multi_valued"),
    ({"multi_valued": {"bad attr": ["${csn}"]}}, "multi_valued"),
    ({"single_valued": {"pager": "${csn} $"}}, "single_valued"),
    ({"single_valued": {"supannRefId": "${csn}"}}, "single_valued"),
    ({"bind_password_env": "X"}, "bind_password_env"),
])
def test_bad_settings_are_refused_when_saved(db, fields, field):
    good = {"code": "x", "label_en": "X", "url": "ldap://h", "base_dn": "dc=x",
            "bind_dn": "cn=a", "bind_password_file": "/p"}
    connection = LdapWriteBack(**(good | fields))
    with pytest.raises(ValidationError) as caught:
        connection.full_clean()
    assert field in caught.value.message_dict
