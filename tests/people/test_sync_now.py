"""The sources page's "Sync this source now": queued for the worker, said to be queued (not
done), done once the worker ran it; admins only."""

import pytest
from django.test import Client

from campuscard.core.worker import Worker
from campuscard.people.models import Person, SourceState

from .test_csv_rules_faces import csv_setup  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

ROW = "a1@univ-a.fr,Ana,Silva,a1@univ-a.fr,student,student,2026,\n"


def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_the_button_queues_the_sync_and_the_page_tells_the_truth(csv_setup, admin_user):  # noqa: F811
    csv_setup([ROW])
    client = admin_client(admin_user)
    response = client.post("/manage/sources/sis/sync/", follow=True)
    page = response.content.decode()
    assert "queued" in page and "Queued: waiting for the worker." in page
    assert not Person.objects.exists() and not SourceState.objects.filter(source="sis").exists()
    again = client.post("/manage/sources/sis/sync/", follow=True).content.decode()
    assert "already waiting" in again

    Worker(interval=0).run_once()
    assert Person.objects.get(eppn="a1@univ-a.fr").first_name == "Ana"
    page = client.get("/manage/sources/").content.decode()
    assert "Queued: waiting for the worker." not in page and "Sync this source now" in page
    assert SourceState.objects.get(source="sis").last_run_at is not None


def test_only_admins_sync_and_only_known_sources(csv_setup, admin_user, manager_a):  # noqa: F811
    csv_setup([ROW])
    manager = Client()
    manager.force_login(manager_a)
    assert manager.post("/manage/sources/sis/sync/").status_code == 403
    client = admin_client(admin_user)
    assert client.post("/manage/sources/nope/sync/").status_code == 404
    assert client.get("/manage/sources/sis/sync/").status_code == 405
