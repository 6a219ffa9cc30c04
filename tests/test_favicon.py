"""The site has an icon of its own: linked from every page, and /favicon.ico finds it."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

ICON = static("campuscard/favicon.svg")


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == ICON
    icon = client.get(ICON)
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_every_page_links_the_icon(client):
    html = client.get("/login/").content.decode()
    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html
    assert finders.find("campuscard/favicon.svg")
