"""One job goes to one caller: several pollers of one station at once, on PostgreSQL with
threads (SKIP LOCKED), elsewhere one after the other."""

import threading

import pytest
from django.db import connection

from campuscard.stations import services
from tests.conftest import actor

pytestmark = pytest.mark.django_db(transaction=True)


def _lease_all_in_threads(station, pollers):
    leased, errors = [], []
    barrier = threading.Barrier(pollers)

    def poll():
        from django.db import connection as thread_connection
        try:
            barrier.wait()
            while (job := services.lease_next_job(station)) is not None:
                leased.append(job.pk)
        except Exception as exc:  # reported below, with the thread's own traceback lost
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=poll) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return leased


def test_pollers_at_once_never_get_the_same_job(station, second_station, make_checked,
                                                manager_a):
    cards = [make_checked(f"student{i}") for i in range(12)]
    jobs = services.send_to_print(cards[:8], station, actor(manager_a))
    services.send_to_print(cards[8:], second_station, actor(manager_a))
    if connection.vendor == "postgresql":
        leased = _lease_all_in_threads(station, pollers=4)
    else:
        leased = []
        while (job := services.lease_next_job(station)) is not None:
            leased.append(job.pk)
    assert sorted(leased) == sorted(job.pk for job in jobs)  # each once, none of the other's
