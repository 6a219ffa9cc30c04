"""A card printed by any means has what it shows frozen with its template version, in the
transaction that makes it PRINTED (printing.services.freeze_when_printed): a station's report
(tests/stations), a manager's button after printing a batch PDF, the API."""

import pypdfium2
from django.urls import reverse

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.printing import defaults
from campuscard.printing.models import CardPrint, CardTemplate
from campuscard.printing.rendering import render_pdf
from campuscard.printing.services import save_template_version

from ..conftest import actor


def front_text(card):
    document = pypdfium2.PdfDocument(render_pdf(Card.objects.get(pk=card.pk)))
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_the_managers_button_freezes_what_the_card_shows(client, card, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("backoffice:card_transition", args=[card.pk]),
                           {"target": "PRINTED", "seen_state": "IN_PRINT"})
    assert response.status_code == 302
    [card_print] = CardPrint.objects.filter(card=card)
    template = CardTemplate.objects.get(code=defaults.CODE)
    assert card_print.version == template.current_version
    assert card_print.printed_by == manager_a
    assert card_print.values["first_name"] == "Zoe"

    card.person.first_name = "Renamed"
    card.person.save()
    save_template_version(template, front_html="NEW FRONT {{ first_name }}")
    assert "Zoe" in front_text(card) and "NEW FRONT" not in front_text(card)


def test_the_services_the_api_and_bulk_actions_use_freeze_it_too(card, manager_a):
    card_services.mark_printed(card, actor(manager_a))
    assert CardPrint.objects.filter(card=card).count() == 1


def test_a_card_no_template_applies_to_is_printed_all_the_same(card, manager_a,
                                                                staff_population):
    CardTemplate.objects.get(code=defaults.CODE).populations.set([staff_population])
    printed = card_services.mark_printed(card, actor(manager_a))
    assert printed.state == State.PRINTED
    assert not CardPrint.objects.filter(card=card).exists()


def test_an_encoding_that_fails_back_to_printed_is_no_new_print(card, manager_a):
    by = actor(manager_a)
    card = card_services.start_encoding(card_services.mark_printed(card, by), by)
    card_services.fail_encoding(card, by)
    assert CardPrint.objects.filter(card=card).count() == 1
