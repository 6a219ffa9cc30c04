"""The LDAP source against a real slapd: SupAnn defaults, digests, incremental reads, the
card lifecycle, broken sources, the rights-end guard, the grace period, refused entries."""

import datetime
import time

import pytest
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, SourceLink, SourceState

from ..conftest import card_in_state
from .helpers import ISSUE_EXAMPLE, in_days, ldap_source, run, schac, supann, write_sources

pytestmark = [pytest.mark.django_db, pytest.mark.ldap]


def test_the_issue_example_works_as_written(settings, tmp_path, directory, students):
    Establishment.objects.create(name="Université de Rouen", code="univ-rouen", pic="999888777",
                                 uai="0761904G")
    directory.add("s1", **supann(1))
    csv_path = tmp_path / "students.csv"
    csv_path.write_text("eppn,first_name,last_name,email,primary_affiliation,ine\n"
                        "s1@univ-a.fr,,,,,1234567890A\n"
                        "t9@univ-rouen.fr,Jeanne,Leroy,jl@univ-rouen.fr,student,\n")
    write_sources(settings, tmp_path, ISSUE_EXAMPLE, url=directory.url, csv_path=csv_path)

    result = run()

    assert result.ok, result.reports
    s1 = Person.objects.get(eppn="s1@univ-a.fr")
    # Mapped in the file (eppn, sn) and kept from the SupAnn defaults (the rest).
    assert (s1.first_name, s1.last_name, s1.email) == ("Camille1", "Durand1", "s1@univ-a.fr")
    assert s1.birth_date == datetime.date(2004, 3, 15)
    assert s1.rights_end == in_days(300)
    assert s1.student_id == "202600001"
    assert s1.establishment.code == "univ-rouen" and s1.population == students
    assert s1.affiliations == "student;member"
    assert s1.ine == "1234567890A"  # the CSV, later in the chain, adds its field
    assert Person.objects.get(eppn="t9@univ-rouen.fr").last_name == "Leroy"
    assert result.reports["directory"].created == 1
    assert result.reports["students-csv"].created == 1


def test_second_sync_writes_nothing_then_incremental_reads_only_the_change(
        settings, tmp_path, directory, est_a, students):
    for n in range(1, 6):
        directory.add(f"s{n}", **supann(n))
    write_sources(settings, tmp_path, ldap_source(directory.url))
    first = run()
    assert first.reports["directory"].created == 5
    assert AuditEntry.objects.filter(action="person.created").count() == 5
    stamps = dict(Person.objects.values_list("eppn", "updated_at"))
    audit_count = AuditEntry.objects.count()

    again = run(full=True)
    report = again.reports["directory"]
    assert (report.read, report.unchanged, report.updated, report.created) == (5, 5, 0, 0)
    assert AuditEntry.objects.count() == audit_count
    assert dict(Person.objects.values_list("eppn", "updated_at")) == stamps

    time.sleep(1.1)  # modifyTimestamp counts whole seconds
    directory.modify("s3", sn="Martin-Durand")
    incremental = run()
    report = incremental.reports["directory"]
    assert not report.full and report.updated == 1
    # The mark is the newest modifyTimestamp seen: entries of that second are read again.
    time.sleep(1.1)
    directory.modify("s4", sn="Petit")
    report = run().reports["directory"]
    assert (report.read, report.updated, report.unchanged) == (2, 1, 1)
    person = Person.objects.get(eppn="s3@univ-a.fr")
    assert person.last_name == "Martin-Durand"
    entry = AuditEntry.objects.get(action="person.updated", person_id=person.pk)
    assert entry.before == {"last_name": "Durand3"}
    assert entry.after == {"last_name": "Martin-Durand"}
    rows = OutboxItem.objects.filter(target="recorder", operation="person.updated")
    assert [row.payload["last_name"] for row in rows.order_by("id")] == ["Martin-Durand",
                                                                        "Petit"]
    assert SourceState.objects.get(source="directory").high_water.endswith("Z")


def test_end_of_rights_from_the_directory_expires_the_cards_and_back_restores_them(
        settings, tmp_path, directory, est_a, students, manager_a):
    directory.add("s1", **supann(1))
    write_sources(settings, tmp_path, ldap_source(directory.url))
    run()
    person = Person.objects.get(eppn="s1@univ-a.fr")
    card = card_in_state(person, State.ENABLED, manager_a)

    directory.modify("s1", schacExpiryDate=schac(in_days(-3)))
    result = run(full=True)
    assert result.reports["directory"].rights_ended == 1
    card.refresh_from_db()
    assert card.state == State.CADUC
    assert OutboxItem.objects.filter(target="recorder", operation="card.expired").exists()

    directory.modify("s1", schacExpiryDate=schac(in_days(200)))
    run(full=True)
    card.refresh_from_db()
    assert card.state == State.DISABLED  # back, blocked, as cards/states.py says


@pytest.mark.parametrize("breakage", ["bind", "unreachable"])
def test_a_broken_source_changes_nothing(settings, tmp_path, directory, est_a, students,
                                         breakage):
    directory.add("s1", **supann(1))
    write_sources(settings, tmp_path, ldap_source(directory.url))
    run()
    directory.modify("s1", sn="Changed")
    url = directory.url if breakage == "bind" else "ldap://127.0.0.1:9"
    config = write_sources(settings, tmp_path, ldap_source(url, extra='timeout = 2'))
    if breakage == "bind":
        (tmp_path / "ldap-password").write_text("wrong")
    before = (Person.objects.count(), AuditEntry.objects.count(), OutboxItem.objects.count())

    result = run(full=True, config=config)

    report = result.reports["directory"]
    assert report.error.startswith("LDAP:")
    assert ("Invalid credentials" in report.error) == (breakage == "bind")
    assert not result.ok
    assert Person.objects.get(eppn="s1@univ-a.fr").last_name == "Durand1"
    assert (Person.objects.count(), AuditEntry.objects.count(),
            OutboxItem.objects.count()) == before
    assert SourceState.objects.get(source="directory").last_error == report.error


def test_a_full_sync_ending_too_many_rights_stops_unless_forced(
        settings, tmp_path, directory, est_a, students):
    for n in range(1, 21):
        directory.add(f"s{n}", **supann(n))
    write_sources(settings, tmp_path, ldap_source(directory.url) + """
[sync]
max_rights_end_share = 0.05
guard_minimum = 1
""")
    run()
    for n in range(1, 4):  # 3 of 20 = 15 %
        directory.modify(f"s{n}", schacExpiryDate=schac(in_days(-1)))
    audit_count = AuditEntry.objects.count()

    stopped = run(full=True)
    assert "would end the rights of 3 of the 20 people" in stopped.stopped
    assert AuditEntry.objects.count() == audit_count
    assert not Person.objects.filter(rights_end__lt=timezone.localdate()).exists()

    forced = run(full=True, force=True)
    assert forced.ok and forced.reports["directory"].rights_ended == 3
    assert Person.objects.filter(rights_end__lt=timezone.localdate()).count() == 3


def test_someone_missing_loses_rights_only_after_the_grace_period(
        settings, tmp_path, directory, est_a, students, manager_a):
    directory.add("s1", **supann(1))
    directory.add("s2", **supann(2))
    write_sources(settings, tmp_path, ldap_source(directory.url) + """
[sync]
grace_days = 10
""")
    run()
    card = card_in_state(Person.objects.get(eppn="s2@univ-a.fr"), State.ENABLED, manager_a)
    directory.delete("s2")

    first = run(full=True)
    assert first.reports["directory"].missing == 1
    link = SourceLink.objects.get(person__eppn="s2@univ-a.fr")
    assert link.missing_since is not None
    assert not Person.objects.get(eppn="s2@univ-a.fr").rights_ended()

    link.missing_since = timezone.now() - datetime.timedelta(days=11)
    link.save()
    later = run(full=True, force=True)  # 1 of 2 is over any share: this test forces it
    assert later.reports["directory"].rights_ended == 1
    assert Person.objects.get(eppn="s2@univ-a.fr").rights_ended()
    card.refresh_from_db()
    assert card.state == State.CADUC
    entry = AuditEntry.objects.filter(action="person.updated").latest("id")
    assert "Missing from source" in entry.reason

    directory.add("s2", **supann(2))  # back in the directory: rights back, card unexpired
    run(full=True)
    assert not Person.objects.get(eppn="s2@univ-a.fr").rights_ended()
    assert SourceLink.objects.get(person__eppn="s2@univ-a.fr").missing_since is None


def test_malformed_entries_are_refused_with_their_reason_and_the_others_go_on(
        settings, tmp_path, directory, est_a, students):
    directory.add("good", **supann(1))
    directory.add("noeppn", **supann(2, eduPersonPrincipalName=None))
    directory.add("badine", **supann(3, supannCodeINE="12345"))
    directory.add("baddate", **supann(4, schacDateOfBirth="31139999"))
    directory.add("dup1", **supann(5))
    directory.add("dup2", **supann(6, eduPersonPrincipalName="s5@univ-a.fr"))
    write_sources(settings, tmp_path, ldap_source(directory.url))

    result = run()

    report = result.reports["directory"]
    assert list(Person.objects.values_list("eppn", flat=True)) == ["s1@univ-a.fr"]
    reasons = dict(report.refused)
    assert reasons["uid=noeppn,ou=people,dc=example,dc=org"] == "No eppn."
    assert reasons["s3@univ-a.fr"] == "“12345” is not an INE."
    assert reasons["s4@univ-a.fr"] == "birth_date “31139999” is not a date."
    assert "more than once" in reasons["s5@univ-a.fr"]
    state = SourceState.objects.get(source="directory")
    assert state.counts["refused"] == 4 and state.counts["created"] == 1
    assert ["s3@univ-a.fr", "“12345” is not an INE."] in state.refused


def test_dry_run_reports_and_writes_nothing(settings, tmp_path, directory, est_a, students):
    directory.add("s1", **supann(1))
    write_sources(settings, tmp_path, ldap_source(directory.url))
    result = run(dry_run=True)
    assert result.reports["directory"].created == 1
    assert not Person.objects.exists() and not SourceLink.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("how", ["start_tls", "ldaps"])
def test_tls_with_a_ca_file(settings, tmp_path, directory, est_a, students, how):
    from .directory.slapd import make_certificates

    directory.add("s1", **supann(1))
    url = directory.url if how == "start_tls" else directory.ldaps_url
    tls = "start_tls = true\n" if how == "start_tls" else ""
    write_sources(settings, tmp_path, ldap_source(
        url, extra=f'{tls}ca_file = "{directory.ca_file}"'))
    result = run()
    assert result.ok, result.reports
    assert Person.objects.filter(eppn="s1@univ-a.fr").exists()

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_ca = make_certificates(other_dir, name="Someone else")[0]
    config = write_sources(settings, tmp_path, ldap_source(
        url, extra=f'{tls}ca_file = "{other_ca}"\ntimeout = 3'))
    refused = run(full=True, config=config)
    assert refused.reports["directory"].error.startswith("LDAP:")


def test_rfc4533_content_synchronisation_reads_only_what_changed(
        settings, tmp_path, directory, est_a, students):
    for n in range(1, 6):
        directory.add(f"s{n}", **supann(n))
    write_sources(settings, tmp_path, ldap_source(directory.url, extra="syncrepl = true"))
    first = run()
    assert first.reports["directory"].created == 5 and first.reports["directory"].full
    cookie = SourceState.objects.get(source="directory").high_water
    assert "csn=" in cookie

    directory.modify("s3", sn="Martin-Durand")  # no waiting for a new second: a CSN, not a date
    report = run().reports["directory"]
    assert not report.full and (report.read, report.updated) == (1, 1)
    assert Person.objects.get(eppn="s3@univ-a.fr").last_name == "Martin-Durand"
    assert SourceState.objects.get(source="directory").high_water != cookie
    assert run().reports["directory"].read == 0  # nothing since
