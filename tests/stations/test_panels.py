"""The YMCKO panels through the station API (a zip of PNGs), and `campuscard station print
--panels DIR` writing them over real HTTP."""

import io
import zipfile

import pytest
from django.core.management import call_command
from PIL import Image

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.printing.models import CardTemplate
from campuscard.stations.models import JobStatus, PrintJob
from tests.stations.conftest import Device

NEXT = "/stations/api/next"
PANELS = ["front-color.png", "front-black.png", "front-overlay.png", "back-color.png",
          "back-black.png"]


def test_the_panels_are_a_zip_of_named_pngs_at_the_cards_size(queued, device):
    job = device.get(NEXT, {"wait": 0}).json()
    assert job["panels"].endswith(f"/stations/api/jobs/{job['job']}/panels")
    answer = device.get(job["panels"])
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.namelist() == PANELS
        images = {name: Image.open(io.BytesIO(archive.read(name))) for name in PANELS}
    assert {image.size for image in images.values()} == {(1011, 638)}
    assert images["front-black.png"].mode == "1" and images["front-overlay.png"].mode == "1"
    assert images["front-color.png"].mode == "RGB"
    assert PrintJob.objects.get(pk=job["job"]).status == JobStatus.LEASED  # nothing reported


def test_the_panels_need_the_token_and_the_lease(queued, device, second_station):
    job = device.get(NEXT, {"wait": 0}).json()
    assert Device(None).get(job["panels"]).status_code == 401
    assert Device("st_00000000_" + "a" * 43).get(job["panels"]).status_code == 401
    assert Device(second_station.token).get(job["panels"]).status_code == 404
    assert device.get(f"/stations/api/jobs/{queued[1].pk}/panels").status_code == 404  # queued


def test_no_template_is_a_clear_409(queued, device):
    job = device.get(NEXT, {"wait": 0}).json()
    CardTemplate.objects.update(active=False)
    answer = device.get(job["panels"])
    assert answer.status_code == 409 and "No card template" in answer.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_the_station_client_writes_the_panels_into_a_folder(live_server, queued, station,
                                                             tmp_path, capsys):
    token_file = tmp_path / "token"
    token_file.write_text(station.token)
    folder = tmp_path / "panels"
    folder.mkdir()
    call_command("station", "print", "--server", live_server.url, "--token-file",
                 str(token_file), "--panels", str(folder), "--once", "--wait", "2")
    job = PrintJob.objects.get(pk=queued[0].pk)
    prefix = f"card-{job.card_id}-job-{job.pk}-"
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        prefix + name for name in PANELS)  # and no partial file left
    assert Image.open(folder / f"{prefix}front-color.png").size == (1011, 638)
    assert job.status == JobStatus.PRINTED
    assert Card.objects.get(pk=job.card_id).state == State.PRINTED
    assert "printed" in capsys.readouterr().out
