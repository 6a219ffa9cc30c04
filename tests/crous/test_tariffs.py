"""Matching the CROUS tariff rules (integrations.md §1.6), as plain functions: no database."""

import pytest

from campuscard.integrations.crous.tariffs import (
    DEFAULTS,
    Profile,
    Rule,
    checks,
    inm_index,
    matching_rule,
    reference_status,
    tariff_of,
    with_crous_rate,
)

UAI = "0761904G"
# A grid as CROUS gives one: students, staff by index range, a catch-all for the UAI.
STUDENTS = Rule(10, 1, status_code="etd", uai=UAI)
STAFF_LOW = Rule(20, 2, status_code="prs", uai=UAI, index_min=0, index_max=349)
STAFF_HIGH = Rule(20, 3, status_code="prs", uai=UAI, index_min=350, index_max=None)
ANYONE_HERE = Rule(30, 4, uai=UAI)
GRID = [STUDENTS, STAFF_LOW, STAFF_HIGH, ANYONE_HERE]


def test_a_student_gets_the_student_rule():
    assert tariff_of(GRID, Profile("etd", 0, UAI)).pair == (10, 1)


def test_the_status_is_compared_ignoring_case():
    assert matching_rule([Rule(10, 1, status_code="ETD", uai=UAI.lower())],
                         Profile("etd", 0, UAI)) is not None


@pytest.mark.parametrize(("index", "rate"), [(0, 2), (349, 2), (350, 3), (900, 3)])
def test_the_index_range_includes_both_ends(index, rate):
    assert tariff_of(GRID, Profile("prs", index, UAI)).id_rate == rate


def test_an_unset_criterion_holds_for_anyone():
    assert tariff_of(GRID, Profile("hbg", 12, UAI)).rule == ANYONE_HERE


def test_another_uai_matches_no_rule_and_gets_the_defaults():
    tariff = tariff_of(GRID, Profile("etd", 0, "0141408E"))
    assert tariff == DEFAULTS and tariff.defaults and tariff.pair == (78, 99)


def test_no_rules_give_the_defaults():
    assert tariff_of([], Profile()).pair == (78, 99)


def test_the_first_matching_rule_wins_within_a_priority():
    first, second = Rule(1, 1, uai=UAI), Rule(2, 2, uai=UAI)
    assert matching_rule([first, second], Profile("psg", 0, UAI)) is first
    assert matching_rule([second, first], Profile("psg", 0, UAI)) is second


def test_higher_priority_is_tried_first_whatever_the_order_given():
    low = Rule(1, 1, uai=UAI, priority=0)
    high = Rule(2, 2, uai=UAI, priority=5)
    assert matching_rule([low, high], Profile("psg", 0, UAI)) is high


def test_a_higher_priority_rule_that_does_not_fit_leaves_the_lower_one():
    high = Rule(2, 2, status_code="etd", uai=UAI, priority=5)
    low = Rule(1, 1, uai=UAI, priority=0)
    assert matching_rule([high, low], Profile("psg", 0, UAI)) is low


@pytest.mark.parametrize(("value", "status"), [
    ("etd", "etd"), ("ETD", "etd"), (" prs ", "prs"), ("hb3", "hb3"), ("rtr", "rtr"),
    ("", "psg"), (None, "psg"), ("student", "psg")])
def test_an_unknown_status_is_psg(value, status):
    assert reference_status(value) == status


@pytest.mark.parametrize(("value", "index"), [("412", 412), (" 7 ", 7), ("", 0), (None, 0),
                                              ("n/a", 0)])
def test_an_empty_index_is_zero(value, index):
    assert inm_index(value) == index


def test_checks_say_which_criterion_failed():
    found = checks(STAFF_HIGH, Profile("prs", 200, UAI))
    assert [(c.criterion, c.holds) for c in found] == [
        ("status", True), ("uai", True), ("index_min", False)]


def test_a_student_rate_keeps_the_rate_crous_gave():
    """Computed company rate 10 and CROUS at 10: CROUS's rate (a scholarship) stands."""
    tariff = with_crous_rate(tariff_of(GRID, Profile("etd", 0, UAI)), 10, 42)
    assert tariff.pair == (10, 42) and tariff.crous_rate_kept


def test_a_student_rate_is_the_rule_s_when_crous_has_another_company_rate():
    assert with_crous_rate(tariff_of(GRID, Profile("etd", 0, UAI)), 78, 42).pair == (10, 1)


def test_the_cnrs_company_rate_takes_the_crous_rate():
    cnrs = [Rule(7999, 5, status_code="prs", uai=UAI)]
    assert with_crous_rate(tariff_of(cnrs, Profile("prs", 0, UAI)), 78, 61).pair == (7999, 61)


def test_other_rates_are_not_taken_from_crous():
    assert with_crous_rate(tariff_of(GRID, Profile("hbg", 0, UAI)), 30, 8).pair == (30, 4)
    assert with_crous_rate(DEFAULTS, 10, 42).pair == (78, 99)
