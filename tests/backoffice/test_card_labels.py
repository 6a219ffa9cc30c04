"""The French card page tells its history and its connected systems in words: no action code,
no target name, no key of what a push keeps."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from campuscard.cards.propagation import RETRYING, TOLD
from campuscard.core.models import AuditEntry
from tests.labelled_pushes import told_card  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

RAW = ("push.", "esc_router", "operation", "card.enabled", "export:doors-a", "mail.sent",
       "in_flight")


def text_of(response):
    """What a reader sees: the page without its tags, attributes and scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def french_page(client, manager, card):
    client.force_login(manager)
    return client.get(reverse("backoffice:card", args=[card.pk]), HTTP_ACCEPT_LANGUAGE="fr")


def test_the_french_card_page_shows_no_code(client, manager_a, told_card):  # noqa: F811
    actions = set(AuditEntry.objects.filter(card=told_card).values_list("action", flat=True))
    assert {"push.mail.done", "push.esc_router.failed", "push.export:doors-a.done"} <= actions
    response = french_page(client, manager_a, told_card)
    assert response.status_code == 200
    text = text_of(response)
    for code in RAW:
        assert code not in text, code
    assert "Historique" in text and "Carte activée" in text
    assert "Envoyé à Courriels qui vous sont envoyés" in text  # the mail target's label
    assert ("Échec de l'envoi à Routeur de la carte étudiante européenne (tentative 1)"
            in text)
    assert "Envoyé à Export: doors a" in text  # a target gone since: a readable name


def test_connected_systems_list_each_target_with_its_last_push(client, manager_a,
                                                               told_card):  # noqa: F811
    response = french_page(client, manager_a, told_card)
    found = {c.system: c for c in response.context["connections"]}
    assert {name: c.status for name, c in found.items()} == {
        "Courriels qui vous sont envoyés": TOLD,
        "Routeur de la carte étudiante européenne": RETRYING,
        "Export: doors a": TOLD,
    }
    router = found["Routeur de la carte étudiante européenne"]
    assert router.event == "Carte activée" and router.attempts == 1 and router.error
    section = text_of(response).split("Systèmes connectés", 1)[1]
    assert "nouvel essai après 1 tentative" in section and router.error.split(":")[0] in section


def test_an_unknown_code_and_target_do_not_break_the_page(client, manager_a, student):
    from campuscard.cards.states import State
    from campuscard.core.models import OutboxItem

    from ..conftest import card_in_state

    card = card_in_state(student, State.ENABLED, manager_a)
    AuditEntry.objects.create(action="legacy.thing", actor_label="old system",
                              object_type="gadget", object_id="7", card=card,
                              after={"colour_code": "red"})
    OutboxItem.objects.create(target="retired_system", operation="gadget.moved",
                              object_type="card", object_id=str(card.pk), status="failed",
                              attempts=5, last_error="gone")
    response = french_page(client, manager_a, card)
    assert response.status_code == 200
    text = text_of(response)
    assert "Autre action (legacy.thing)" in text and "Colour code: red" in text
    assert "Retired system" in text and "Autre action (gadget.moved)" in text
