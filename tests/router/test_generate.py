"""GET /esc-rest/api/v2/cards/generate-escn: ESCNs made by the router, at most 100 a call."""

import pytest

from campuscard.esc.escn import validate_escn

from .conftest import assert_error


def generate(router, **params):
    return router.get("/cards/generate-escn", params)


def test_numbers_are_valid_for_the_pic_and_the_prefix(router_a, est_a):
    response = generate(router_a, prefix="066", pic=est_a.pic, numberOfESCN=3)
    assert response.status_code == 200
    numbers = response.json()
    assert len(set(numbers)) == 3
    assert all(validate_escn(n, pic=est_a.pic) == n for n in numbers)
    assert all(n.endswith(f"-066{est_a.pic}") for n in numbers)


def test_one_number_by_default(router_a, est_a):
    assert len(generate(router_a, prefix=1, pic=est_a.pic).json()) == 1


def test_at_most_100_numbers_a_call(router_a, est_a):
    assert len(generate(router_a, prefix=1, pic=est_a.pic, numberOfESCN=100).json()) == 100
    message = assert_error(generate(router_a, prefix=1, pic=est_a.pic, numberOfESCN=101), 400,
                           "ER-0400")
    assert "100" in message


@pytest.mark.parametrize("params", [
    {"numberOfESCN": 0}, {"numberOfESCN": "many"}, {"prefix": 1000}, {"prefix": -1},
    {"prefix": "abc"}, {"prefix": ""}, {"pic": ""},
])
def test_bad_parameters_are_a_bad_request(router_a, est_a, params):
    assert_error(generate(router_a, **({"prefix": 1, "pic": est_a.pic} | params)), 400)


def test_numbers_are_made_for_the_keys_own_pic_only(router_a, est_b):
    assert_error(generate(router_a, prefix=1, pic=est_b.pic), 403, "SE-0000")


def test_generating_needs_a_key(anonymous, est_a):
    assert_error(generate(anonymous, prefix=1, pic=est_a.pic), 401)
