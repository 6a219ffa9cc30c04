"""Secrets the instance must use but never keep in clear (keys it presents to other systems):
sealed with Fernet (AES-128-CBC + HMAC-SHA256) before they reach the database.

The sealing keys come from `CAMPUSCARD_SEALING_KEYS` (comma-separated Fernet keys, newest
first, or `CAMPUSCARD_SEALING_KEYS_FILE`); without it, one key is derived from the Django secret
key (HKDF-SHA256), which lives in `$CAMPUSCARD_HOME/secret_key` or the environment, never in
the database. A database dump alone therefore reveals no secret. To rotate: put a new key first,
keep the old ones after it, and run `campuscard reseal`.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "sealed:"


@functools.cache
def _fernet(keys, secret_key):
    if not keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"campuscard sealing key").derive(secret_key.encode())
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("CAMPUSCARD_SEALING_KEYS must hold Fernet keys "
                                   "(32 url-safe base64 bytes each)") from exc


def _current():
    return _fernet(tuple(settings.CAMPUSCARD_SEALING_KEYS), settings.SECRET_KEY)


def is_sealed(stored):
    return isinstance(stored, str) and stored.startswith(PREFIX)


def seal(plain):
    """The stored form of `plain` ('' stays '', so "no secret" can still be queried)."""
    if not plain:
        return ""
    return PREFIX + _current().encrypt(plain.encode()).decode()


def unseal(stored):
    if not stored:
        return ""
    if not is_sealed(stored):
        raise ImproperlyConfigured("a secret in the database is not sealed")
    try:
        return _current().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("a sealed secret cannot be opened with the configured "
                                   "sealing keys (CAMPUSCARD_SEALING_KEYS)") from exc


class SealedCharField(models.CharField):
    """A CharField whose value is sealed in the database and plain in Python. Only emptiness
    can be queried (`field=""`); anything else would compare sealed tokens."""

    def get_internal_type(self):
        return "TextField"  # a sealed value is longer than max_length, which bounds the plain one

    def from_db_value(self, value, expression, connection):
        return unseal(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if is_sealed(value) else seal(value)
