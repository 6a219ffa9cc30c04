"""Probing which ESIs and ESCNs exist is throttled per key: every request naming a person or card
that is not the caller's own (403 or 404) counts; over CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE
the answer is 429 SE-0429 with a Retry-After. The caller's own data keeps working."""

from urllib.parse import quote

import pytest

from campuscard.router import ratelimit
from campuscard.router.keys import find_key

from .conftest import Router, assert_error, card_body, esi, new_escn, person_body

pytestmark = pytest.mark.usefixtures("start_of_a_minute")


def person_path(identifier):
    return f"/persons/{quote(identifier, safe=':@')}"


def picture_path(pic, identifier):
    return f"/organisations/{pic}/person/{quote(identifier, safe=':@')}/picture"


@pytest.fixture
def rate(settings):
    settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE = 3
    return 3


def test_the_default_is_30_a_minute():
    from django.conf import settings

    assert settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE == 30


def test_unknown_persons_over_the_rate_get_429(router_a, rate):
    answers = [router_a.get(person_path(esi(f"9{n:010d}"))) for n in range(rate + 2)]
    assert [r.status_code for r in answers] == [404] * rate + [429, 429]
    message = assert_error(answers[-1], 429, "SE-0429")
    assert "minute" in message
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60


def test_every_kind_of_probe_counts(router_a, router_b, est_a, est_b, alice, card_a, settings):
    settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE = 6
    unknown_card = new_escn(est_a)
    probes = [
        lambda: router_b.get(person_path(alice)),                            # 403
        lambda: router_b.put(person_path(alice), person_body(est_b.pic, alice)),  # 403
        lambda: router_b.get(f"/cards/{card_a}"),                            # 403
        lambda: router_b.get(f"/cards/{unknown_card}/qr"),                   # 404
        lambda: router_b.get(picture_path(est_a.pic, alice)),                # 403 (not B's PIC)
        lambda: router_b.delete(picture_path(est_b.pic, alice)),             # 403 (not B's person)
    ]
    assert [probe().status_code for probe in probes] == [403, 403, 403, 404, 403, 403]
    for probe in probes:
        assert_error(probe(), 429, "SE-0429")


def test_own_data_keeps_working_over_the_rate(router_a, est_a, alice, card_a, rate):
    for n in range(rate + 1):
        router_a.get(person_path(esi(f"9{n:010d}")))
    assert_error(router_a.get(person_path(esi("9999"))), 429)
    assert router_a.get(person_path(alice)).status_code == 200
    assert router_a.get(f"/cards/{card_a}").status_code == 200
    assert router_a.put(f"/cards/{card_a}", card_body(est_a.pic, alice, card_a)).status_code == 200
    assert router_a.get("/persons").status_code == 200
    # A picture our own person does not have is our own business, not a probe.
    for _ in range(rate + 1):
        assert_error(router_a.get(picture_path(est_a.pic, alice)), 404, "ER-0001")


def test_own_data_does_not_count(router_a, alice, card_a, rate):
    for _ in range(rate * 3):
        assert router_a.get(person_path(alice)).status_code == 200
        assert router_a.get(f"/cards/{card_a}").status_code == 200
    assert router_a.get(person_path(esi("9999"))).status_code == 404


def test_the_count_is_per_key(router_a, key_a, est_a, alice, rate):
    from campuscard.router.keys import issue_key

    for n in range(rate + 1):
        router_a.get(person_path(esi(f"9{n:010d}")))
    assert_error(router_a.get(person_path(esi("9999"))), 429)
    other_key = Router(issue_key(est_a.pic, "second key"))
    assert other_key.get(person_path(esi("9999"))).status_code == 404


def test_no_limit_when_the_rate_is_zero(router_a, settings):
    settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE = 0
    assert {router_a.get(person_path(esi(f"9{n}"))).status_code for n in range(40)} == {404}


def test_the_window_is_one_minute(key_a, settings):
    key = find_key(key_a)
    start = 1_800_000_000
    checks = [ratelimit.allow_probe(key, rate=2, now=start + s) for s in (0, 30, 59, 60)]
    assert checks == [True, True, False, True]
