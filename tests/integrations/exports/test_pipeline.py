"""Exports end to end: card changes through the outbox into files, delivered to a folder or a
real SFTP server, snapshots, the agreements between establishments, and the export page."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from campuscard.cards import recognition
from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.exports import services
from campuscard.integrations.exports.models import ExportChange, ExportFile, ExportTarget
from campuscard.integrations.exports.presets import PRESETS
from tests.conftest import PASSWORD, actor, card_in_state, make_person

from .conftest import SFTP_USER


def make_export(code, establishments, destination, preset="synchronic", **format_changes):
    export = ExportTarget.objects.create(
        code=code, label_en=f"Doors {code}", label_fr=f"Portes {code}", preset=preset,
        format={**PRESETS[preset], **format_changes}, destination=destination)
    export.establishments.set(establishments)
    return export


def drain_all():
    while outbox.drain():
        pass


def folder(tmp_path, name="doors"):
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    return path


def synchronic_line(card, on):
    person = card.person
    enabled = timezone.localtime(card.enabled_at).strftime("%Y%m%d")
    due = min(person.rights_end, datetime.date(2037, 12, 31)).strftime("%Y%m%d")
    birth = timezone.localtime(card.state_changed_at).strftime("%d/%m/%Y")
    blocked = "NON" if card.state == State.ENABLED else "OUI"
    return (f"{person.student_id};{person.last_name};{person.first_name};"
            f"{card.access_control_id};{enabled};{due};{blocked};{birth};"
            f"{on.name}\r\n").encode("iso-8859-1")


def test_enabling_a_card_writes_and_delivers_its_person_file(tmp_path, est_a, student,
                                                             manager_a):
    doors = folder(tmp_path)
    make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors)})
    card = card_in_state(student, State.ENABLED, manager_a)
    drain_all()

    written = doors / f"{student.eppn}_synchronic.csv"
    card.refresh_from_db()
    assert written.read_bytes() == synchronic_line(card, est_a)
    export_file = ExportFile.objects.get()
    assert export_file.status == ExportFile.Status.DELIVERED
    assert export_file.line_count == 1

    card_services.disable(card, actor(student.user), "LOST")
    drain_all()
    card.refresh_from_db()
    assert written.read_bytes() == synchronic_line(card, est_a).replace(b";OUI;", b";OUI;")
    assert b";OUI;" in written.read_bytes()


def test_a_change_pushed_twice_is_written_once(tmp_path, est_a, student, manager_a):
    doors = folder(tmp_path)
    export = make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors)},
                         preset="p2s")
    card_in_state(student, State.ENABLED, manager_a)
    row = OutboxItem.objects.get(target="export:doors-a", operation="card.enabled")
    outbox.deliver(outbox.claim()[0])
    services.keep_change(export, row)  # the worker died before recording: pushed again
    assert ExportChange.objects.filter(export=export).count() == 1


def test_p2s_changes_wait_for_their_period_then_share_one_file(tmp_path, est_a, students,
                                                               manager_a):
    doors = folder(tmp_path)
    export = make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors)},
                         preset="p2s")
    for name in ("ann", "ben", "cid"):
        card_in_state(make_person(name, est_a, students), State.ENABLED, manager_a)
    drain_all()
    assert not list(doors.iterdir())  # P2S writes every 5 minutes
    later = timezone.now() + datetime.timedelta(minutes=6)
    [export_file] = services.write_due_files(export.pk, later)
    drain_all()
    assert export_file.line_count == 3
    [delivered] = list(doors.iterdir())
    assert delivered.name.endswith("_1_p2s.csv")
    assert delivered.read_bytes().count(b"\n") == 3 and b"\r" not in delivered.read_bytes()


def test_a_delivery_that_fails_is_retried_with_the_same_bytes(tmp_path, est_a, student,
                                                              manager_a, sftp_server,
                                                              password_file):
    destination = {"kind": "sftp", "host": "127.0.0.1", "port": sftp_server.port,
                   "username": SFTP_USER, "directory": "/in",
                   "host_key": sftp_server.public_host_key,
                   "password_file": str(password_file), "timeout": 3}
    make_export("doors-a", [est_a], destination)
    sftp_server.stop()
    card_in_state(student, State.ENABLED, manager_a)
    drain_all()
    row = OutboxItem.objects.get(target="export:doors-a", operation=services.FILE_WRITTEN)
    assert row.status == OutboxItem.Status.PENDING and row.attempts == 1

    sftp_server.start()
    OutboxItem.objects.filter(pk=row.pk).update(not_before=timezone.now())
    drain_all()
    row.refresh_from_db()
    assert row.status == OutboxItem.Status.DONE
    export_file = ExportFile.objects.get()
    assert sftp_server.files() == {f"in/{export_file.name}": export_file.content.read()}


def test_a_snapshot_holds_every_card_the_export_covers(tmp_path, est_a, est_b, students,
                                                       student, student_b, manager_a,
                                                       manager_b, admin_user):
    doors = folder(tmp_path)
    export = make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors)},
                         preset="p2s")
    card_in_state(student, State.ENABLED, manager_a)
    card_in_state(student_b, State.ENABLED, manager_b)
    drain_all()
    services.ask_snapshot(export, actor(admin_user))
    drain_all()
    snapshot = ExportFile.objects.get(kind=ExportFile.Kind.SNAPSHOT)
    assert snapshot.status == ExportFile.Status.DELIVERED
    content = (doors / snapshot.name).read_bytes().decode("iso-8859-1")
    assert content.count("\n") == 1 and est_a.name in content


def issuer_format(preset="p2s"):
    """P2S with the issuing establishment's code in a tenth column."""
    data = PRESETS[preset]
    return {"columns": [*data["columns"],
                        {"title": "issuer", "value": "issuer_establishment"}]}


def test_an_agreement_adds_the_other_establishments_cards_until_withdrawn(
        tmp_path, est_a, est_b, students, student, student_b, manager_a, manager_b,
        admin_user):
    doors_a, doors_b = folder(tmp_path, "a"), folder(tmp_path, "b")
    export_a = make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors_a)},
                           preset="p2s", mode="snapshot", **issuer_format())
    export_b = make_export("doors-b", [est_b], {"kind": "folder", "path": str(doors_b)},
                           preset="p2s", mode="snapshot", **issuer_format())
    card_in_state(student, State.ENABLED, manager_a)
    card_in_state(student_b, State.ENABLED, manager_b)

    def snapshot_of(export):
        export_file = services.write_snapshot(export.pk)
        return export_file.content.read().decode("iso-8859-1").splitlines()

    assert [line.split(";")[-1] for line in snapshot_of(export_b)] == ["ecole-b"]
    agreement = recognition.agree_recognition(est_a, est_b, [students], actor(admin_user))
    assert sorted(line.split(";")[-1] for line in snapshot_of(export_b)) == ["ecole-b",
                                                                            "univ-a"]
    assert [line.split(";")[-1] for line in snapshot_of(export_a)] == ["univ-a"]

    recognition.withdraw_recognition(agreement, actor(admin_user))
    assert [line.split(";")[-1] for line in snapshot_of(export_b)] == ["ecole-b"]


def test_a_withdrawn_agreement_blocks_the_cards_in_a_changes_export(
        tmp_path, est_a, est_b, students, student, manager_a, admin_user):
    doors_b = folder(tmp_path, "b")
    make_export("doors-b", [est_b], {"kind": "folder", "path": str(doors_b)})
    card = card_in_state(student, State.ENABLED, manager_a)
    drain_all()
    assert not list(doors_b.iterdir())  # not recognised yet: B's doors know nothing of it

    agreement = recognition.agree_recognition(est_a, est_b, [], actor(admin_user))
    drain_all()
    written = doors_b / f"{student.eppn}_synchronic.csv"
    card.refresh_from_db()
    assert written.read_bytes() == synchronic_line(card, est_a)

    recognition.withdraw_recognition(agreement, actor(admin_user))
    drain_all()
    assert b";OUI;" in written.read_bytes()  # still written, now blocked at B's doors


@pytest.fixture
def page_exports(tmp_path, est_a, est_b):
    make_export("doors-a", [est_a], {"kind": "folder", "path": str(folder(tmp_path, "a"))})
    make_export("doors-b", [est_b], {"kind": "folder", "path": str(folder(tmp_path, "b"))})


def test_the_export_page_shows_the_files_their_lines_and_the_next_one(
        client, page_exports, student, manager_a):
    card_in_state(student, State.ENABLED, manager_a)
    drain_all()
    client.login(username="manager-a", password=PASSWORD)
    listing = client.get(reverse("backoffice:exports")).content.decode()
    assert "Doors doors-a" in listing and "Doors doors-b" not in listing
    page = client.get(reverse("backoffice:export", args=["doors-a"]))
    assert f"{student.eppn}_synchronic.csv" in page.content.decode()
    export_file = ExportFile.objects.get()
    lines = client.get(reverse("backoffice:export_file", args=["doors-a", export_file.pk]))
    assert "Martin;Alice" in lines.content.decode()
    download = client.get(reverse("backoffice:export_file_download",
                                  args=["doors-a", export_file.pk]))
    assert b"".join(download.streaming_content) == export_file.content.read()
    assert client.get(reverse("backoffice:export", args=["doors-b"])).status_code == 404


def test_send_a_full_snapshot_now_is_queued_and_says_so(client, page_exports, student,
                                                        manager_a):
    card_in_state(student, State.ENABLED, manager_a)
    client.login(username="manager-a", password=PASSWORD)
    response = client.post(reverse("backoffice:export_snapshot", args=["doors-a"]),
                           follow=True)
    assert "queued" in response.content.decode()
    assert OutboxItem.objects.filter(operation=services.SNAPSHOT_ASKED,
                                     status=OutboxItem.Status.PENDING).count() == 1
    drain_all()
    assert ExportFile.objects.filter(kind=ExportFile.Kind.SNAPSHOT).count() == 1


def test_a_consultant_cannot_ask_for_a_snapshot(client, page_exports, consultant_a):
    client.login(username="consultant-a", password=PASSWORD)
    response = client.post(reverse("backoffice:export_snapshot", args=["doors-a"]))
    assert response.status_code == 403
    assert not OutboxItem.objects.filter(operation=services.SNAPSHOT_ASKED).exists()


def test_an_export_of_two_establishments_is_for_who_manages_both(client, tmp_path, est_a,
                                                                 est_b, manager_a, admin_user):
    make_export("doors-ab", [est_a, est_b], {"kind": "folder", "path": str(folder(tmp_path))})
    client.login(username="manager-a", password=PASSWORD)
    assert client.get(reverse("backoffice:export", args=["doors-ab"])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("backoffice:export", args=["doors-ab"])).status_code == 200


def test_old_delivered_files_are_pruned_but_never_written_again(tmp_path, settings, est_a,
                                                                students, manager_a):
    settings.CAMPUSCARD_EXPORT_RETENTION_DAYS = 30
    doors = folder(tmp_path)
    make_export("doors-a", [est_a], {"kind": "folder", "path": str(doors)}, preset="p2s",
                every_minutes=0)
    for name in ("ann", "ben"):
        card_in_state(make_person(name, est_a, students), State.ENABLED, manager_a)
        drain_all()
    first, last = ExportFile.objects.order_by("id")
    ExportFile.objects.update(created_at=timezone.now() - datetime.timedelta(days=31))
    stored = first.content.path

    assert services.prune_files() == 1  # the last file of the export stays
    assert list(ExportFile.objects.all()) == [last]
    assert not ExportChange.objects.filter(file__isnull=True).exists()
    assert services.write_due_files(last.export_id) == []
    assert not Path(stored).exists()
