"""A CSV source (no server needed) drives the computed rules, the command, the sign-on sync,
the back-office pages and the API call."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from campuscard.cards.states import IllegalTransition, State
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry
from campuscard.people.models import Person, SourceState
from campuscard.people.services import update_person
from campuscard.people.sources import config as source_config
from campuscard.people.sources.rules import apply_rules, parse_rules

from ..api.conftest import Caller, make_api_client  # noqa: F401 (a fixture)
from ..conftest import PASSWORD, card_in_state
from .helpers import run

pytestmark = pytest.mark.django_db

HEADER = "eppn,first_name,last_name,email,primary_affiliation,affiliations,year,rights_end\n"
RULES = """
[[rule]]
name = "left"
when = [{ attribute = "affiliations", equals = "alum" }]
set = { may_request_card = false, request_refusal = "Former students get no card." }

[[rule]]
name = "staff"
when = [{ attribute = "primary_affiliation", in = ["staff", "faculty", "employee"] }]
set = { population = "staff", card_template = "staff" }

[[rule]]
name = "students"
when = [{ attribute = "primary_affiliation", equals = "student" },
        { attribute = "year", regex = "^20[0-9]{2}$" }]
[rule.set]
population = "student"
card_template = "student"
rights_end = { year_of = "year", add_years = 1, month_day = "10-31" }

[[rule]]
name = "everyone else"
set = { card_template = "default" }
"""


def write_csv(tmp_path, rows):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "".join(rows))
    return path


@pytest.fixture
def csv_setup(settings, tmp_path, est_a, students, staff_population):
    def setup(rows, extra=""):
        path = write_csv(tmp_path, rows)
        toml = tmp_path / "sources.toml"
        toml.write_text(f"""
[[source]]
name = "sis"
kind = "csv"
establishment = "univ-a"
path = "{path}"
[source.extra]
year = "year"
{extra}
{RULES}
""")
        settings.CAMPUSCARD_SOURCES_FILE = str(toml)
        return path
    return setup


def test_rules_set_the_computed_fields_first_match_wins(csv_setup):
    csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student;member,2026,\n",
               "b2@univ-a.fr,Ben,Roy,b2@univ-a.fr,staff,staff;member,,2030-01-01\n",
               "c3@univ-a.fr,Cyd,Lee,c3@univ-a.fr,student,student;alum,2025,\n"])
    result = run()
    assert result.ok, result.reports
    ana = Person.objects.get(eppn="a1@univ-a.fr")
    assert (ana.population.code, ana.card_template) == ("student", "student")
    assert ana.rights_end == datetime.date(2027, 10, 31)
    ben = Person.objects.get(eppn="b2@univ-a.fr")
    assert (ben.population.code, ben.card_template, ben.rights_end) == (
        "staff", "staff", datetime.date(2030, 1, 1))
    cyd = Person.objects.get(eppn="c3@univ-a.fr")
    assert not cyd.may_request_card and cyd.request_refusal == "Former students get no card."
    assert ana.may_request_card


def test_a_person_a_rule_refuses_cannot_request_but_the_office_can(
        csv_setup, manager_a):
    csv_setup(["c3@univ-a.fr,Cyd,Lee,c3@univ-a.fr,student,student;alum,2026,\n"])
    run()
    person = Person.objects.get(eppn="c3@univ-a.fr")
    user = get_user_model().objects.create_user("c3@univ-a.fr", password=PASSWORD)
    person.user = user
    person.save()
    from campuscard.cards import services as card_services

    with pytest.raises(IllegalTransition, match=r"Former students get no card\."):
        card_services.request_card(person, Actor(user=user))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get("/me/request/")
    assert "Former students get no card." in page.content.decode()
    assert card_in_state(person, State.NEW, manager_a).state == State.NEW  # the office may


def test_rules_parse_and_apply_without_code():
    rules = parse_rules([
        {"name": "minor", "when": {"attribute": "birth_date", "after": "2010-01-01"},
         "set": {"may_request_card": False}},
        {"name": "not-a", "when": {"attribute": "establishment", "equals": "univ-a",
                                   "not": True}, "set": {"card_template": "guest"}},
    ])
    record = {"birth_date": "20120505", "establishment": "ecole-b"}
    assert apply_rules(rules, record) == {"may_request_card": "minor", "card_template": "not-a"}
    assert record["may_request_card"] == "false"
    for bad in ({"set": {"eval": "x"}}, {"when": {"attribute": "x", "regex": "("},
                                          "set": {"card_template": "a"}},
                {"when": {"attribute": "x"}, "set": {"card_template": "a"}}):
        with pytest.raises(ValueError):
            parse_rules([bad])


@pytest.mark.parametrize("text, message", [
    ('[[source]]\nname="x"\nkind="ldap"\nurl="ldap://h"\nbase_dn="o=x"\npassword="s"',
     "never written in the file"),
    ('[[source]]\nname="x"\nkind="sql"\nurl="postgresql://u:pw@h/db"\nquery="SELECT 1"',
     "the url holds a password"),
    ('[[source]]\nname="x"\nkind="sql"\nurl="postgresql://h/db"\nquery="DELETE FROM t"',
     "one SELECT"),
    ('[[source]]\nname="x"\nkind="csv"\npath="/x"\ncolour="red"', "unknown keys colour"),
    ('[[source]]\nname="x"\nkind="csv"\npath="/x"\n[source.fields]\nshoe_size="s"',
     "unknown Person fields shoe_size"),
])
def test_the_sources_file_is_checked(text, message):
    with pytest.raises(source_config.ConfigError, match=message):
        source_config.parse(text)


def test_the_command_prints_a_table_and_refusals(csv_setup):
    csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n",
               "nobody,No,Eppn,x@univ-a.fr,student,student,2026,\n",
               "d4@univ-a.fr,Dee,Fox,not-an-email,student,student,2026,\n"])
    out = io.StringIO()
    call_command("sync", "--full", stdout=out)
    text = out.getvalue()
    header, _rule, row = text.splitlines()[:3]
    assert header.split() == ["source", "read", "created", "updated", "unchanged", "rights",
                              "ended", "refused", "time", "(s)"]
    assert row.split()[:7] == ["sis", "3", "1", "0", "0", "0", "2"]
    assert "“nobody” is not an eppn (user@domain)." in text
    assert "“not-an-email” is not an email address." in text
    state = SourceState.objects.get(source="sis")
    assert state.counts["created"] == 1

    dry = io.StringIO()
    call_command("sync", "sis", "--dry-run", stdout=dry)
    assert "Dry run: nothing was written." in dry.getvalue()
    with pytest.raises(CommandError, match="No source named"):
        call_command("sync", "nope", stdout=io.StringIO())


def test_a_hand_edit_is_compared_again_at_the_next_sync(csv_setup, manager_a):
    csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"])
    run()
    person = Person.objects.get(eppn="a1@univ-a.fr")
    update_person(person, Actor(user=manager_a), last_name="Typo")
    result = run(full=True)
    assert result.reports["sis"].updated == 1
    assert Person.objects.get(pk=person.pk).last_name == "Silva"


def test_sign_on_syncs_the_person_and_a_broken_source_never_blocks_it(
        settings, csv_setup, tmp_path):
    path = csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"])
    run()
    user = get_user_model().objects.create_user("a1@univ-a.fr", password=PASSWORD)
    path.write_text(HEADER + "a1@univ-a.fr,Ana,Silva-Costa,a1@univ-a.fr,student,student,2026,\n")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post("/login/", {"username": "a1@univ-a.fr", "password": PASSWORD}
                       ).status_code == 302
    assert Person.objects.get(eppn="a1@univ-a.fr").last_name == "Silva-Costa"

    path.unlink()  # the source is gone: the login still works, nothing changes
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}
                       ).status_code == 302
    assert Person.objects.get(eppn="a1@univ-a.fr").last_name == "Silva-Costa"


def test_backoffice_sources_page_test_page_and_sync_button(
        csv_setup, admin_user, manager_a, manager_b):
    path = csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"])
    run()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    page = client.get("/manage/sources/").content.decode()
    assert "sis" in page and "created 1" in page
    test = client.get("/manage/sources/test/", {"eppn": "A1@univ-a.fr"}).content.decode()
    assert "Silva" in test and "students" in test  # what the CSV said, the rule that fired
    assert "Nothing is written" in test

    person = Person.objects.get(eppn="a1@univ-a.fr")
    card = card_in_state(person, State.NEW, manager_a)
    path.write_text(HEADER + "a1@univ-a.fr,Ana,Moreau,a1@univ-a.fr,student,student,2026,\n")
    office = Client(HTTP_ACCEPT_LANGUAGE="en")
    office.force_login(manager_a)
    assert "Sync this person from the sources" in office.get(f"/manage/cards/{card.pk}/"
                                                             ).content.decode()
    assert office.get("/manage/sources/").status_code == 403
    response = office.post(f"/manage/cards/{card.pk}/sync/", follow=True)
    assert "the data changed" in response.content.decode()
    assert Person.objects.get(pk=person.pk).last_name == "Moreau"
    entry = AuditEntry.objects.filter(action="person.updated").latest("id")
    assert entry.actor == manager_a
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(manager_b)
    assert other.post(f"/manage/cards/{card.pk}/sync/").status_code == 404


def test_api_sync_one_person_in_scope(csv_setup, make_api_client, est_a, est_b):  # noqa: F811
    path = csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"])
    run()
    path.write_text(HEADER + "a1@univ-a.fr,Ana,Moreau,a1@univ-a.fr,student,student,2026,\n"
                    "n5@univ-a.fr,Noa,Neuf,n5@univ-a.fr,student,student,2026,\n")
    _client, caller = make_api_client("sync-a", ["people:sync"], [est_a])
    response = caller.post("/api/people/a1@univ-a.fr/sync", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] and body["person"]["last_name"] == "Moreau"
    assert body["sources"]["sis"]["updated"] == 1
    assert caller.post("/api/people/n5@univ-a.fr/sync", {}).status_code == 404  # not theirs
    _client, everywhere = make_api_client("sync-all", ["people:sync"], all_establishments=True)
    assert everywhere.post("/api/people/n5@univ-a.fr/sync", {}).json()["person"][
        "last_name"] == "Neuf"
    _client, outside = make_api_client("sync-b", ["people:sync"], [est_b])
    assert outside.post("/api/people/a1@univ-a.fr/sync", {}).status_code == 404
    _client, reader = make_api_client("read-a", ["people:read"], [est_a])
    assert reader.post("/api/people/a1@univ-a.fr/sync", {}).status_code == 403
    path.unlink()
    broken = caller.post("/api/people/a1@univ-a.fr/sync", {})
    assert broken.status_code == 503 and "CSV" in broken.json()["detail"]
    assert Caller(None).post("/api/people/a1@univ-a.fr/sync", {}).status_code == 401



def test_the_worker_jobs_sync_the_sources(csv_setup, settings):
    from campuscard.people.tasks import sync_sources, sync_sources_full

    csv_setup(["a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"])
    assert sync_sources.call()["sis"]["created"] == 1
    assert sync_sources_full.call()["sis"]["unchanged"] == 1
    settings.CAMPUSCARD_SOURCES_FILE = ""
    assert sync_sources.call() == {}


def test_leaving_one_source_keeps_rights_while_another_lists_them(
        settings, tmp_path, est_a, students):
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    row = "a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"
    first.write_text(HEADER + row)
    second.write_text(HEADER + row)
    toml = tmp_path / "sources.toml"
    toml.write_text(f"""
[sync]
grace_days = 0
guard_minimum = 0
[[source]]
name = "a"
kind = "csv"
establishment = "univ-a"
path = "{first}"
[[source]]
name = "b"
kind = "csv"
establishment = "univ-a"
path = "{second}"
""")
    settings.CAMPUSCARD_SOURCES_FILE = str(toml)
    run()
    first.write_text(HEADER)
    run()  # marked missing from a
    assert run(force=True).reports["a"].rights_ended == 0  # b still lists her
    assert not Person.objects.get(eppn="a1@univ-a.fr").rights_ended()
    second.write_text(HEADER)
    run()  # now missing from b too
    assert run(force=True).reports["a"].rights_ended == 1
    assert Person.objects.get(eppn="a1@univ-a.fr").rights_ended()


def test_a_manager_uploads_the_csv_and_a_bad_file_changes_nothing(
        settings, tmp_path, est_a, est_b, students, manager_a, manager_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = tmp_path / "guests.csv"
    path.write_text(HEADER + "a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n")
    toml = tmp_path / "sources.toml"
    toml.write_text(f"""
[sync]
guard_minimum = 0
[[source]]
name = "guests"
kind = "csv"
establishment = "univ-a"
path = "{path}"
upload = true
""")
    settings.CAMPUSCARD_SOURCES_FILE = str(toml)
    run()
    office = Client(HTTP_ACCEPT_LANGUAGE="en")
    office.force_login(manager_a)
    assert "Upload the people of “guests”" in office.get("/manage/").content.decode()

    def upload(text):
        return office.post("/manage/sources/guests/upload/", {
            "file": SimpleUploadedFile("g.csv", text.encode(), "text/csv")}, follow=True)

    page = upload("nom;prenom\nx;y\n").content.decode()
    assert "The first line must name the columns, among them “eppn”." in page
    # Ana's rights would end now: 1 of 1 person, over the 5 % the guard allows.
    page = upload(HEADER + "a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,,2020-01-01\n"
                  ).content.decode()
    assert "Stopped before writing anything" in page
    assert path.read_text().count("\n") == 2 and Person.objects.count() == 1
    assert not Person.objects.get(eppn="a1@univ-a.fr").rights_ended()

    page = upload(HEADER + "a1@univ-a.fr,Ana,Moreau,a1@univ-a.fr,student,student,2026,\n"
                  "b2@univ-a.fr,Ben,Roy,b2@univ-a.fr,student,student,2026,\n").content.decode()
    assert "created 1, updated 1" in page
    assert Person.objects.get(eppn="a1@univ-a.fr").last_name == "Moreau"
    assert "b2@univ-a.fr" in path.read_text()

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(manager_b)
    assert other.get("/manage/sources/guests/upload/").status_code == 404
