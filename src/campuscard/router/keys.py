"""API keys of the router service, one organisation (PIC) each. Keys look like
escr_<prefix>_<secret>; only their SHA-256 is stored, and the prefix finds the row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.core import audit, tokens
from campuscard.core.actors import Actor
from campuscard.core.validators import validate_pic
from campuscard.router.models import Organisation, RouterKey

SCHEME = "escr"


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
        prefix, plaintext = tokens.new_token(
            SCHEME, lambda taken: RouterKey.objects.filter(prefix=taken).exists())
        key = RouterKey.objects.create(organisation=organisation, name=name, prefix=prefix,
                                       key_hash=tokens.hash_token(plaintext))
        audit.record("router_key.issued", Actor.system(), key, after=describe(key))
    return plaintext


def find_key(plaintext):
    """The active key `plaintext` is (its organisation loaded), or None."""
    prefix = tokens.token_prefix(SCHEME, plaintext)
    if prefix is None:
        return None
    key = (RouterKey.objects.select_related("organisation")
           .filter(prefix=prefix, revoked_at__isnull=True).first())
    if key is None or not tokens.matches(key.key_hash, plaintext):
        return None
    return key


def touch(key, now=None):
    tokens.touch(key, now)


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
