"""Secrets kept in the database are sealed: a dump shows no key, the app reads them in clear."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from campuscard.core import sealing
from campuscard.institutions.models import Establishment

KEY = "escr_0123abcd_" + "k" * 40


def _stored_key(establishment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT esc_router_key FROM institutions_establishment WHERE id = %s",
                       [establishment.pk])
        return cursor.fetchone()[0]


def test_the_router_key_is_sealed_in_the_database(est_a):
    est_a.esc_router_key = KEY
    est_a.save()
    stored = _stored_key(est_a)
    assert KEY not in stored and sealing.is_sealed(stored)
    assert Establishment.objects.get(pk=est_a.pk).esc_router_key == KEY


def test_no_key_stays_empty_and_can_be_queried(est_a, est_b):
    est_a.esc_router_key = KEY
    est_a.save()
    assert _stored_key(est_b) == ""
    assert list(Establishment.objects.exclude(esc_router_key="")) == [est_a]


def test_seals_differ_each_time():
    assert sealing.seal(KEY) != sealing.seal(KEY)
    assert sealing.unseal(sealing.seal(KEY)) == KEY


def test_a_value_in_clear_or_under_another_key_is_refused(settings):
    with pytest.raises(ImproperlyConfigured, match="not sealed"):
        sealing.unseal(KEY)
    sealed = sealing.seal(KEY)
    settings.CAMPUSCARD_SEALING_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be opened"):
        sealing.unseal(sealed)


def test_rotation_reseals_with_the_newest_key(est_a, settings):
    old = Fernet.generate_key().decode()
    settings.CAMPUSCARD_SEALING_KEYS = [old]
    est_a.esc_router_key = KEY
    est_a.save()
    new = Fernet.generate_key().decode()
    settings.CAMPUSCARD_SEALING_KEYS = [new, old]
    call_command("reseal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.CAMPUSCARD_SEALING_KEYS = [new]
    assert Establishment.objects.get(pk=est_a.pk).esc_router_key == KEY


def test_the_migration_seals_keys_stored_in_clear(est_a):
    from importlib import import_module

    migration = import_module("campuscard.institutions.migrations.0004_seal_router_key")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE institutions_establishment SET esc_router_key = %s WHERE id = %s",
                       [KEY, est_a.pk])

    class Editor:
        pass

    Editor.connection = connection
    migration.seal_keys_in_clear(None, Editor)
    assert sealing.is_sealed(_stored_key(est_a))
    assert Establishment.objects.get(pk=est_a.pk).esc_router_key == KEY
