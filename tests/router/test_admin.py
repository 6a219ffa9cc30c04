"""django-admin: organisations, and keys that can be revoked but not read or made there."""

import pytest
from django.test import Client

from campuscard.core.models import AuditEntry
from campuscard.router.models import Organisation, RouterKey

from .conftest import Router, assert_error

ADMIN = "/django-admin/router"


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_organisations_and_keys_are_listed(admin_client, key_a, est_a):
    organisations = admin_client.get(f"{ADMIN}/organisation/")
    assert organisations.status_code == 200 and est_a.pic in organisations.content.decode()
    keys = admin_client.get(f"{ADMIN}/routerkey/")
    assert keys.status_code == 200
    assert RouterKey.objects.get().prefix in keys.content.decode()
    assert key_a not in keys.content.decode()


def test_a_key_cannot_be_made_or_edited_there(admin_client, key_a):
    key = RouterKey.objects.get()
    assert admin_client.get(f"{ADMIN}/routerkey/add/").status_code == 403
    page = admin_client.get(f"{ADMIN}/routerkey/{key.pk}/change/").content.decode()
    assert key.key_hash in page  # shown, read-only
    assert 'name="name"' not in page and 'name="key_hash"' not in page


def test_the_revoke_action_stops_the_key(admin_client, key_a):
    key = RouterKey.objects.get()
    response = admin_client.post(f"{ADMIN}/routerkey/", {
        "action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert RouterKey.objects.get().is_revoked
    assert_error(Router(key_a).get("/persons"), 401)
    assert AuditEntry.objects.get(action="router_key.revoked").actor_label == "admin"


def test_an_organisation_change_is_audited(admin_client, key_a, est_a):
    organisation = Organisation.objects.get()
    admin_client.post(f"{ADMIN}/organisation/{organisation.pk}/change/", {
        "pic": est_a.pic, "name": est_a.name, "country": "FR",
        "schac_home_organization": "univ-a.fr", "created_at_0": "2025-01-01",
        "created_at_1": "00:00:00"})
    organisation.refresh_from_db()
    assert (organisation.country, organisation.schac_home_organization) == ("FR", "univ-a.fr")
    assert AuditEntry.objects.filter(action="organisation.updated").exists()


def test_showing_the_holders_name_is_chosen_there_and_off_by_default(admin_client, key_a,
                                                                       est_a):
    organisation = Organisation.objects.get()
    assert organisation.show_holder_name is False
    page = admin_client.get(f"{ADMIN}/organisation/{organisation.pk}/change/").content.decode()
    assert 'name="show_holder_name"' in page
    admin_client.post(f"{ADMIN}/organisation/{organisation.pk}/change/", {
        "pic": est_a.pic, "name": est_a.name, "show_holder_name": "on",
        "created_at_0": "2025-01-01", "created_at_1": "00:00:00"})
    organisation.refresh_from_db()
    assert organisation.show_holder_name is True
    entry = AuditEntry.objects.get(action="organisation.updated")
    assert entry.after["show_holder_name"] is True
