"""django-admin: a webhook's secret is shown once, when made or rotated, and never audited."""

import json
import re

import pytest
from django.test import Client

from campuscard.core.models import AuditEntry
from campuscard.integrations.webhooks.models import RestCall, Webhook

ADMIN = "/django-admin/webhooks"


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def audit_text():
    return json.dumps([[e.action, e.before, e.after, e.reason]
                       for e in AuditEntry.objects.all()])


def shown_secrets(page):
    return re.findall(r'<code class="webhook-secret">([^<]+)</code>', page)


def test_a_new_webhooks_secret_is_shown_once(admin_client, est_a):
    response = admin_client.post(f"{ADMIN}/webhook/add/", {
        "code": "library", "label_en": "Library", "label_fr": "Bibliothèque", "active": "on",
        "url": "https://library.example.org/hooks", "events": ["card.enabled", "card.disabled"],
        "establishments": [est_a.pk], "timeout": "10"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "no-store" in response["Cache-Control"]
    hook = Webhook.objects.get()
    assert shown_secrets(response.content.decode()) == [hook.secret]
    assert hook.events == ["card.enabled", "card.disabled"]

    change = admin_client.get(f"{ADMIN}/webhook/{hook.pk}/change/").content.decode()
    listing = admin_client.get(f"{ADMIN}/webhook/").content.decode()
    assert hook.secret not in change and hook.secret not in listing
    assert AuditEntry.objects.filter(action="webhook.created").exists()
    assert hook.secret not in audit_text()


def test_rotating_shows_the_new_secret_once(admin_client):
    hook = Webhook.objects.create(code="lib", label_en="Lib", url="https://lib.example.org/")
    old = hook.secret
    response = admin_client.post(f"{ADMIN}/webhook/", {"action": "rotate_secret",
                                                       "_selected_action": [hook.pk]})
    hook.refresh_from_db()
    assert hook.secret != old
    assert shown_secrets(response.content.decode()) == [hook.secret]
    assert AuditEntry.objects.filter(action="webhook.secret_rotated").count() == 1
    assert hook.secret not in audit_text() and old not in audit_text()


def test_a_bad_address_is_refused_with_nothing_saved(admin_client):
    response = admin_client.post(f"{ADMIN}/webhook/add/", {
        "code": "bad", "label_en": "Bad", "url": "https://me:pw@lib.example.org/",
        "events": ["card.enabled"], "timeout": "10"})
    assert response.status_code == 200
    assert "Put no user name or password in the address" in response.content.decode()
    assert not Webhook.objects.exists()


def rest_form(**changes):
    return {"code": "doors", "label_en": "Doors", "active": "on",
            "events": ["card.enabled", "card.disabled"], "timeout": "10",
            "valid_method": "PUT", "valid_url": "https://doors.example.org/{csn}",
            "valid_body": "", "invalid_method": "DELETE",
            "invalid_url": "https://doors.example.org/{csn}", "invalid_body": "",
            "headers": "Authorization: Bearer {secret}", **changes}


def test_a_rest_calls_secret_is_kept_sealed_and_unseen(admin_client):
    response = admin_client.post(f"{ADMIN}/restcall/add/", rest_form(new_secret="tok-42"))
    assert response.status_code == 302, response.content.decode()[:3000]
    call = RestCall.objects.get()
    assert call.secret == "tok-42"

    page = admin_client.get(f"{ADMIN}/restcall/{call.pk}/change/").content.decode()
    assert "tok-42" not in page and "{csn}" in page  # the variables are listed
    admin_client.post(f"{ADMIN}/restcall/{call.pk}/change/", rest_form(label_en="Doors B"))
    call.refresh_from_db()
    assert (call.label_en, call.secret) == ("Doors B", "tok-42")  # empty: kept
    assert "tok-42" not in audit_text()
    created = AuditEntry.objects.get(action="restcall.created")
    assert created.after["new_secret"] == "********"
    assert "new_secret" not in AuditEntry.objects.get(action="restcall.updated").after


def test_a_rest_call_using_an_unknown_variable_is_refused(admin_client):
    response = admin_client.post(f"{ADMIN}/restcall/add/",
                                 rest_form(valid_url="https://doors.example.org/{uid}",
                                           new_secret="x"))
    assert response.status_code == 200
    assert "Unknown variable {uid}." in response.content.decode()
    assert not RestCall.objects.exists()


def test_the_add_pages_show_the_choices_and_the_variables(admin_client):
    hook_page = admin_client.get(f"{ADMIN}/webhook/add/").content.decode()
    assert 'value="card.recognised"' in hook_page and 'value="person.updated"' in hook_page
    assert 'name="secret"' not in hook_page
    call_page = admin_client.get(f"{ADMIN}/restcall/add/").content.decode()
    assert "<code>{csn_reversed}</code>" in call_page and 'value="person.updated"' not in call_page
    assert 'name="new_secret"' in call_page and 'name="secret"' not in call_page
