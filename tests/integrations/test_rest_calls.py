"""REST calls: templated requests, escaped values and the checks made when one is saved."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError

from campuscard.cards import recognition
from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.webhooks import templates
from campuscard.integrations.webhooks.models import RestCall
from campuscard.people.models import Person
from tests.conftest import actor, card_in_state

from .receiver import Receiver

Status = OutboxItem.Status
HOSTILE_EPPN = "o'neil\"&x=1/../é{csn}@univ-a.example.org"


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_CAP = 0.02


def make_call(code, establishments=(), **fields):
    call = RestCall(code=code, label_en=code, **fields)
    call.full_clean()
    call.save()
    call.establishments.set(establishments)
    return call


def rows(call):
    return OutboxItem.objects.filter(target=f"rest:{call.code}").order_by("id")


def drain_all(seconds=10):
    deadline = time.monotonic() + seconds
    while OutboxItem.objects.filter(status__in=[Status.PENDING, Status.IN_FLIGHT]).exists():
        assert time.monotonic() < deadline, "the outbox did not drain"
        if not outbox.drain():
            time.sleep(0.02)


def library_call(receiver, **fields):
    return make_call(
        "library", valid_method="PUT",
        valid_url=receiver.url + "/patrons/{eppn}/cards/{csn}?est={establishment}&kind=x",
        valid_body='{"csn": "{csn}", "reversed": "{csn_reversed}", "who": "{eppn}", '
                   '"label": "card {card_id} of {issuer}", "braces": "{{literal}}", '
                   '"state": ["{state}", 1, null]}',
        invalid_method="DELETE", invalid_url=receiver.url + "/patrons/{eppn}/cards/{csn}",
        headers="Authorization: Bearer {secret}\nX-Card: {card_id}", secret="tok-123",
        **fields)


def test_values_are_escaped_in_the_url_and_the_body(student, manager_a):
    Person.objects.filter(pk=student.pk).update(eppn=HOSTILE_EPPN)
    with Receiver() as receiver:
        call = library_call(receiver)
        card = card_in_state(student, State.ENABLED, manager_a)
        card = card_services.disable(card, actor(manager_a), "LOST")
        drain_all()

    put, delete = receiver.requests
    path, _, query = put.path.partition("?")
    assert path == ("/patrons/o%27neil%22%26x%3D1%2F..%2F%C3%A9%7Bcsn%7D%40univ-a.example.org"
                    f"/cards/{card.csn}")
    assert parse_qs(query) == {"est": ["univ-a"], "kind": ["x"]}
    assert put.method == "PUT" and put.json() == {
        "csn": card.csn, "reversed": bytes.fromhex(card.csn)[::-1].hex().upper(),
        "who": HOSTILE_EPPN, "label": f"card {card.pk} of univ-a", "braces": "{literal}",
        "state": ["ENABLED", 1, None]}
    assert put.headers["Authorization"] == "Bearer tok-123"
    assert put.headers["X-Card"] == str(card.pk)
    assert put.headers["Idempotency-Key"] == str(rows(call)[0].key)
    assert put.headers["User-Agent"].startswith("CampusCard/")
    assert (delete.method, urlsplit(delete.path).path.endswith(card.csn), delete.body) == (
        "DELETE", True, b"")
    assert all(row.status == Status.DONE for row in rows(call))


def test_a_group_without_address_calls_nothing(student, manager_a):
    with Receiver() as receiver:
        call = make_call("enable-only", valid_url=receiver.url + "/on/{card_id}")
        card = card_in_state(student, State.ENABLED, manager_a)
        card_services.disable(card, actor(manager_a), "LOST")
        drain_all()
    assert [r.path for r in receiver.requests] == [f"/on/{card.pk}"]
    assert [row.status for row in rows(call)] == [Status.DONE, Status.DONE]


def test_404_fails_unless_it_means_nothing_to_do(student, manager_a):
    with Receiver(status=404) as receiver:
        strict = make_call("strict", valid_url=receiver.url + "/a/{eppn}")
        lenient = make_call("lenient", valid_url=receiver.url + "/b/{eppn}",
                            not_found_is_nothing=True)
        card_in_state(student, State.ENABLED, manager_a)
        outbox.drain()
    [failed], [done] = rows(strict), rows(lenient)
    assert (failed.status, failed.last_error) == (Status.FAILED, "PUT " + strict.valid_url +
                                                  ": HTTP 404")
    assert student.eppn not in failed.last_error  # the template is logged, not the values
    assert done.status == Status.DONE


def test_a_recognised_card_is_called_for_the_recogniser(est_a, est_b, students, student,
                                                        manager_a, admin_user):
    with Receiver() as receiver:
        make_call("b-doors", establishments=[est_b],
                  valid_url=receiver.url + "/{establishment}/allow/{csn}?from={issuer}",
                  invalid_url=receiver.url + "/{establishment}/deny/{csn}?from={issuer}")
        card = card_in_state(student, State.ENABLED, manager_a)
        agreement = recognition.agree_recognition(est_a, est_b, [], actor(admin_user))
        recognition.withdraw_recognition(agreement, actor(admin_user))
        drain_all()
    assert [(r.method, r.path) for r in receiver.requests] == [
        ("PUT", f"/ecole-b/allow/{card.csn}?from=univ-a"),
        ("DELETE", f"/ecole-b/deny/{card.csn}?from=univ-a")]


@pytest.mark.parametrize(("fields", "field", "code"), [
    ({"valid_url": "https://lib.example.org/{nope}"}, "valid_url", "unknown"),
    ({"valid_url": "https://lib.example.org/{csn.__class__}"}, "valid_url", "unknown"),
    ({"valid_url": "https://lib.example.org/{0}"}, "valid_url", "unknown"),
    ({"valid_url": "https://lib.example.org/{csn"}, "valid_url", "brace"),
    ({"valid_url": "https://{establishment}.example.org/"}, "valid_url", "host"),
    ({"valid_url": "ftp://lib.example.org/{csn}"}, "valid_url", "scheme"),
    ({"valid_url": "https://u:p@lib.example.org/{csn}"}, "valid_url", "credentials"),
    ({"valid_url": "https://lib.example.org/?k={secret}"}, "valid_url", "unknown"),
    ({"valid_url": "https://lib.example.org/", "valid_body": '{"a": "{secret}"}'},
     "valid_body", "secret"),
    ({"valid_url": "https://lib.example.org/", "valid_body": '{"a": {csn}}'},
     "valid_body", "json"),
    ({"valid_url": "https://lib.example.org/", "valid_body": '{"a": "{who}"}'},
     "valid_body", "unknown"),
    ({"valid_url": "https://lib.example.org/", "headers": "no colon here"}, "headers",
     "header"),
    ({"valid_url": "https://lib.example.org/", "headers": "X-A: {csn}}"}, "headers", "brace"),
    ({"valid_url": "https://lib.example.org/", "headers": "Authorization: Bearer {secret}"},
     "secret", "secret"),
    ({}, "valid_url", "nothing"),
])
def test_a_bad_template_is_refused_when_saved(db, fields, field, code):
    call = RestCall(code="bad", label_en="Bad", **fields)
    with pytest.raises(ValidationError) as error:
        call.full_clean()
    assert code in [e.code for e in error.value.error_dict[field]]
    assert not RestCall.objects.exists()


def test_the_formatter_knows_only_its_variables():
    values = {"csn": "04A1B2C3D4E5F6", "eppn": "a b/c?d#e&f@x.org"}
    assert templates.render_url("https://x.org/{eppn}", values) == (
        "https://x.org/a%20b%2Fc%3Fd%23e%26f%40x.org")
    assert templates.render_url("https://x.org/{escn}", values) == "https://x.org/"
    with pytest.raises(ValidationError):
        templates.render_url("https://x.org/{eppn!r}", values)
    with pytest.raises(ValueError, match="control character"):
        templates.render_header("{eppn}", {"eppn": "a\r\nX-Injected: 1"})
    assert templates.render_body('{"{csn}": "{{x}}"}', values) == b'{"04A1B2C3D4E5F6": "{x}"}'
