import pytest
from django.utils import timezone

from campuscard.api.models import ApiClient, ApiScope
from campuscard.cards.models import Card
from campuscard.cards.states import State
from tests.conftest import card_in_state

from .conftest import ALL_SCOPES, Caller

TRANSITION = {"target": "REQUEST_CHECKED"}


@pytest.fixture
def card(student, manager_a):
    return card_in_state(student, State.NEW, manager_a)


def endpoints(card):
    return [
        ("get", f"/api/people/{card.person.eppn}", None),
        ("get", "/api/cards", None),
        ("get", f"/api/cards/{card.pk}", None),
        ("post", f"/api/cards/{card.pk}/transitions", TRANSITION),
    ]


def call(caller, method, url, body):
    return caller.post(url, body) if method == "post" else caller.get(url)


def assert_unauthorised(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "A valid API token is required."}


def test_no_token_is_401_everywhere(card):
    for method, url, body in endpoints(card):
        assert_unauthorised(call(Caller(None), method, url, body))


@pytest.mark.parametrize("token", [
    "cc_deadbeef_" + "x" * 43,
    "not-a-token",
    "",
])
def test_unknown_token_is_401(card, caller_a, token):
    for method, url, body in endpoints(card):
        assert_unauthorised(call(Caller(token), method, url, body))


def test_right_prefix_with_wrong_secret_is_401(card, caller_a):
    forged = caller_a.token[:12] + "y" * 43
    for method, url, body in endpoints(card):
        assert_unauthorised(call(Caller(forged), method, url, body))


def test_token_sent_with_another_scheme_is_401(card, caller_a):
    response = caller_a.http.get(f"/api/cards/{card.pk}",
                                 headers={"Authorization": f"Token {caller_a.token}"})
    assert response.status_code == 401


def test_revoked_token_is_401(card, caller_a):
    assert caller_a.get(f"/api/cards/{card.pk}").status_code == 200
    ApiClient.objects.update(revoked_at=timezone.now())
    for method, url, body in endpoints(card):
        assert_unauthorised(call(caller_a, method, url, body))
    card.refresh_from_db()
    assert card.state == State.NEW


# Which scopes each endpoint accepts: a token with every other scope gets 403.
ACCEPTED = [
    [ApiScope.PEOPLE_READ],
    [ApiScope.CARDS_SEARCH],
    [ApiScope.CARDS_SEARCH, ApiScope.PEOPLE_READ],
    [ApiScope.CARDS_STATION, ApiScope.CARDS_TRANSITION],
]


@pytest.mark.parametrize("index", range(4))
def test_missing_scope_is_403(card, make_api_client, est_a, index):
    method, url, body = endpoints(card)[index]
    others = [scope for scope in ALL_SCOPES if scope not in ACCEPTED[index]]
    _, caller = make_api_client("partial", others, [est_a])
    response = call(caller, method, url, body)
    assert response.status_code == 403
    assert "scope" in response.json()["detail"]
    for scope in ACCEPTED[index]:
        assert scope in response.json()["detail"]
    assert Card.objects.get(pk=card.pk).state == State.NEW


@pytest.mark.parametrize("index", range(4))
def test_each_accepted_scope_alone_is_enough(card, make_api_client, est_a, index):
    method, url, body = endpoints(card)[index]
    for scope in ACCEPTED[index]:
        _, caller = make_api_client(f"only-{scope}", [scope], [est_a])
        response = call(caller, method, url, body)
        # a station may not accept a request: its scope lets it in, the lifecycle says no
        expected = 403 if scope == ApiScope.CARDS_STATION else 200
        assert response.status_code == expected, (scope, response.json())
    if method == "post":
        assert Card.objects.get(pk=card.pk).state == State.REQUEST_CHECKED
