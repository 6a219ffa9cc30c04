"""Registering stations, sending cards to them, leasing and reporting jobs."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry
from campuscard.stations import services
from campuscard.stations.models import JobStatus, PrintJob, Station
from tests.conftest import actor, card_in_state, make_staff


def test_the_token_is_kept_as_a_hash_and_finds_its_station(station):
    stored = Station.objects.get(pk=station.pk)
    assert station.token.startswith(f"st_{stored.token_prefix}_")
    assert station.token not in (stored.token_hash, stored.token_prefix)
    assert services.find_station(station.token) == station
    assert services.find_station(station.token[:-1] + "x") is None
    services.revoke_station(station, Actor.system())
    assert services.find_station(station.token) is None
    assert AuditEntry.objects.filter(action="station.revoked").count() == 1
    assert station.token not in str(list(AuditEntry.objects.values("before", "after")))


def test_send_to_print_moves_cards_to_in_print_and_queues_them(queued, checked_cards):
    assert [job.status for job in queued] == [JobStatus.QUEUED] * 2
    assert {Card.objects.get(pk=c.pk).state for c in checked_cards} == {State.IN_PRINT}
    assert AuditEntry.objects.filter(action="print_job.queued").count() == 2


def test_a_card_of_another_establishment_leaves_the_selection_unchanged(
        checked_cards, station, manager_a, student_b, manager_b):
    theirs = card_in_state(student_b, State.REQUEST_CHECKED, manager_b)
    with pytest.raises(ValidationError, match="does not serve"):
        services.send_to_print([checked_cards[0], theirs], station, actor(manager_a))
    assert Card.objects.get(pk=checked_cards[0].pk).state == State.REQUEST_CHECKED
    assert not PrintJob.objects.exists()


def test_a_card_in_another_state_is_refused(checked_cards, station, manager_a):
    first = services.send_to_print([checked_cards[0]], station, actor(manager_a))[0]
    with pytest.raises(ValidationError, match="only a checked request"):
        services.send_to_print([checked_cards[1], first.card], station, actor(manager_a))
    assert Card.objects.get(pk=checked_cards[1].pk).state == State.REQUEST_CHECKED
    assert PrintJob.objects.count() == 1


def test_a_manager_not_allowed_on_the_station_is_refused(checked_cards, station, est_a):
    other = make_staff("manager-a2", "manager", [est_a])
    with pytest.raises(ValidationError, match="may not send"):
        services.send_to_print(checked_cards, station, actor(other))
    assert not PrintJob.objects.exists()


def test_jobs_are_leased_oldest_first_and_once(queued, station):
    first = services.lease_next_job(station)
    second = services.lease_next_job(station)
    assert [first.pk, second.pk] == [queued[0].pk, queued[1].pk]
    assert first.status == JobStatus.LEASED and first.attempts == 1
    assert services.lease_next_job(station) is None


def test_a_station_sees_only_its_own_queue(queued, second_station):
    assert services.lease_next_job(second_station) is None


def test_a_job_whose_lease_ran_out_is_leased_again(queued, station, settings):
    job = services.lease_next_job(station)
    services.lease_next_job(station)
    later = timezone.now() + timedelta(seconds=settings.CAMPUSCARD_PRINT_LEASE_SECONDS + 1)
    again = services.lease_next_job(station, now=later)
    assert again.pk == job.pk and again.attempts == 2
    assert AuditEntry.objects.filter(action="print_job.lease_expired").count() == 1


def test_a_card_taken_back_from_print_is_dropped_from_the_queue(queued, station, manager_a):
    from campuscard.cards import services as card_services

    card_services.change_state(queued[0].card, State.REQUEST_CHECKED, actor(manager_a))
    assert services.lease_next_job(station).pk == queued[1].pk
    assert PrintJob.objects.get(pk=queued[0].pk).status == JobStatus.CANCELED


def test_report_printed_moves_the_card_and_freezes_what_was_printed(queued, station, student):
    job = services.lease_next_job(station)
    services.report_printed(station, job.pk, Actor.device(station, "192.0.2.7"))
    job.refresh_from_db()
    card = Card.objects.get(pk=job.card_id)
    assert card.state == State.PRINTED and job.status == JobStatus.PRINTED
    assert job.printed_values["last_name"] == "MARTIN"  # as the card prints it
    assert job.printed_values["escn"] == str(card.escn)
    assert job.printed_values["establishment"] == "Université A"
    [card_print] = card.prints.all()  # one print, the one the card is reprinted from
    assert card_print.values == job.printed_values and card_print.printed_by == job.asked_by
    entry = AuditEntry.objects.get(action="card.printed", card_id=card.pk)
    assert entry.actor is None and entry.actor_label == "station:Office A"
    assert entry.ip == "192.0.2.7"


def test_report_failed_keeps_the_message_and_the_card_in_print(queued, station, manager_a):
    job = services.lease_next_job(station)
    services.report_failed(station, job.pk, "Ribbon empty", Actor.device(station))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.failure_message == "Ribbon empty"
    assert Card.objects.get(pk=job.card_id).state == State.IN_PRINT
    again = services.print_again(job, actor(manager_a))
    assert again.status == JobStatus.QUEUED and again.card_id == job.card_id


def test_a_station_cannot_report_on_a_job_it_does_not_hold(queued, station, second_station):
    with pytest.raises(services.JobRefused):
        services.report_printed(station, queued[0].pk, Actor.device(station))
    job = services.lease_next_job(station)
    with pytest.raises(PrintJob.DoesNotExist):
        services.report_printed(second_station, job.pk, Actor.device(second_station))
    assert Card.objects.get(pk=job.card_id).state == State.IN_PRINT
