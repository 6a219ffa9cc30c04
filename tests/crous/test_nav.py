"""The back-office links to the CROUS pages only where the instance talks to CROUS."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_crous_links_show_only_when_crous_is_configured(manager_a, settings):
    client = Client()
    client.force_login(manager_a)
    page = client.get("/manage/").content.decode()
    assert "/manage/crous/errors/" not in page and "/manage/crous/tariffs/" not in page
    settings.CAMPUSCARD_CROUS_URL = "http://127.0.0.1:9/"
    settings.CAMPUSCARD_CROUS_TOKEN_URL = "http://127.0.0.1:9/api/oauth/token"
    settings.CAMPUSCARD_CROUS_CLIENT_ID = "campuscard"
    settings.CAMPUSCARD_CROUS_CLIENT_SECRET = "s3cret"
    page = client.get("/manage/").content.decode()
    assert "/manage/crous/errors/" in page and "/manage/crous/tariffs/" in page
