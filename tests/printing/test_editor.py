"""The card template editor: creating a template, each save a new immutable version, the live
preview of unsaved content (a PNG, or what is wrong), and who may use it."""

import io
import json

import pytest
from django.urls import reverse
from PIL import Image

from campuscard.cards.states import State
from campuscard.people.services import set_consent
from campuscard.printing import defaults
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import card_html, version_for
from campuscard.printing.services import record_print

from ..conftest import PASSWORD, actor, card_in_state, make_staff


@pytest.fixture(autouse=True)
def _default_template(db):
    """The default card template, as its migration makes it (a transactional test flushes it)."""
    from campuscard.printing.defaults import ensure_default_template

    return ensure_default_template()


@pytest.fixture
def card(student, manager_a):
    set_consent(student, actor(student.user), "esc", True)
    return card_in_state(student, State.IN_PRINT, manager_a)


@pytest.fixture
def admin_client(client, admin_user):
    assert client.login(username=admin_user.username, password=PASSWORD)
    return client


def content_of(version, card=None, **changes):
    data = {"front_html": version.front_html, "back_html": version.back_html,
            "css": version.css, "free_text": version.free_text, "logo_svg": version.logo_svg,
            "zones": json.dumps(version.zones)}
    if card is not None:
        data["card"] = card.pk
    return data | changes


def default_template():
    return CardTemplate.objects.get(code=defaults.CODE)


def test_an_admin_creates_a_template_then_saves_versions_one_and_two(admin_client, admin_user,
                                                                     est_a, students, card):
    created = admin_client.post(reverse("backoffice:printing_create"), {
        "code": "univ-a-students", "name": "Students of A", "establishment": est_a.pk,
        "populations": [students.pk], "key": "", "priority": 5, "active": "on"})
    edit_url = reverse("backoffice:printing_edit", args=["univ-a-students"])
    assert created.status_code == 302 and created["Location"] == edit_url
    template = CardTemplate.objects.get(code="univ-a-students")
    assert (template.establishment, list(template.populations.all()), template.priority) == (
        est_a, [students], 5)
    assert not template.versions.exists()
    page = admin_client.get(edit_url)
    assert page.status_code == 200
    assert "{% fit last_name" in page.content.decode()  # starts from the default template
    assert f'value="{card.pk}" selected' in page.content.decode()  # the newest card of A

    start = default_template().current_version
    first = admin_client.post(edit_url,
                              content_of(start, card, front_html="<p>{{ last_name }}</p>"))
    assert first.status_code == 302
    v1 = template.versions.get()
    assert (v1.number, v1.front_html, v1.created_by) == (1, "<p>{{ last_name }}</p>", admin_user)
    assert version_for(card) == v1  # now the template chosen for the card
    printed = record_print(card)

    second = admin_client.post(edit_url,
                               content_of(v1, card, front_html="<p>v2 {{ first_name }}</p>"))
    assert second.status_code == 302
    v2 = template.current_version
    assert v2.number == 2
    v1.refresh_from_db()
    assert v1.front_html == "<p>{{ last_name }}</p>"  # the old version is untouched
    assert printed.version == v1 and version_for(card) == v1  # a reprint uses v1
    assert "MARTIN" in card_html(card, version_for(card)) and "v2" not in card_html(
        card, version_for(card))
    listing = admin_client.get(edit_url).content.decode()
    assert "?version=1" in listing and "admin" in listing
    old = admin_client.get(reverse("backoffice:printing_preview", args=[template.code]),
                           {"version": 1, "card": card.pk})
    assert old.status_code == 200 and "not the current version" in old.content.decode()


def test_saving_the_same_content_again_saves_nothing(admin_client, card):
    version = default_template().current_version
    answer = admin_client.post(reverse("backoffice:printing_edit", args=[defaults.CODE]),
                               content_of(version, card))
    assert answer.status_code == 400
    assert "Nothing changed since version 1" in answer.content.decode()
    assert default_template().versions.count() == 1


def test_the_preview_of_unsaved_content_is_a_png_and_saves_nothing(admin_client, card):
    version = default_template().current_version
    url = reverse("backoffice:printing_draft_png", args=[defaults.CODE, "front"])
    answer = admin_client.post(url, content_of(version, card,
                                               css=version.css + " .last-name{color:#c00}"))
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(answer.content)).size == (506, 319)
    one_sided = admin_client.post(
        reverse("backoffice:printing_draft_png", args=[defaults.CODE, "back"]),
        content_of(version, card, back_html=""))
    assert one_sided.status_code == 204
    assert default_template().versions.count() == 1


@pytest.mark.parametrize(("changes", "said"), [
    ({"front_html": "{% if last_name %}no end"}, "Front HTML:"),
    ({"back_html": "{% load static %}"}, "Back HTML:"),
    ({"front_html": "<p>{{ lastname }}</p>{% for a in qr %}{{ a }}{% endfor %}"},
     "Front HTML: “lastname” is not a card variable"),
    ({"zones": "[{nope"}, "The zones are not valid JSON"),
    ({"zones": json.dumps([{"side": "front", "kind": "chip", "x": 80, "y": 0, "width": 20,
                            "height": 5}])}, "within the card"),
    ({"front_html": '<p style="position:absolute;left:70mm;top:40mm">{{ pic }}</p>'},
     "is printed over the zone “ESC hologram”"),
])
def test_broken_content_is_explained_in_the_preview_and_never_saved(admin_client, card,
                                                                     changes, said):
    version = default_template().current_version
    data = content_of(version, card, **changes)
    preview = admin_client.post(
        reverse("backoffice:printing_draft_png", args=[defaults.CODE, "front"]), data)
    assert preview.status_code == 422
    assert any(said in error for error in preview.json()["errors"]), preview.json()
    saved = admin_client.post(reverse("backoffice:printing_edit", args=[defaults.CODE]), data)
    assert saved.status_code == 400 and said in saved.content.decode().replace("&ldquo;", "“") \
        .replace("&rdquo;", "”")
    assert default_template().versions.count() == 1


def test_the_errors_are_in_the_readers_language(admin_client, card):
    version = default_template().current_version
    bad_zone = json.dumps([{"side": "front", "kind": "chip", "x": 80, "y": 0, "width": 20,
                            "height": 5}])
    answer = admin_client.post(
        reverse("backoffice:printing_draft_png", args=[defaults.CODE, "front"]),
        content_of(version, card, zones=bad_zone), HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        "Zone 1\u202f: le rectangle doit se trouver dans la carte (85,60 sur 53,98 mm)."]


def test_the_settings_change_without_a_new_version(admin_client, est_b):
    answer = admin_client.post(reverse("backoffice:printing_settings", args=[defaults.CODE]), {
        "name": "Renamed", "establishment": est_b.pk, "priority": 3, "key": "",
        "active": "on"})
    assert answer.status_code == 302
    template = default_template()
    assert (template.name, template.establishment, template.priority) == ("Renamed", est_b, 3)
    assert template.versions.count() == 1


def test_a_template_cannot_take_the_code_new(admin_client):
    answer = admin_client.post(reverse("backoffice:printing_create"), {
        "code": "new", "name": "New", "priority": 0, "active": "on"})
    assert answer.status_code == 400
    assert not CardTemplate.objects.filter(code="new").exists()


def test_only_admins_edit_templates(client, manager_a, est_b, card):
    manager_b = make_staff("plain-manager-b", "manager", [est_b])
    version = default_template().current_version
    for user in (manager_a, manager_b):
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(reverse("backoffice:printing_edit", args=[defaults.CODE])
                          ).status_code == 403
        assert client.post(reverse("backoffice:printing_edit", args=[defaults.CODE]),
                           content_of(version, card, css="x{}")).status_code == 403
        assert client.post(reverse("backoffice:printing_draft_png",
                                   args=[defaults.CODE, "front"]),
                           content_of(version, card)).status_code == 403
        assert client.post(reverse("backoffice:printing_create"),
                           {"code": "mine", "name": "Mine", "priority": 0}).status_code == 403
    assert default_template().versions.count() == 1
    assert not CardTemplate.objects.filter(code="mine").exists()


def test_the_names_a_template_reads_are_checked_against_the_fixed_set():
    from campuscard.printing.drafts import KNOWN_VARIABLES
    from campuscard.printing.templating import unknown_names

    assert unknown_names(defaults.FRONT_HTML, KNOWN_VARIABLES) == []
    assert unknown_names(defaults.BACK_HTML, KNOWN_VARIABLES) == []
    source = ("{% if foo and not last_name %}{{ pic|default:bar }}{% endif %}"
              "{% for a in qr %}{{ a }}{{ forloop.counter }}{% empty %}{{ zz }}{% endfor %}"
              "{% with b=pic %}{{ b }}{% endwith %}{% fit nom width=3 %}"
              "{% fit escn width=5 as short %}{{ short }}{% firstof q1 'x' %}")
    assert unknown_names(source, KNOWN_VARIABLES) == ["bar", "foo", "nom", "q1", "zz"]
