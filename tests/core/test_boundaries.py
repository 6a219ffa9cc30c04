"""The shared checks of values from outside: bounded numbers and JSON bodies."""

import pytest
from django.core.exceptions import ValidationError

from campuscard.core.jsonbody import MAX_DEPTH, BadJson, load_json
from campuscard.core.params import MAX_DATABASE_ID, bounded_int, database_id, is_database_id


@pytest.mark.parametrize("raw", ["1", " 42 ", 7, "+3"])
def test_whole_numbers_are_read(raw):
    assert bounded_int(raw, name="page", minimum=1, maximum=100) == int(str(raw).strip())


@pytest.mark.parametrize("raw", ["1e3", "0x10", "\uff11\uff12", "", "abc", True, "9" * 21, "1.5"])
def test_anything_else_is_refused_with_its_name(raw):
    with pytest.raises(ValidationError) as refused:
        bounded_int(raw, name="page", minimum=1, maximum=100)
    assert "page" in refused.value.messages[0]


@pytest.mark.parametrize("raw", ["0", "101", str(10**18), "-1"])
def test_out_of_range_is_refused(raw):
    with pytest.raises(ValidationError, match="between 1 and 100"):
        bounded_int(raw, name="page", minimum=1, maximum=100)


def test_ids_stop_at_what_a_big_integer_column_holds():
    assert database_id(str(MAX_DATABASE_ID)) == MAX_DATABASE_ID
    with pytest.raises(ValidationError):
        database_id(str(MAX_DATABASE_ID + 1))
    with pytest.raises(ValidationError):
        database_id("1000000000000000000000000000000")
    assert is_database_id(5) and not is_database_id(10**30) and not is_database_id(0)


def test_default_when_absent():
    assert bounded_int(None, name="size", default=20) == 20
    with pytest.raises(ValidationError, match="required"):
        bounded_int("", name="size")


def test_json_within_limits_is_read():
    assert load_json(b'{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize("body, reason", [
    (b"[" * 100_000, "nested too deeply"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested too deeply"),
    (b'{"name": "a\\u0000b"}', "NUL"),
    (b'{"a\\u0000": 1}', "NUL"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b" " * 2_000_000, "too large"),
])
def test_bad_json_is_refused_with_a_reason(body, reason):
    with pytest.raises(BadJson, match=reason):
        load_json(body)


def test_an_in_lookup_leaves_out_ids_no_column_holds(student, manager_a):
    """The admin lets `?id__in=` through; SQLite raised OverflowError on 10**30."""
    from campuscard.cards.models import Card
    from campuscard.cards.states import State
    from tests.conftest import card_in_state

    card = card_in_state(student, State.NEW, manager_a)
    assert list(Card.objects.filter(pk__in=[card.pk, 10**30, -(10**30)])) == [card]
    assert list(Card.objects.filter(pk__in=[10**30])) == []
    assert Card.objects.exclude(pk__in=[10**30]).count() == 1
    assert list(Card.objects.filter(person__id__in=[student.pk, 2**63])) == [card]
