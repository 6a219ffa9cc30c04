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


EXPORTS_URL = "/django-admin/exports/exporttarget/"


def export_form(tmp_path, **fields):
    return {"code": "doors", "label_en": "Doors", "label_fr": "Portes", "active": "on",
            "preset": "p2s", "format": "",
            "destination": f'{{"kind": "folder", "path": "{tmp_path}"}}'} | fields


def test_an_export_starts_from_its_preset(admin_client, tmp_path):
    from campuscard.integrations.exports.models import ExportTarget
    from campuscard.integrations.exports.presets import PRESETS

    response = admin_client.post(f"{EXPORTS_URL}add/", export_form(tmp_path))
    assert response.status_code == 302, response.content.decode()[:3000]
    export = ExportTarget.objects.get()
    assert export.format == PRESETS["p2s"] and export.preset == "p2s"


@pytest.mark.parametrize(("fields", "message"), [
    ({"preset": ""}, "Choose a preset or write a file format"),
    ({"preset": "", "format": '{"columns": [{"value": "shoe_size"}]}'}, "shoe_size"),
    ({"destination": '{"kind": "folder", "path": "relative/doors"}'}, "absolute"),
    ({"destination": '{"kind": "sftp", "host": "h", "username": "u", "password": "x"}'},
     "password"),
])
def test_a_bad_export_is_refused_with_a_message(admin_client, tmp_path, fields, message):
    from campuscard.integrations.exports.models import ExportTarget

    response = admin_client.post(f"{EXPORTS_URL}add/", export_form(tmp_path, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExportTarget.objects.exists()
