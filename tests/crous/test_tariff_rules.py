"""The CROUS tariff rules over real HTTP against the emulator: fetched per CROUS number and UAI,
replaced atomically, a failed or broken answer keeping the old ones, and matched when the
right-holder is built."""

import datetime
import io

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.integrations.crous import tariff_rules
from campuscard.integrations.crous.models import CrousTariffGrid, CrousTariffRule
from campuscard.integrations.crous.tariff_rules import RefreshRefused, refresh_tariff_rules
from campuscard.integrations.crous.tasks import refresh_tariff_rules as refresh_task
from campuscard.people import services as people_services
from campuscard.people.models import SourceLink

from ..conftest import actor, card_in_state
from .conftest import drained, holders
from .test_target import INE, seed_holder

UAI = "0761904G"
GRID = [
    {"statusCode": "etd", "indexMin": None, "indexMax": None, "idCompanyRate": 10, "idRate": 1},
    {"statusCode": "prs", "indexMin": 0, "indexMax": 349, "idCompanyRate": 20, "idRate": 2},
    {"statusCode": "prs", "indexMin": 350, "indexMax": None, "idCompanyRate": 20, "idRate": 3},
]


def put_rules(emulator, rules, crous="12", uai=UAI):
    response = httpx.put(f"{emulator.url}/_emulator/rules/{crous}/{uai}", json=rules)
    response.raise_for_status()


def stored(grid=None):
    rows = CrousTariffRule.objects.order_by("grid__crous_number", "position")
    if grid is not None:
        rows = rows.filter(grid=grid)
    return [(r.status_code, r.index_min, r.index_max, r.id_company_rate, r.id_rate)
            for r in rows]


def said(person, **values):
    """What a person source says of `person` (its `extra` names)."""
    SourceLink.objects.create(source="directory", person=person, values=values,
                              seen_at=timezone.now())


@pytest.fixture
def fetched(crous_on, est_a):
    """Establishment A's grid fetched from the emulator."""
    put_rules(crous_on, GRID)
    [report] = refresh_tariff_rules(est_a)
    assert report.replaced
    return report.grid


def test_the_rules_are_fetched_for_the_crous_number_and_uai_and_kept_in_order(fetched):
    assert (fetched.crous_number, fetched.uai, fetched.priority) == ("12", UAI, 0)
    assert fetched.fetched_at is not None and fetched.last_error == ""
    assert stored() == [("etd", None, None, 10, 1), ("prs", 0, 349, 20, 2),
                        ("prs", 350, None, 20, 3)]


def test_a_new_answer_replaces_the_rules(fetched, crous_on, est_a):
    put_rules(crous_on, [{"statusCode": None, "idCompanyRate": 30, "idRate": 4}])
    [report] = refresh_tariff_rules(est_a)
    assert (report.replaced, report.rules) == (True, 1)
    assert stored() == [("", None, None, 30, 4)]


@pytest.mark.parametrize(("answer", "error"), [
    ([], "no rules"),
    ([{"statusCode": "etd", "idCompanyRate": 10}], "idRate is missing"),
    ([{"statusCode": "prs", "indexMin": 400, "indexMax": 300, "idCompanyRate": 20,
       "idRate": 2}], "index range 400 to 300 is empty"),
    ([{"statusCode": "not a status", "idCompanyRate": 20, "idRate": 2}], "not a status code"),
    ([{"statusCode": "etd", "idCompanyRate": -1, "idRate": 2}], "negative"),
    (["etd"], "not an object"),
])
def test_an_empty_or_broken_answer_keeps_the_rules_and_says_why(fetched, crous_on, est_a,
                                                                 answer, error):
    before = stored()
    fetched_at = CrousTariffGrid.objects.get().fetched_at
    put_rules(crous_on, answer)
    [report] = refresh_tariff_rules(est_a)
    assert not report.replaced and error in report.error and report.rules == 3
    assert stored() == before
    grid = CrousTariffGrid.objects.get()
    assert grid.fetched_at == fetched_at and error in grid.last_error
    assert grid.attempted_at > fetched_at


def test_a_failing_crous_keeps_the_rules(fetched, crous_on, est_a):
    crous_on.emulator.faults.failure_rate = 1.0
    [report] = refresh_tariff_rules(est_a)
    assert not report.replaced and "500" in report.error
    assert len(stored()) == 3


def test_a_good_answer_after_a_broken_one_clears_the_error(fetched, crous_on, est_a):
    put_rules(crous_on, [])
    refresh_tariff_rules(est_a)
    put_rules(crous_on, GRID[:1])
    refresh_tariff_rules(est_a)
    assert CrousTariffGrid.objects.get().last_error == ""
    assert stored() == [("etd", None, None, 10, 1)]


def test_an_answer_that_is_not_json_keeps_the_rules(fetched, scripted, settings, est_a):
    settings.CAMPUSCARD_CROUS_URL = scripted.url
    settings.CAMPUSCARD_CROUS_TOKEN_URL = f"{scripted.url}/api/oauth/token"
    scripted.answer((200, b"<html>maintenance</html>"))
    [report] = refresh_tariff_rules(est_a)
    assert "not JSON" in report.error and len(stored()) == 3


def test_nothing_is_fetched_without_the_api_or_a_crous_number(crous_on, settings, est_a,
                                                              crous_settings_a):
    crous_settings_a.crous_number = ""
    crous_settings_a.save()
    with pytest.raises(RefreshRefused, match="no CROUS number"):
        refresh_tariff_rules(est_a)
    settings.CAMPUSCARD_CROUS_URL = ""
    with pytest.raises(RefreshRefused, match="not configured"):
        refresh_tariff_rules(est_a)


def test_another_grid_of_higher_priority_wins(fetched, crous_on, est_a, student):
    put_rules(crous_on, [{"statusCode": "prs", "idCompanyRate": 21, "idRate": 9}], crous="13")
    CrousTariffGrid.objects.create(establishment=est_a, crous_number="13", uai=UAI, priority=5)
    reports = refresh_tariff_rules(est_a)
    assert [r.replaced for r in reports] == [True, True]
    said(student, referenceStatut="PRS", indice="200")
    assert tariff_rules.tariff_for(student).pair == (21, 9)
    CrousTariffGrid.objects.filter(crous_number="13").update(priority=-1)
    assert tariff_rules.tariff_for(student).pair == (20, 2)


# --- the person's profile and the right-holder -------------------------------------------------

def test_the_status_and_index_come_from_the_sources(fetched, student):
    said(student, referenceStatut="prs", indice="412")
    profile = tariff_rules.profile_of(student)
    assert (profile.status, profile.index, profile.uai) == ("prs", 412, UAI)
    assert tariff_rules.tariff_for(student).pair == (20, 3)


def test_without_a_status_the_person_is_psg_with_the_defaults(fetched, student):
    profile = tariff_rules.profile_of(student)
    assert (profile.status, profile.index) == ("psg", 0)
    assert tariff_rules.tariff_for(student).defaults


def test_a_later_source_overrides_an_earlier_one(fetched, student, monkeypatch):
    monkeypatch.setattr(tariff_rules, "_source_order", lambda: ["first", "second"])
    SourceLink.objects.create(source="second", person=student, seen_at=timezone.now(),
                              values={"referenceStatut": "etd", "indice": ""})
    SourceLink.objects.create(source="first", person=student, seen_at=timezone.now(),
                              values={"referenceStatut": "prs", "indice": "10"})
    assert tariff_rules.said_by_sources(student, ("referenceStatut", "indice")) == {
        "referenceStatut": ("etd", "second"), "indice": ("10", "first")}


def test_the_right_holder_gets_the_matching_rule_s_tariff(fetched, consenting, manager_a,
                                                          crous_on):
    said(consenting, referenceStatut="prs", indice="120")
    card_in_state(consenting, State.ENABLED, manager_a)
    drained()
    holder = holders(crous_on)[consenting.eppn]
    assert (holder["idCompanyRate"], holder["idRate"]) == (20, 2)


def test_a_student_s_tariff_owned_by_crous_is_still_copied_back(fetched, consenting, manager_a,
                                                                crous_on):
    said(consenting, referenceStatut="etd")
    people_services.update_person(consenting, actor(manager_a), ine=INE)
    seed_holder(crous_on, INE, ine=INE, rne_org_code=UAI, email="alice@example.org",
                first_name="Alice", last_name="Martin", id_company_rate=10, id_rate=42,
                days=700)
    card_in_state(consenting, State.ENABLED, manager_a)
    drained()
    people_services.update_person(consenting, actor(manager_a),
                                  rights_end=timezone.localdate() + datetime.timedelta(days=900))
    drained()
    holder = holders(crous_on)[INE]
    assert holder["putCount"] == 1
    assert (holder["idCompanyRate"], holder["idRate"]) == (10, 42)  # not the rule's 10/1


# --- the job and the command ---------------------------------------------------------------------

def test_the_daily_job_is_declared_and_refreshes(crous_on, est_a):
    jobs = dict(django_settings.CAMPUSCARD_PERIODIC_TASKS)
    assert jobs["campuscard.integrations.crous.tasks.refresh_tariff_rules"] == \
        datetime.timedelta(days=1)
    put_rules(crous_on, GRID)
    assert refresh_task.call() == {"univ-a": {f"CROUS 12 / {UAI}": 3}}
    assert len(stored()) == 3


def test_the_job_does_nothing_without_the_api(settings, est_a):
    settings.CAMPUSCARD_CROUS_URL = ""
    assert "skipped" in refresh_task.call()


def test_the_command_refreshes_and_fails_loudly_on_a_broken_answer(crous_on, est_a):
    put_rules(crous_on, GRID)
    out = io.StringIO()
    call_command("crous-tariffs", "univ-a", stdout=out)
    assert "3 rules stored" in out.getvalue()
    put_rules(crous_on, [])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("crous-tariffs", stderr=err)
    assert "kept the 3 rules fetched before" in err.getvalue()
    with pytest.raises(CommandError, match="nowhere"):
        call_command("crous-tariffs", "nowhere")
