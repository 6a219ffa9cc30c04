"""The pages of CROUS / Izly, over real HTTP to the emulator: the student's "Izly / CROUS" panel
(consent, the account's state read live, "reopen my Izly account"), the card-enabled mail, and
the manager's CROUS section, "push to CROUS again" (single and bulk) and the CROUS errors page."""

import csv
import datetime
import importlib
import io
import re
import time

import httpx
import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.integrations.crous import services
from campuscard.integrations.crous.models import CrousEstablishment, CrousFailure
from campuscard.notifications.target import MailTarget
from campuscard.people import services as people_services

from ..conftest import actor, card_in_state
from .conftest import crous_rows, drained, holders

PUSH_AGAIN = services.PUSH_AGAIN
Operation = CrousFailure.Operation


@pytest.fixture
def login(db):
    """A browser of the site (the `client` fixture of this folder is the CROUS client)."""
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")

    def as_user(user):
        browser.force_login(user)
        return browser

    return as_user


def enabled(person, manager):
    card = card_in_state(person, State.ENABLED, manager)
    drained()
    return card


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def element_text(response, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', response.content.decode(), re.S)
    assert match, f"no #{element_id} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def portal_page(client, card):
    return client.get(reverse("portal:card", args=[card.pk]))


def close_at_crous(emulator, identifier):
    httpx.post(f"{emulator.url}/_emulator/rightholders/{identifier}/close").raise_for_status()


# --- the student's panel -------------------------------------------------------------------

def test_the_panel_shows_the_account_active_once_the_card_is_enabled(
        consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    page = portal_page(login(consenting.user), card)
    assert page.status_code == 200
    assert "Izly / CROUS" in page.content.decode()
    assert element_text(page, "crous-state") == "active"
    assert b"Reopen my Izly account" not in page.content


def test_the_panel_says_so_in_french(consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    client = login(consenting.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = portal_page(client, card)
    assert page.status_code == 200 and 'lang="fr"' in page.content.decode()
    assert element_text(page, "crous-state") == "actif"


def test_a_crous_that_does_not_answer_costs_the_page_two_seconds_at_most(
        consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    client = login(consenting.user)
    crous_on.emulator.faults.delay = 4.0
    started = time.monotonic()
    page = portal_page(client, card)
    elapsed = time.monotonic() - started
    crous_on.emulator.faults.delay = 0
    assert page.status_code == 200
    assert element_text(page, "crous-state") == "CROUS does not answer right now"
    assert elapsed < 3.0
    assert b"Lost, stolen or broken?" in page.content  # the rest of the page is there


def test_no_panel_where_the_establishment_does_not_send_to_crous(
        crous_on, student_b, manager_b, login):
    people_services.set_consent(student_b, actor(manager_b), "crous", True)
    card = card_in_state(student_b, State.ENABLED, manager_b)
    page = portal_page(login(student_b.user), card)
    assert page.status_code == 200 and b"crous-panel" not in page.content


def test_without_consent_crous_is_not_asked_and_the_consent_is_offered(
        crous_on, student, manager_a, login):
    card = card_in_state(student, State.ENABLED, manager_a)
    before = crous_on.emulator.snapshot()["counts"]
    page = portal_page(login(student.user), card)
    assert b"Send my card to the CROUS (Izly)" in page.content
    assert b'id="crous-state"' not in page.content
    assert crous_on.emulator.snapshot()["counts"] == before


def test_consent_given_from_the_panel_sends_the_card(crous_on, student, manager_a, login):
    card = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    answer = client.post(reverse("portal:crous_consent", args=[card.pk]), {"given": "yes"})
    assert answer.status_code == 302
    student.refresh_from_db()
    assert student.crous_consent
    drained()
    assert student.eppn in holders(crous_on)
    assert element_text(portal_page(client, card), "crous-state") == "active"


def test_withdrawing_says_the_crous_account_is_not_deleted(consenting, manager_a, crous_on,
                                                          login):
    card = enabled(consenting, manager_a)
    client = login(consenting.user)
    answer = client.post(reverse("portal:crous_consent", args=[card.pk]), {"given": "no"},
                         follow=True)
    consenting.refresh_from_db()
    assert not consenting.crous_consent
    assert any("not deleted" in text for text in texts(answer))
    assert "not deleted" in element_text(answer, "crous-kept")
    drained()
    assert consenting.eppn in holders(crous_on)  # CROUS keeps it


def test_a_consent_choice_that_is_not_one_changes_nothing(consenting, manager_a, crous_on,
                                                         login):
    card = enabled(consenting, manager_a)
    records = consenting.consent_records.count()
    answer = login(consenting.user).post(reverse("portal:crous_consent", args=[card.pk]),
                                         {"given": "perhaps"}, follow=True)
    assert texts(answer) == ["This choice could not be understood; nothing was changed."]
    consenting.refresh_from_db()
    assert consenting.crous_consent and consenting.consent_records.count() == records


def test_a_closed_account_is_reopened_through_the_outbox(consenting, manager_a, crous_on,
                                                        login):
    card = enabled(consenting, manager_a)
    close_at_crous(crous_on, consenting.eppn)
    client = login(consenting.user)
    page = portal_page(client, card)
    assert element_text(page, "crous-state") == "closed"
    assert b"Reopen my Izly account" in page.content

    answer = client.post(reverse("portal:crous_reopen", args=[card.pk]), follow=True)
    assert any("is queued" in text for text in texts(answer))
    assert crous_rows(operation=services.REOPEN, status=OutboxItem.Status.PENDING).count() == 1
    assert element_text(answer, "crous-state") == "closed"  # queued, not done
    drained()
    assert element_text(portal_page(client, card), "crous-state") == "active"


def test_reopen_is_post_only_and_own_card_only(consenting, other_student, manager_a, crous_on,
                                              login):
    card = enabled(consenting, manager_a)
    close_at_crous(crous_on, consenting.eppn)
    url = reverse("portal:crous_reopen", args=[card.pk])
    assert login(consenting.user).get(url).status_code == 405
    assert login(other_student.user).post(url).status_code == 404
    consent_url = reverse("portal:crous_consent", args=[card.pk])
    assert login(other_student.user).post(consent_url, {"given": "no"}).status_code == 404
    assert not crous_rows(operation=services.REOPEN).exists()
    consenting.refresh_from_db()
    assert consenting.crous_consent


# --- the card-enabled mail -----------------------------------------------------------------

@pytest.fixture
def mails(db):
    defaults = importlib.import_module(
        "campuscard.notifications.migrations.0002_default_templates")
    izly = importlib.import_module("campuscard.notifications.migrations.0003_card_enabled_izly")
    defaults.create_defaults(apps, None)
    izly.add_izly(apps, None)
    outbox.register(MailTarget())
    yield
    outbox.unregister(MailTarget.name)


def enabled_mail(mailoutbox):
    return next(m for m in mailoutbox if m.extra_headers["X-CampusCard-Event"] == "card.enabled")


def test_the_enabled_mail_says_the_izly_mail_comes_from_crous(consenting, manager_a, crous_on,
                                                             mails, mailoutbox):
    enabled(consenting, manager_a)
    assert "will come from the CROUS" in enabled_mail(mailoutbox).body


def test_the_enabled_mail_in_french(consenting, manager_a, crous_on, mails, mailoutbox):
    type(consenting).objects.filter(pk=consenting.pk).update(language="fr")
    enabled(consenting, manager_a)
    assert "vous sera envoyé par le CROUS" in enabled_mail(mailoutbox).body


def test_no_izly_sentence_without_consent_or_crous(student, student_b, manager_a, manager_b,
                                                   crous_on, mails, mailoutbox):
    card_in_state(student, State.ENABLED, manager_a)  # no consent
    people_services.set_consent(student_b, actor(manager_b), "crous", True)
    card_in_state(student_b, State.ENABLED, manager_b)  # B does not send to CROUS
    drained()
    bodies = [m.body for m in mailoutbox if m.extra_headers["X-CampusCard-Event"]
              == "card.enabled"]
    assert len(bodies) == 2 and not any("CROUS" in body for body in bodies)


# --- the manager's card page ---------------------------------------------------------------

def office_page(client, card):
    return client.get(reverse("backoffice:card", args=[card.pk]))


def push_url(card):
    return reverse("backoffice:card_crous_push", args=[card.pk])


def compare_row(response, label):
    """(last sent, CROUS now) of the row `label` of the CROUS section."""
    html = response.content.decode()
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td[^>]*>(.*?)</td>"
                      rf"<td[^>]*>(.*?)</td>", html, re.S)
    assert match, label
    return tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in match.groups())


def test_the_card_page_shows_crous_beside_what_we_sent(consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    page = office_page(login(manager_a), card)
    assert page.status_code == 200
    assert element_text(page, "crous-live") == "active"
    assert compare_row(page, "Identifier") == (consenting.eppn, consenting.eppn)
    assert compare_row(page, "Email") == ("alice@example.org", "alice@example.org")
    assert compare_row(page, "CSN (uid)") == (card.csn, card.csn)
    assert compare_row(page, "Account status")[1] == "active"
    assert b"Push to CROUS again" in page.content


def test_an_opposed_card_shows_its_reason_with_its_meaning(consenting, manager_a, crous_on,
                                                           login):
    from campuscard.cards import services as card_services

    card = enabled(consenting, manager_a)
    card_services.disable(card, actor(consenting.user), "LOST")
    drained()
    page = office_page(login(manager_a), card)
    assert element_text(page, "crous-opposition").startswith("DP — lost, on ")


def test_a_change_made_at_crous_shows_as_a_difference(consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    body = holders(crous_on)[consenting.eppn]
    token = httpx.post(crous_on.token_url, params={"grant_type": "client_credentials"},
                       auth=("campuscard", "emulator-secret-for-tests")).json()["access_token"]
    httpx.put(f"{crous_on.url}/beforeizly/v1/rightholders/{consenting.eppn}",
              json=body | {"email": "changed@example.org"},
              headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    page = office_page(login(manager_a), card)
    assert compare_row(page, "Email") == ("alice@example.org", "changed@example.org (differs)")


def test_push_again_from_the_card_page(consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    answer = login(manager_a).post(push_url(card), follow=True)
    assert texts(answer) == ["The card will be pushed to CROUS again."]
    assert crous_rows(operation=PUSH_AGAIN).count() == 1
    drained()
    assert holders(crous_on)[consenting.eppn]["putCount"] == 1


def test_a_consultant_sees_the_section_but_cannot_push(consenting, manager_a, consultant_a,
                                                       crous_on, login):
    card = enabled(consenting, manager_a)
    client = login(consultant_a)
    page = office_page(client, card)
    assert element_text(page, "crous-live") == "active"
    assert b"Push to CROUS again" not in page.content
    assert client.post(push_url(card)).status_code == 403
    assert not crous_rows(operation=PUSH_AGAIN).exists()


def test_a_manager_of_another_establishment_gets_404_and_nothing_changes(
        consenting, manager_a, manager_b, crous_on, login):
    card = enabled(consenting, manager_a)
    client = login(manager_b)
    assert office_page(client, card).status_code == 404
    assert client.post(push_url(card)).status_code == 404
    assert not crous_rows(operation=PUSH_AGAIN).exists()
    assert not AuditEntry.objects.filter(action="push.crous.requested").exists()


def test_no_crous_section_where_the_establishment_does_not_send(student_b, manager_b, crous_on,
                                                                 login):
    card = card_in_state(student_b, State.ENABLED, manager_b)
    page = office_page(login(manager_b), card)
    assert page.status_code == 200 and b"crous-panel" not in page.content
    answer = login(manager_b).post(push_url(card), follow=True)
    assert texts(answer) == ["École B does not send its cards to CROUS."]
    assert not crous_rows(operation=PUSH_AGAIN).exists()


def test_push_again_in_bulk(consenting, other_student, manager_a, crous_on, login):
    people_services.set_consent(other_student, actor(manager_a), "crous", True)
    cards = [enabled(consenting, manager_a), enabled(other_student, manager_a)]
    client = login(manager_a)
    choose = client.post(reverse("backoffice:bulk_choose"), {"card": [c.pk for c in cards]})
    assert b"Push to CROUS again (2 cards)" in choose.content
    answer = client.post(reverse("backoffice:bulk_apply"), {
        "card": [f"{c.pk}:{c.state}" for c in cards], "action": "crous_push"}, follow=True)
    assert texts(answer) == ["2 cards will be pushed to CROUS again."]
    assert crous_rows(operation=PUSH_AGAIN).count() == 2
    drained()
    assert {holders(crous_on)[p.eppn]["putCount"] for p in (consenting, other_student)} == {1}


def test_bulk_push_is_not_offered_when_one_card_may_not_be_pushed(
        consenting, other_student, manager_a, crous_on, login):
    cards = [enabled(consenting, manager_a), enabled(other_student, manager_a)]  # bob: no consent
    client = login(manager_a)
    choose = client.post(reverse("backoffice:bulk_choose"), {"card": [c.pk for c in cards]})
    assert b"Push to CROUS again" not in choose.content
    answer = client.post(reverse("backoffice:bulk_apply"), {
        "card": [f"{c.pk}:{c.state}" for c in cards], "action": "crous_push"}, follow=True)
    assert "1 card will be pushed to CROUS again." in texts(answer)
    assert any("does not consent" in text for text in texts(answer))
    assert crous_rows(operation=PUSH_AGAIN).count() == 1


# --- the CROUS errors page -----------------------------------------------------------------

ERRORS = reverse("backoffice:crous_errors")
ERRORS_CSV = reverse("backoffice:crous_errors_csv")


def refused_update(person, manager, emulator):
    """A real refusal: the account is closed at CROUS, then the card pushed again (422)."""
    card = enabled(person, manager)
    close_at_crous(emulator, person.eppn)
    services.push_again([card], actor(manager))
    while outbox.drain():
        pass
    return card


def failure_of(person, operation=Operation.UPDATE, *, days_ago=0, resolved=False):
    """A CROUS error written directly (test data, for the filters and the pages)."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return CrousFailure.objects.create(
        person=person, operation=operation, http_status=422, code="-8",
        message="Date de fin de droits dépassée", first_at=when, last_at=when,
        resolved_at=when if resolved else None)


def test_an_error_of_crous_is_listed_with_its_message(consenting, manager_a, crous_on, login):
    card = refused_update(consenting, manager_a, crous_on)
    page = login(manager_a).get(ERRORS)
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 error found." in html
    assert consenting.eppn in html and f">{card.number}<" in html
    assert "update the right-holder" in html
    assert "HTTP 422" in html and "clotur" in html
    assert "the push failed" in html


def test_the_errors_page_is_linked_for_managers(manager_a, consultant_a, login, crous_on):
    assert ERRORS.encode() in login(manager_a).get(reverse("backoffice:cards")).content
    client = login(consultant_a)
    assert ERRORS.encode() not in client.get(reverse("backoffice:cards")).content
    assert client.get(ERRORS).status_code == 403
    assert client.get(ERRORS_CSV).status_code == 403


def test_errors_are_scoped_to_the_managers_establishments(student, student_b, manager_a,
                                                          manager_b, login, crous_on):
    failure_of(student)
    failure_of(student_b)
    page = login(manager_b).get(ERRORS).content.decode()
    assert student_b.eppn in page and student.eppn not in page
    lines = list(csv.reader(io.StringIO(b"".join(
        login(manager_b).get(ERRORS_CSV).streaming_content).decode())))
    assert [line[2] for line in lines[1:]] == [student_b.eppn]
    other = login(manager_b).get(ERRORS, {"establishment": student.establishment_id})
    assert student.eppn not in other.content.decode()


def test_errors_are_filtered(student, other_student, manager_a, login, crous_on):
    failure_of(student, Operation.SMARTCARD_OPPOSE)
    failure_of(other_student, Operation.UPDATE, days_ago=10, resolved=True)
    client = login(manager_a)

    def eppns(**params):
        html = client.get(ERRORS, params).content.decode()
        return {p.eppn for p in (student, other_student) if p.eppn in html}

    assert eppns() == {student.eppn, other_student.eppn}
    assert eppns(operation=Operation.SMARTCARD_OPPOSE) == {student.eppn}
    assert eppns(resolved="yes") == {other_student.eppn}
    assert eppns(resolved="no") == {student.eppn}
    since = timezone.localdate() - datetime.timedelta(days=2)
    assert eppns(since=since.isoformat()) == {student.eppn}
    assert eppns(until=since.isoformat()) == {other_student.eppn}
    assert eppns(eppn=other_student.eppn.upper()) == {other_student.eppn}


def test_a_filter_that_is_not_one_says_why(student, manager_a, login, crous_on):
    failure_of(student)
    page = login(manager_a).get(ERRORS, {"since": "2025-05-10", "until": "2025-05-01",
                                         "operation": "drop.tables"})
    html = page.content.decode()
    assert page.status_code == 200 and "The filter could not be applied" in html
    assert "The start date must not be after the end date." in html
    assert student.eppn not in html


def test_errors_are_paginated(manager_a, est_a, students, login, crous_on):
    from ..backoffice.conftest import many_people

    for person in many_people(51, est_a, students):
        failure_of(person)
    client = login(manager_a)
    first = client.get(ERRORS).content.decode()
    assert "51 errors found." in first and "Page 1 of 2" in first
    second = client.get(ERRORS, {"page": 2}).content.decode()
    assert second.count('data-label="Who"') == 1


def test_errors_export_as_csv(consenting, manager_a, crous_on, login):
    card = refused_update(consenting, manager_a, crous_on)
    answer = login(manager_a).get(ERRORS_CSV, {"operation": Operation.UPDATE})
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment;" in answer["Content-Disposition"]
    header, line = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    row = dict(zip(header, line, strict=True))
    assert (row["eppn"], row["card_id"], row["operation"], row["http_status"]) == (
        consenting.eppn, str(card.pk), Operation.UPDATE, "422")
    assert row["operation_label"] == "update the right-holder"
    assert "clotur" in row["crous_message"] and row["push_failed"] == "yes"


def test_nothing_is_sent_nor_read_for_an_establishment_that_stopped_sending(
        consenting, manager_a, crous_on, login):
    card = enabled(consenting, manager_a)
    CrousEstablishment.objects.filter(establishment=card.establishment).update(enabled=False)
    before = crous_on.emulator.snapshot()["counts"]
    assert b"crous-panel" not in office_page(login(manager_a), card).content
    assert b"crous-panel" not in portal_page(login(consenting.user), card).content
    assert crous_on.emulator.snapshot()["counts"] == before
