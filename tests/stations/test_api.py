"""The station API: the device token, the long-poll, the PDF, the reports."""

import time
from datetime import timedelta

import pypdfium2
import pytest
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import services
from campuscard.stations.models import JobStatus, PrintJob
from tests.stations.conftest import Device

NEXT = "/stations/api/next"


@pytest.mark.parametrize("token", [None, "st_00000000_" + "a" * 43, "nonsense"])
def test_no_or_an_unknown_token_is_401(db, token):
    response = Device(token).get(NEXT)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_401(station, device):
    assert device.post("/stations/api/heartbeat").status_code == 200
    services.revoke_station(station, Actor.system())
    assert device.get(NEXT).status_code == 401


def test_the_long_poll_answers_204_after_the_wait_when_nothing_is_queued(station, device):
    started = time.monotonic()
    response = device.get(NEXT, {"wait": 1})
    assert response.status_code == 204
    assert time.monotonic() - started >= 1


def test_next_leases_a_job_and_gives_its_pdf(queued, device, student):
    response = device.get(NEXT, {"wait": 0})
    assert response.status_code == 200
    job = response.json()
    assert job["job"] == queued[0].pk
    assert job["card"]["last_name"] == "Martin" and job["card"]["first_name"] == "Alice"
    assert job["lease_until"] and job["attempts"] == 1
    pdf = device.get(job["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pypdfium2.PdfDocument(pdf.content)) == 2


def test_another_station_gets_404_for_the_job(queued, device, second_station):
    job = device.get(NEXT).json()
    other = Device(second_station.token)
    assert other.get(job["pdf"]).status_code == 404
    assert other.post(f"/stations/api/jobs/{job['job']}/printed").status_code == 404
    assert other.post(f"/stations/api/jobs/{job['job']}/failed", {"message": "x"}
                      ).status_code == 404


def test_printed_moves_the_card_to_printed(queued, device):
    job = device.get(NEXT).json()
    response = device.post(f"/stations/api/jobs/{job['job']}/printed")
    assert response.status_code == 200 and response.json()["status"] == "printed"
    assert Card.objects.get(pk=job["card"]["card_id"]).state == State.PRINTED
    again = device.post(f"/stations/api/jobs/{job['job']}/printed")
    assert again.status_code == 409
    assert device.get(job["pdf"]).status_code == 404  # no longer leased


def test_failed_keeps_the_printers_message(queued, device):
    job = device.get(NEXT).json()
    response = device.post(f"/stations/api/jobs/{job['job']}/failed",
                           {"message": "Card jam in the feeder"})
    assert response.status_code == 200
    stored = PrintJob.objects.get(pk=job["job"])
    assert stored.status == JobStatus.FAILED and stored.failure_message == "Card jam in the feeder"


def test_a_bad_body_is_400_and_changes_nothing(queued, device):
    job = device.get(NEXT).json()
    response = device.http.post(f"/stations/api/jobs/{job['job']}/failed", b"{not json",
                                content_type="application/json", headers=device.headers)
    assert response.status_code == 400
    assert PrintJob.objects.get(pk=job["job"]).status == JobStatus.LEASED


def test_heartbeat_records_when_and_from_where(station, device):
    device.post("/stations/api/heartbeat", {"message": "ribbon 80%"})
    station.refresh_from_db()
    assert station.status_message == "ribbon 80%" and station.last_seen_ip == "127.0.0.1"
    assert services.is_online(station)
    assert not services.is_online(station, now=timezone.now() + timedelta(minutes=3))


def test_a_station_that_died_mid_job_gives_it_back_after_the_lease(queued, device, settings):
    first = device.get(NEXT).json()
    device.get(NEXT)  # the second job too: the queue is now empty
    assert device.get(NEXT).status_code == 204
    PrintJob.objects.filter(pk=first["job"]).update(
        lease_until=timezone.now() - timedelta(seconds=1))
    again = device.get(NEXT).json()
    assert again["job"] == first["job"] and again["attempts"] == 2


def test_a_card_no_template_applies_to_is_a_clear_conflict(queued, device):
    from campuscard.printing.models import CardTemplate

    CardTemplate.objects.update(active=False)
    job = device.get(NEXT, {"wait": 0}).json()
    response = device.get(job["pdf"])
    assert response.status_code == 409 and "template" in response.json()["detail"]
