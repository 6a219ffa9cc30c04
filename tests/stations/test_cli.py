"""`campuscard station print --once --folder` against a live server: real HTTP."""

import pypdfium2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.stations.models import JobStatus, PrintJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_file(tmp_path, station):
    path = tmp_path / "token"
    path.write_text(station.token + "\n")
    return path


def test_once_prints_one_job_into_the_folder_and_reports_it(live_server, queued, token_file,
                                                           tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    call_command("station", "print", "--server", live_server.url, "--token-file",
                 str(token_file), "--folder", str(folder), "--once", "--wait", "2")
    job = PrintJob.objects.get(pk=queued[0].pk)
    written = folder / f"card-{job.card_id}-job-{job.pk}.pdf"
    assert sorted(p.name for p in folder.iterdir()) == [written.name]  # no partial file left
    pdf = pypdfium2.PdfDocument(written.read_bytes())  # the card as the renderer made it
    assert len(pdf) == 2  # front, back
    width, height = pdf[0].get_size()
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    assert job.status == JobStatus.PRINTED
    assert Card.objects.get(pk=job.card_id).state == State.PRINTED
    assert PrintJob.objects.get(pk=queued[1].pk).status == JobStatus.QUEUED
    assert "printed" in capsys.readouterr().out


def test_once_with_nothing_queued_says_so(live_server, token_file, tmp_path, capsys):
    call_command("station", "print", "--server", live_server.url, "--token-file",
                 str(token_file), "--folder", str(tmp_path), "--once", "--wait", "0")
    assert "No job came." in capsys.readouterr().out


def test_a_failing_printer_reports_its_message(live_server, queued, token_file, tmp_path,
                                               monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lp = bin_dir / "lp"
    lp.write_text("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n")
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    call_command("station", "print", "--server", live_server.url, "--token-file",
                 str(token_file), "--printer", "nowhere", "--once", "--wait", "1")
    job = PrintJob.objects.get(pk=queued[0].pk)
    assert job.status == JobStatus.FAILED
    assert job.failure_message == "lp: The printer or class does not exist."
    assert Card.objects.get(pk=job.card_id).state == State.IN_PRINT


def test_a_revoked_token_stops_the_once_run(live_server, station, token_file, tmp_path):
    from campuscard.core.actors import Actor
    from campuscard.stations import services

    services.revoke_station(station, Actor.system())
    with pytest.raises(CommandError, match="401"):
        call_command("station", "print", "--server", live_server.url, "--token-file",
                     str(token_file), "--folder", str(tmp_path), "--once")


def test_register_prints_the_token_once(est_a, manager_a, capsys):
    call_command("station", "register", "--name", "Desk 2", "--establishment", est_a.code,
                 "--printer-model", "Evolis Primacy 2", "--allow", manager_a.username)
    token = capsys.readouterr().out.strip().splitlines()[-1]
    from campuscard.stations.services import find_station

    assert find_station(token).name == "Desk 2"
