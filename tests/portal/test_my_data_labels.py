"""“My data” in French: the student reads their history and who was told of each card in
words, without codes and without the card office's error messages."""

import html as html_lib
import io
import json
import re
import zipfile

import pytest

from campuscard.cards.propagation import STUCK
from tests.labelled_pushes import told_card  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

RAW = ("push.", "esc_router", "operation", "card.enabled", "export:doors-a", "mail.sent",
       "person.consent_changed")


@pytest.fixture
def one_attempt(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1  # the router's first failure is for the card office


def text_of(response):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def french(client, student, url="/me/data/"):
    client.force_login(student.user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="fr")


def test_the_french_page_shows_no_code_and_no_error(client, student, one_attempt,
                                                    told_card):  # noqa: F811
    response = french(client, student)
    assert response.status_code == 200
    title = re.search(r"<title>(.*?)</title>", response.content.decode(), flags=re.S).group(1)
    assert "<" not in title and "Mes données" in title
    text = text_of(response)
    assert text.count("Historique") == 1
    for code in RAW:
        assert code not in text, code
    assert "Connection refused" not in text and "TransientError" not in text
    assert "Carte activée" in text and "Historique" in text
    assert ("Échec de l'envoi à Routeur de la carte étudiante européenne (tentative 1)"
            in text)
    assert "Export: doors a" in text  # a target gone since still reads as a name


def test_each_card_says_who_was_told_and_what_the_card_office_handles(
        client, student, one_attempt, told_card):  # noqa: F811
    response = french(client, student)
    (card,) = response.context["cards"]
    assert card.card == told_card
    assert {s.system: s.status for s in card.systems}[
        "Routeur de la carte étudiante européenne"] == STUCK
    text = text_of(response)
    line = text.split("Routeur de la carte étudiante européenne — Carte activée — ", 1)[1]
    assert line.startswith("pas encore") and "le service de la carte s'en occupe" in line[:60]
    assert "Courriels qui vous sont envoyés — Carte activée — prévenu le" in text


def test_the_download_describes_each_entry_in_words(client, student, told_card):  # noqa: F811
    client.force_login(student.user)
    archive = zipfile.ZipFile(io.BytesIO(
        client.get("/me/data/download/", HTTP_ACCEPT_LANGUAGE="fr").content))
    history = json.loads(archive.read("data.json"))["history"]
    enabled = next(e for e in history if e["action"] == "card.enabled")
    assert enabled["description"] == "Carte activée"
    assert enabled["changes"] == [{"field": "État", "before": "Encodée", "after": "Activée"}]
    pushed = next(e for e in history if e["action"] == "push.mail.done")
    assert pushed["description"] == "Envoyé à Courriels qui vous sont envoyés"
