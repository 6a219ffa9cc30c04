"""API keys of the router service, one organisation (PIC) each. Keys look like
escr_<prefix>_<secret>; only their SHA-256 is stored, and the prefix finds the row."""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.core.validators import validate_pic
from campuscard.router.models import Organisation, RouterKey

KEY_RE = re.compile(r"^escr_([0-9a-f]{8})_([A-Za-z0-9_-]{32,})$")
# last_used_at is only this precise, so that a busy caller does not write on every request.
USE_RESOLUTION = timedelta(minutes=1)


def hash_key(plaintext):
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_key():
    """A fresh (prefix, key) whose prefix no key uses yet."""
    while True:
        prefix = secrets.token_hex(4)
        if not RouterKey.objects.filter(prefix=prefix).exists():
            return prefix, f"escr_{prefix}_{secrets.token_urlsafe(32)}"


def _organisation(pic, name):
    validate_pic(pic)
    organisation, _created = Organisation.objects.get_or_create(pic=pic,
                                                                defaults={"name": name})
    return organisation


def describe(key):
    """What the audit trail keeps of a key (never the key)."""
    return {"name": key.name, "prefix": key.prefix, "pic": key.organisation.pic,
            "revoked_at": key.revoked_at}


def issue_key(pic, name, organisation_name=None):
    """A new key for the organisation `pic` (created, named `organisation_name` or `name`,
    if the router does not know it yet). Returns the key: it is never shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("The key needs a name."), code="name")
    with transaction.atomic():
        organisation = _organisation(pic, (organisation_name or "").strip() or name)
        prefix, plaintext = _new_key()
        key = RouterKey.objects.create(organisation=organisation, name=name, prefix=prefix,
                                       key_hash=hash_key(plaintext))
        audit.record("router_key.issued", Actor.system(), key, after=describe(key))
    return plaintext


def find_key(plaintext):
    """The active key `plaintext` is (its organisation loaded), or None."""
    match = KEY_RE.match(plaintext or "")
    if match is None:
        return None
    key = (RouterKey.objects.select_related("organisation")
           .filter(prefix=match[1], revoked_at__isnull=True).first())
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(plaintext)):
        return None
    return key


def touch(key, now=None):
    """Record that `key` was used, at most once per USE_RESOLUTION."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_RESOLUTION)
    RouterKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def revoke_key(prefix):
    """Revoke the active key whose prefix is `prefix`: it stops working at once."""
    with transaction.atomic():
        key = (RouterKey.objects.select_for_update().select_related("organisation")
               .filter(prefix=prefix, revoked_at__isnull=True).first())
        if key is None:
            raise ValidationError(_("No active router key has the prefix “%(prefix)s”.")
                                  % {"prefix": prefix}, code="unknown")
        before = describe(key)
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record("router_key.revoked", Actor.system(), key, before=before,
                     after=describe(key))
    return key
