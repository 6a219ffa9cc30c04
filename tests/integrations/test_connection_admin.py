"""The two connections in the Django admin: forms that validate, a token never sent back."""

import pytest

from campuscard.core.models import AuditEntry
from campuscard.integrations.ldap_writeback.models import LdapWriteBack
from campuscard.integrations.papercut.models import PapercutServer

pytestmark = pytest.mark.django_db
URL = "/django-admin/papercut/papercutserver/"


def papercut_form(**fields):
    return {"code": "print", "label_en": "Printing", "label_fr": "", "active": "on",
            "url": "http://127.0.0.1:9191/rpc/api/xmlrpc", "auth_token": "s3cret-token",
            "card_property": "card-number", "username_rule": "(.*)@univ-a.fr",
            "timeout": "10"} | fields


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_token_is_kept_sealed_and_never_shown(admin_client):
    response = admin_client.post(f"{URL}add/", papercut_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    server = PapercutServer.objects.get()
    assert server.auth_token == "s3cret-token"
    page = admin_client.get(f"{URL}{server.pk}/change/").content.decode()
    assert "s3cret-token" not in page
    form = papercut_form(auth_token="", username_rule="(.*)")
    form.pop("code")
    assert admin_client.post(f"{URL}{server.pk}/change/", form).status_code == 302
    server.refresh_from_db()
    assert server.auth_token == "s3cret-token" and server.username_rule == "(.*)"
    for entry in AuditEntry.objects.filter(action__startswith="papercutserver."):
        assert "s3cret-token" not in str(entry.after) + str(entry.before)


def test_a_bad_rule_is_refused_with_a_message(admin_client):
    response = admin_client.post(f"{URL}add/", papercut_form(username_rule="(.*"))
    assert response.status_code == 200
    assert "not a regular expression" in response.content.decode()
    assert not PapercutServer.objects.exists()


def test_an_unknown_placeholder_is_refused_with_a_message(admin_client):
    response = admin_client.post("/django-admin/ldap_writeback/ldapwriteback/add/", {
        "code": "dir", "label_en": "Directory", "url": "ldap://ldap.example.org",
        "base_dn": "ou=people,dc=example,dc=org", "people_filter": "(uid={uid})",
        "multi_valued": '{"supannRefId": ["{ISO15693}${serial}"]}', "single_valued": "{}",
        "timeout": "10", "card_states": ["ENABLED"]})
    assert response.status_code == 200
    assert "unknown placeholder" in response.content.decode()
    assert not LdapWriteBack.objects.exists()
