"""The back-office page that imports an encoding station's CROUS CSV: taken whole or refused
whole with each line's problem; managers of the whole establishment only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campuscard.core.models import AuditEntry
from campuscard.integrations.crous.models import CrousSmartCard

from ..conftest import make_staff
from .test_records import csv, line

pytestmark = pytest.mark.django_db
URL = "/manage/crous/smartcards/import/"


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, establishment, data, **extra):
    return client.post(URL, {"establishment": establishment.pk, **extra,
                             "file": SimpleUploadedFile("crous.csv", data, "text/csv")},
                       follow=True)


def test_a_manager_imports_a_file_and_sees_what_came_in(crous_settings_a, est_a, manager_a):
    page = upload(client_of(manager_a), est_a,
                  csv(line(), line("04A1B2C3D4E5F7", "12345679"))).content.decode()
    assert "Imported: 2 new smartcard records" in page
    assert CrousSmartCard.objects.filter(establishment=est_a).count() == 2
    assert AuditEntry.objects.filter(action="crous.smartcards_imported").exists()


def test_one_bad_line_refuses_the_whole_file_and_names_the_line(crous_settings_a, est_a,
                                                                manager_a):
    page = upload(client_of(manager_a), est_a,
                  csv(line(), line(uid="XYZ", number="12345679"))).content.decode()
    assert "Nothing was imported" in page and "line 3" in page and "NUM_PROTOCOLAIRE" in page
    assert not CrousSmartCard.objects.exists()


def test_only_managers_of_the_whole_establishment_may_import(crous_settings_a, est_a, est_b,
                                                             manager_b, consultant_a,
                                                             students):
    partial = make_staff("manager-students", "manager", [est_a], [students])
    for user in (manager_b, partial):
        response = upload(client_of(user), est_a, csv(line()))
        assert "Select a valid choice" in response.content.decode() or \
            "None of the establishments" in response.content.decode()
    assert client_of(consultant_a).get(URL).status_code == 200
    assert "None of the establishments" in client_of(consultant_a).get(URL).content.decode()
    assert not CrousSmartCard.objects.exists()
