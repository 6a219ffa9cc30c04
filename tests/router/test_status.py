"""The public card status (no key), `services.public_status`, and its rate limit."""

import pytest

from campuscard.router import ratelimit
from campuscard.router.models import Organisation
from campuscard.router.services import public_status

from .conftest import assert_error, card_body, days, new_escn, person_body

pytestmark = pytest.mark.usefixtures("start_of_a_minute")


def status_of(client, escn, **extra):
    return client.http.get(f"/esc-rest/api/v2/cards/{escn}/status", **extra)


def test_the_status_is_public_and_says_only_what_a_verifier_needs(anonymous, est_a, card_a):
    response = status_of(anonymous, card_a)
    assert response.status_code == 200
    # By default the holder's name is left out: a lost card does not tell whose it is.
    assert response.json() == {
        "cardNumber": card_a,
        "issuedAt": days(0).isoformat(), "expiresAt": days(365).isoformat(),
        "issuerIdentifier": est_a.pic, "issuerName": est_a.name, "status": "ACTIVE"}
    assert "Alice" not in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")  # the session was never touched
    assert not response.cookies


def test_an_issuer_may_choose_to_show_the_name_on_its_cards(anonymous, router_b, est_a, est_b,
                                                           alice, card_a):
    Organisation.objects.filter(pic=est_a.pic).update(show_holder_name=True)
    assert status_of(anonymous, card_a).json()["displayName"] == "Alice Martin"
    assert public_status(card_a)["displayName"] == "Alice Martin"
    # The choice is the issuer's: B's cards keep their holder's name to themselves.
    router_b.post("/persons", person_body(est_b.pic, alice))
    card_b = new_escn(est_b)
    router_b.post("/cards", card_body(est_b.pic, alice, card_b))
    assert "displayName" not in status_of(anonymous, card_b).json()


def test_a_shown_but_empty_name_is_left_out(anonymous, router_a, est_a, alice, card_a):
    Organisation.objects.filter(pic=est_a.pic).update(show_holder_name=True)
    router_a.put(f"/cards/{card_a}", card_body(est_a.pic, alice, card_a, displayName=""))
    assert "displayName" not in status_of(anonymous, card_a).json()


def test_an_inactive_card_shows_inactive(anonymous, router_a, est_a, alice, card_a):
    router_a.put(f"/cards/{card_a}", card_body(est_a.pic, alice, card_a,
                                                cardStatusType="INACTIVE"))
    assert status_of(anonymous, card_a).json()["status"] == "INACTIVE"


def test_an_expired_card_shows_expired(anonymous, router_a, est_a, alice):
    escn = new_escn(est_a)
    router_a.post("/cards", card_body(est_a.pic, alice, escn, issuedAt=days(-30).isoformat(),
                                      expiresAt=days(-1).isoformat()))
    assert status_of(anonymous, escn).json()["status"] == "EXPIRED"
    assert public_status(escn)["status"] == "EXPIRED"


@pytest.mark.parametrize("escn", ["not-an-escn", "3e506370-826a-103d-bf76-066999859608"])
def test_a_malformed_or_unknown_number_is_not_found(anonymous, escn):
    assert_error(status_of(anonymous, escn), 404, "ER-0001")


def test_the_status_answers_get_only(anonymous, card_a):
    response = anonymous.http.post(f"/esc-rest/api/v2/cards/{card_a}/status")
    assert_error(response, 405)
    assert response["Allow"] == "GET"


def test_public_status_reads_one_query_and_normalises(card_a, est_a,
                                                      django_assert_num_queries):
    with django_assert_num_queries(1):
        found = public_status(card_a.upper())
    assert (found["cardNumber"], found["issuerIdentifier"]) == (card_a, est_a.pic)


@pytest.mark.parametrize("escn", [None, "", "nope", "3e506370-826a-103d-bf76-066999859608"])
def test_public_status_is_none_for_what_is_not_a_known_card(db, escn,
                                                            django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert public_status(escn) is None


# --- the rate limit ------------------------------------------------------------------------

def test_an_address_over_the_rate_gets_429(anonymous, card_a, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 3
    assert [status_of(anonymous, card_a).status_code for _ in range(3)] == [200] * 3
    response = status_of(anonymous, card_a)
    assert_error(response, 429, "SE-0429")
    assert 1 <= int(response["Retry-After"]) <= 60
    other_address = status_of(anonymous, card_a, REMOTE_ADDR="192.0.2.99")
    assert other_address.status_code == 200


def test_unknown_numbers_count_too(anonymous, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 2
    codes = [status_of(anonymous, "nope").status_code for _ in range(3)]
    assert codes == [404, 404, 429]


def test_no_limit_when_the_rate_is_zero(anonymous, card_a, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 0
    assert {status_of(anonymous, card_a).status_code for _ in range(70)} == {200}


def test_behind_our_proxy_the_forwarded_address_counts(anonymous, card_a, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 1
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["127.0.0.1"]
    first = status_of(anonymous, card_a, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    second = status_of(anonymous, card_a, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.6")
    again = status_of(anonymous, card_a, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert [first.status_code, second.status_code, again.status_code] == [200, 200, 429]


def test_without_a_proxy_a_forwarded_header_is_ignored(anonymous, card_a, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 1
    settings.CAMPUSCARD_TRUSTED_PROXIES = []
    first = status_of(anonymous, card_a, HTTP_X_FORWARDED_FOR="203.0.113.5")
    second = status_of(anonymous, card_a, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert [first.status_code, second.status_code] == [200, 429]


def test_the_window_is_one_minute(rf, settings, db):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 2
    request = rf.get("/")
    start = 1_800_000_000  # a minute boundary
    assert [ratelimit.allow(request, now=start + s) for s in (0, 30, 59)] == [True, True, False]
    assert ratelimit.allow(request, now=start + 60) is True
    assert ratelimit.retry_after(now=start + 45) == 15
