"""A station's reader reads a badge: `POST /stations/api/badge`, and `campuscard station badge`
against a live server (real HTTP)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from campuscard.core.actors import Actor
from campuscard.stations import services
from campuscard.stations.models import Station

from .conftest import Device

URL = "/stations/api/badge"


def test_the_url_is_the_documented_one():
    assert reverse("stations_api:badge") == URL


def test_a_read_is_recorded_with_its_time(device, station):
    response = device.post(URL, {"csn": "04:a2:3b:1c:5d:80:00"})
    assert response.status_code == 200
    station.refresh_from_db()
    assert station.last_badge == "04A23B1C5D8000"
    assert response.json() == {"csn": "04A23B1C5D8000",
                               "read_at": station.last_badge_at.isoformat()}


@pytest.mark.parametrize("authorization", [None, "Bearer st_00000000_nope", "Bearer ",
                                           "Basic c3Q6bm9wZQ=="])
def test_a_bad_token_is_401_and_records_nothing(station, authorization):
    device = Device(None)
    if authorization:
        device.headers["Authorization"] = authorization
    response = device.post(URL, {"csn": "04A23B1C5D8000"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert Station.objects.get(pk=station.pk).last_badge_at is None


def test_a_revoked_token_is_401(device, station):
    services.revoke_station(station, Actor.system())
    assert device.post(URL, {"csn": "04A23B1C5D8000"}).status_code == 401


def test_another_stations_token_records_on_that_station_only(device, station,
                                                             second_station):
    Device(second_station.token).post(URL, {"csn": "DEADBEEF"})
    assert Station.objects.get(pk=station.pk).last_badge_at is None
    assert Station.objects.get(pk=second_station.pk).last_badge == "DEADBEEF"


@pytest.mark.parametrize("body", [{"csn": "not hex"}, {"csn": ""}, {}, {"csn": 1234},
                                  ["04A23B1C5D8000"]])
def test_a_malformed_read_is_400_and_changes_nothing(device, station, body):
    device.post(URL, {"csn": "DEADBEEF"})
    response = device.http.post(URL, json.dumps(body),
                                content_type="application/json", headers=device.headers)
    assert response.status_code == 400 and response.json()["detail"]
    assert Station.objects.get(pk=station.pk).last_badge == "DEADBEEF"


def test_only_post(device):
    assert device.get(URL).status_code == 405


# --- the CLI, over real HTTP -------------------------------------------------------------------

@pytest.fixture
def token_file(tmp_path, station):
    path = tmp_path / "token"
    path.write_text(station.token + "\n")
    return path


@pytest.mark.django_db(transaction=True)
def test_the_badge_command_sends_one_read(live_server, station, token_file, capsys):
    call_command("station", "badge", "--server", live_server.url, "--token-file",
                 str(token_file), "--csn", "04 a2 3b 1c 5d 80 00")
    station.refresh_from_db()
    assert station.last_badge == "04A23B1C5D8000" and station.last_badge_at is not None
    assert "Badge 04A23B1C5D8000 sent." in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_badge_command_reports_a_refused_read(live_server, station, token_file):
    with pytest.raises(CommandError, match=r"400: .*is not a chip serial number"):
        call_command("station", "badge", "--server", live_server.url, "--token-file",
                     str(token_file), "--csn", "nope")
    services.revoke_station(station, Actor.system())
    with pytest.raises(CommandError, match="401"):
        call_command("station", "badge", "--server", live_server.url, "--token-file",
                     str(token_file), "--csn", "04A23B1C5D8000")
    assert Station.objects.get(pk=station.pk).last_badge_at is None


def test_a_missing_token_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("station", "badge", "--server", "http://127.0.0.1:9",
                     "--token-file", str(tmp_path / "missing"), "--csn", "04A23B1C5D8000")
