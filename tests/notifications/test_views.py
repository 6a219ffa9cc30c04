"""The administrators' mail pages: list, edit with preview, audited saves, no one else."""

import pytest
from django.urls import reverse

from campuscard.core.models import AuditEntry
from campuscard.notifications.models import MailTemplate

from ..conftest import make_staff

LIST = reverse("notifications:templates")


def edit_url(event):
    return reverse("notifications:template", args=[event])


def texts(template, **changes):
    values = {"subject_en": template.subject_en, "body_en": template.body_en,
              "subject_fr": template.subject_fr, "body_fr": template.body_fr,
              "active": "on" if template.active else ""}
    values.update(changes)
    if not values["active"]:
        del values["active"]  # an unticked box is not sent
    return values


def state_of(event):
    return list(MailTemplate.objects.filter(event=event).values())


def test_the_list_shows_every_event_and_whether_it_sends_a_mail(login, admin_user):
    MailTemplate.objects.filter(event="card.canceled").update(active=False)
    response = login(admin_user).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mails to card holders" in page
    for event in ("card.requested", "card.in_print", "person.rights_end_reminder"):
        assert edit_url(event) in page
    assert "switched off" in page and "none" in page
    assert "We have received your card request" in page
    assert f'href="{LIST}"' in page  # the menu link


def test_the_edit_page_shows_the_texts_and_a_preview_on_sample_data(login, admin_user):
    response = login(admin_user).get(edit_url("card.rejected"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_subject_fr">Subject in French</label>' in page
    assert '<label for="id_body_en">Text in English</label>' in page
    assert "Preview on sample data" in page
    assert "Hello Camille," in page and "Bonjour Camille," in page
    assert "The photo is blurred." in page


def test_preview_shows_the_submitted_text_and_saves_nothing(login, admin_user):
    template = MailTemplate.objects.get(event="card.rejected")
    before, audit_count = state_of("card.rejected"), AuditEntry.objects.count()
    response = login(admin_user).post(edit_url("card.rejected"), texts(
        template, subject_en="Sorry {{ person.first_name }}", preview="1"))
    assert response.status_code == 200
    assert "Sorry Camille" in response.content.decode()
    assert state_of("card.rejected") == before
    assert AuditEntry.objects.count() == audit_count


def test_saving_changes_the_text_and_is_audited(login, admin_user):
    template = MailTemplate.objects.get(event="card.rejected")
    response = login(admin_user).post(edit_url("card.rejected"), texts(
        template, subject_en="Request refused", active="", save="1"))
    assert response.status_code == 302 and response.url == edit_url("card.rejected")
    template.refresh_from_db()
    assert template.subject_en == "Request refused" and not template.active
    entry = AuditEntry.objects.get(action="settings.mail_template_changed")
    assert entry.actor == admin_user and entry.object_id == str(template.pk)
    assert entry.before == {"subject_en": "Your card request could not be accepted",
                            "active": True}
    assert entry.after == {"event": "card.rejected", "subject_en": "Request refused",
                           "active": False}


def test_saving_without_change_writes_nothing(login, admin_user):
    template = MailTemplate.objects.get(event="card.rejected")
    response = login(admin_user).post(edit_url("card.rejected"), texts(template, save="1"),
                                      follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert not AuditEntry.objects.filter(action="settings.mail_template_changed").exists()


def test_an_event_without_mail_gets_one_when_its_text_is_saved(login, admin_user):
    values = {"subject_en": "In print", "body_en": "Card {{ card.id }} is in print.",
              "subject_fr": "En impression", "body_fr": "Carte {{ card.id }} en impression.",
              "active": "on", "save": "1"}
    client = login(admin_user)
    assert "sends no mail yet" in client.get(edit_url("card.in_print")).content.decode()
    assert client.post(edit_url("card.in_print"), values).status_code == 302
    template = MailTemplate.objects.get(event="card.in_print")
    assert template.active and template.body_fr == "Carte {{ card.id }} en impression."
    entry = AuditEntry.objects.get(action="settings.mail_template_changed")
    assert entry.before is None and entry.after["subject_fr"] == "En impression"


@pytest.mark.parametrize("broken", [
    {"body_fr": "Bonjour {% if person.first_name %}"},
    {"subject_en": "{{ person.first_name|no_such_filter }}"},
    {"body_en": '{% include "base.html" %}'},
    {"subject_fr": ""},
])
def test_a_text_that_is_not_a_valid_template_is_refused_and_nothing_saved(login, admin_user,
                                                                          broken):
    template = MailTemplate.objects.get(event="card.rejected")
    before, audit_count = state_of("card.rejected"), AuditEntry.objects.count()
    response = login(admin_user).post(edit_url("card.rejected"), texts(template, **broken,
                                                                      save="1"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert 'aria-invalid="true"' in page
    assert state_of("card.rejected") == before
    assert AuditEntry.objects.count() == audit_count


def test_an_unknown_event_is_not_found(login, admin_user):
    assert login(admin_user).get(edit_url("card.no_such_event")).status_code == 404


def test_an_administrator_role_may_edit_too(login, db):
    admin = make_staff("office-admin", "admin")
    assert login(admin).get(LIST).status_code == 200


@pytest.mark.parametrize("who", ["manager_a", "consultant_a", "student"])
def test_other_people_are_refused(request, login, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    template = MailTemplate.objects.get(event="card.rejected")
    before, audit_count = state_of("card.rejected"), AuditEntry.objects.count()
    client = login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(edit_url("card.rejected")).status_code == 403
    response = client.post(edit_url("card.rejected"), texts(template, subject_en="x", save="1"))
    assert response.status_code == 403
    assert state_of("card.rejected") == before and AuditEntry.objects.count() == audit_count
    assert f'href="{LIST}"' not in client.get(reverse("home"), follow=True).content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_pages_are_in_french(login, admin_user):
    client = login(admin_user, "fr")
    page = client.get(LIST).content.decode()
    assert "Courriels aux titulaires de carte" in page
    assert "Carte demandée" in page and "Demande refusée" in page
    assert ">Courriels</a>" in page
    assert "Nous avons bien reçu votre demande de carte" in page  # subjects in French too
    page = client.get(edit_url("card.rejected")).content.decode()
    assert '<label for="id_subject_fr">Objet en français</label>' in page
    assert "Aperçu sur des données d'exemple" in page
    assert "La photo est floue." in page


def test_the_django_admin_lists_the_templates(login, admin_user):
    response = login(admin_user).get(reverse("admin:notifications_mailtemplate_changelist"))
    assert response.status_code == 200
    assert "Card requested" in response.content.decode()
