"""The CROUS tariff rules in the back-office: who sees which establishment, who may refresh, and
the rule that applies to a person and why."""

import pytest
from django.test import Client
from django.urls import reverse

from campuscard.core.models import AuditEntry
from campuscard.integrations.crous.models import CrousEstablishment, CrousTariffRule

from ..conftest import make_staff
from .test_tariff_rules import GRID, UAI, put_rules, said

PAGE = reverse("backoffice:crous_tariffs")
PERSON_PAGE = reverse("backoffice:crous_tariff_person")
REFRESH_A = reverse("backoffice:crous_tariffs_refresh", args=["univ-a"])


@pytest.fixture
def login():
    """A browser logged in as `user` (`client` is the CROUS client in this folder)."""
    def as_user(user):
        browser = Client(HTTP_ACCEPT_LANGUAGE="en")
        browser.force_login(user)
        return browser
    return as_user


@pytest.fixture
def crous_b(est_b):
    return CrousEstablishment.objects.create(establishment=est_b, crous_number="14")


def test_the_page_lists_the_rules_with_their_labels(login, manager_a, crous_on, est_a):
    client = login(manager_a)
    put_rules(crous_on, GRID)
    assert client.post(REFRESH_A).status_code == 302
    page = client.get(PAGE).content.decode()
    for label in ("Status", "Index from", "Index to", "Company rate (idCompanyRate)",
                  "Rate (idRate)", "Fetched on", f"CROUS 12, UAI {UAI} (priority 0)"):
        assert label in page
    assert "<code>prs</code>" in page and "Fetch the rules from CROUS now" in page


def test_a_manager_refreshes_and_the_page_says_how_it_went(login, manager_a, crous_on, est_a):
    client = login(manager_a)
    put_rules(crous_on, GRID)
    response = client.post(REFRESH_A, follow=True)
    assert "3 rules fetched and stored" in response.content.decode()
    assert CrousTariffRule.objects.count() == 3
    assert AuditEntry.objects.filter(action="crous.tariffs.refreshed").exists()
    put_rules(crous_on, [])
    page = client.post(REFRESH_A, follow=True).content.decode()
    assert "the 3 rules fetched before are kept" in page
    assert "The last refresh failed and the rules fetched before are kept" in page
    assert CrousTariffRule.objects.count() == 3


def test_a_manager_sees_and_refreshes_only_their_establishments(login, manager_a, crous_on,
                                                               crous_b):
    client = login(manager_a)
    page = client.get(PAGE).content.decode()
    assert "Université A" in page and "École B" not in page
    refresh_b = reverse("backoffice:crous_tariffs_refresh", args=["ecole-b"])
    assert client.post(refresh_b).status_code == 404


def test_an_admin_sees_and_refreshes_every_establishment(login, admin_user, crous_on, crous_b):
    client = login(admin_user)
    page = client.get(PAGE).content.decode()
    assert "Université A" in page and "École B" in page
    put_rules(crous_on, GRID, crous="14", uai="0141408E")
    refresh_b = reverse("backoffice:crous_tariffs_refresh", args=["ecole-b"])
    assert "3 rules fetched and stored" in client.post(refresh_b, follow=True).content.decode()


def test_a_consultant_reads_but_may_not_refresh(login, consultant_a, crous_on, est_a):
    client = login(consultant_a)
    page = client.get(PAGE).content.decode()
    assert "Université A" in page and "Fetch the rules from CROUS now" not in page
    assert client.post(REFRESH_A).status_code == 403


def test_a_manager_of_another_establishment_only_may_not_refresh(login, crous_on, est_a, est_b):
    user = make_staff("reader", "consultant", [est_a])
    role_b = make_staff("manager-of-b", "manager", [est_b])
    assert login(user).post(REFRESH_A).status_code == 403
    assert login(role_b).post(REFRESH_A).status_code == 404


def test_people_without_a_staff_role_are_refused(login, student, crous_on):
    client = login(student.user)
    assert client.get(PAGE).status_code == 403
    assert client.post(REFRESH_A).status_code == 403
    assert client.get(PERSON_PAGE, {"eppn": student.eppn}).status_code == 403


def test_refresh_is_post_only(login, manager_a, crous_on):
    assert login(manager_a).get(REFRESH_A).status_code == 405


def test_the_rule_that_applies_to_a_person_and_why(login, manager_a, crous_on, est_a, student):
    client = login(manager_a)
    put_rules(crous_on, GRID)
    client.post(REFRESH_A)
    said(student, referenceStatut="prs", indice="400")
    page = client.get(PERSON_PAGE, {"eppn": student.eppn.upper()}).content.decode()
    assert "Company rate 20, rate 3: rule 3 of CROUS 12 for UAI 0761904G." in page
    assert "“400” from the source directory, key indice" in page
    assert "status etd: <strong>no (prs)</strong>" in page  # rule 1 tried first, and why not
    assert "index at least 350: yes" in page


def test_no_matching_rule_says_defaults(login, manager_a, crous_on, est_a, student):
    client = login(manager_a)
    put_rules(crous_on, GRID)
    client.post(REFRESH_A)
    page = client.get(PERSON_PAGE, {"eppn": student.eppn}).content.decode()
    assert "Defaults: no rule matched. Company rate 78, rate 99." in page
    assert "the default: no source gives referenceStatut" in page


def test_a_person_outside_the_scope_is_not_shown(login, manager_a, crous_on, student_b):
    page = login(manager_a).get(PERSON_PAGE, {"eppn": student_b.eppn}).content.decode()
    assert "No person with this eppn in your scope." in page and "Chloe" not in page


def test_a_student_tariff_owned_by_crous_is_said_so(login, manager_a, crous_on, est_a, student):
    from campuscard.integrations.crous.models import CrousAccount

    client = login(manager_a)
    put_rules(crous_on, GRID)
    client.post(REFRESH_A)
    student.ine = "1234567890A"
    student.save()
    said(student, referenceStatut="etd")
    CrousAccount.objects.create(person=student, identifier=student.ine, seen={
        "identifier": student.ine, "ine": student.ine, "idCompanyRate": 10, "idRate": 42})
    page = client.get(PERSON_PAGE, {"eppn": student.eppn}).content.decode()
    assert "Company rate 10, rate 1: rule 1 of CROUS 12" in page
    assert "CROUS owns this student's tariff: company rate 10, rate 42 is sent back" in page
