"""The reason of "Reject" sits in Reject's own box, right above its button, on the card page
and on the bulk page; "Accept" asks for nothing."""

import re

from django.urls import reverse

from campuscard.cards.states import State

from ..conftest import card_in_state
from .test_bulk import choose


def forms_of(html):
    return re.findall(r"<form\b.*?</form>", html, flags=re.S)


def the_form_with(html, text):
    [form] = [form for form in forms_of(html) if text in form]
    return form


def assert_reason_belongs_to_reject(html, button):
    reject = the_form_with(html, 'name="reason"')
    box = re.search(r'<fieldset class="action-details"[^>]*>(.*?)</fieldset>', reject, re.S)
    assert box, "the reason is in a box of its own"
    inside = box.group(1)
    assert re.search(r"<legend>\s*Reject the request\s*</legend>", inside)
    assert inside.index('name="reason"') < inside.index(button)
    assert 'value="REJECTED"' in reject
    accept = the_form_with(html, 'value="REQUEST_CHECKED"')
    assert "<textarea" not in accept and "<fieldset" not in accept


def test_the_card_page_puts_the_reason_in_the_reject_box(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    html = login(manager_a).get(reverse("backoffice:card", args=[card.pk])).content.decode()
    assert_reason_belongs_to_reject(html, ">Reject the request</button>")


def test_the_bulk_page_puts_the_reason_in_the_reject_box(login, manager_a, student,
                                                         other_student):
    cards = [card_in_state(p, State.NEW, manager_a) for p in (student, other_student)]
    html = choose(login(manager_a), cards).content.decode()
    assert_reason_belongs_to_reject(html, ">Reject the request (2 cards)</button>")
