"""The demo's people come from its CSV directory through the real sync, and a newcomer who
edits a line sees the change after a sync."""

import csv
import datetime

import pytest
from django.contrib import messages
from django.urls import reverse
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from campuscard.demo import directory
from campuscard.demo.story import seed_demo
from campuscard.people.models import Person, SourceLink
from campuscard.people.sources import config as source_config

pytestmark = pytest.mark.django_db

RELATIVE = {"academic-year", "90-days", "left-yesterday"}


def home_rows():
    with directory.directory_path().open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_demo_person_comes_from_the_directory_through_the_sync():
    seed_demo()
    shipped = directory.shipped_rows()
    assert len(shipped) == Person.objects.count() > 50
    linked = set(SourceLink.objects.filter(source=directory.SOURCE_NAME)
                 .values_list("person__eppn", flat=True))
    assert linked == set(Person.objects.values_list("eppn", flat=True))
    created = AuditEntry.objects.filter(action="person.created")
    assert created.count() == len(shipped)
    assert set(created.values_list("actor_label", flat=True)) == {"system"}
    camille = Person.objects.get(eppn="camille.dupont@univ-rouen.fr")
    assert (camille.student_id, camille.ine, camille.birth_date) == (
        "21900286", "693470688HX", datetime.date(2007, 10, 3))
    assert camille.user.username == "etudiant"


def test_the_copy_in_home_is_a_csv_source_of_dates_and_the_leavers_have_left():
    seed_demo()
    [source] = source_config.load(directory.sources_path()).sources
    assert (source.name, source.kind) == (directory.SOURCE_NAME, "csv")
    assert source.options["path"] == str(directory.directory_path())
    rows = home_rows()
    assert [r["eppn"] for r in rows] == [r["eppn"] for r in directory.shipped_rows()]
    assert not {r["rights_end"] for r in rows} & RELATIVE
    for row in rows:
        if row["rights_end"]:
            datetime.date.fromisoformat(row["rights_end"])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    leavers = {r["eppn"] for r in directory.shipped_rows() if r["rights_end"] == "left-yesterday"}
    assert leavers
    for person in Person.objects.filter(eppn__in=leavers):
        assert person.rights_end == yesterday
        states = set(person.cards.values_list("state", flat=True))
        assert State.CADUC in states or State.DESTROYED in states, (person.eppn, states)
        assert not states & {State.ENABLED, State.NEW, State.RENEWED}
    former = Person.objects.get(user__username="ancien-etudiant")
    assert former.cards.get().state == State.CADUC


def test_an_edited_line_shows_after_the_sync_button(client, settings, django_user_model):
    seed_demo()
    settings.CAMPUSCARD_SOURCES_FILE = str(directory.sources_path())
    rows = home_rows()
    for row in rows:
        if row["eppn"] == "camille.dupont@univ-rouen.fr":
            row["last_name"] = "Dupont-Lemaire"
    with directory.directory_path().open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    camille = Person.objects.get(eppn="camille.dupont@univ-rouen.fr")
    card = camille.cards.get()
    client.force_login(django_user_model.objects.get(username="manager-rouen"))
    page = client.get(reverse("backoffice:card", args=[card.pk])).content.decode()
    assert "Sync this person from the sources" in page
    response = client.post(reverse("backoffice:card_sync", args=[card.pk]), follow=True)

    camille.refresh_from_db()
    assert camille.last_name == "Dupont-Lemaire"
    assert [str(m) for m in messages.get_messages(response.wsgi_request)] == [
        "Synced from the sources: the data changed."]
    assert "Dupont-Lemaire" in response.content.decode()
