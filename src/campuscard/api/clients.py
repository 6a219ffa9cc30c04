"""Creating, revoking and recognising API clients. Tokens look like cc_<prefix>_<secret>."""

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

from campuscard.api.models import ApiClient, ApiScope
from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment

TOKEN_RE = re.compile(r"^cc_([0-9a-f]{8})_([A-Za-z0-9_-]{32,})$")
# last_used_at is only precise to this much, so that a busy client does not write every time.
USE_RESOLUTION = timedelta(minutes=1)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token():
    """A fresh (prefix, token) whose prefix no client uses yet."""
    while True:
        prefix = secrets.token_hex(4)
        if not ApiClient.objects.filter(token_prefix=prefix).exists():
            return prefix, f"cc_{prefix}_{secrets.token_urlsafe(32)}"


def find_client(token):
    """The active client owning `token`, or None."""
    match = TOKEN_RE.match(token or "")
    if match is None:
        return None
    digest = hash_token(token)
    candidates = ApiClient.objects.filter(token_prefix=match[1], revoked_at__isnull=True)
    for client in candidates:
        if hmac.compare_digest(client.token_hash, digest):
            return client
    return None


def touch(client, now=None):
    """Record that `client` was used, at most once per USE_RESOLUTION."""
    now = now or timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_RESOLUTION)
    ApiClient.objects.filter(stale, pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


def describe(client):
    """What the audit trail keeps of a client (never its token)."""
    return {
        "name": client.name, "token_prefix": client.token_prefix, "scopes": client.scopes,
        "all_establishments": client.all_establishments,
        "establishments": sorted(client.establishments.values_list("code", flat=True)),
        "revoked_at": client.revoked_at,
    }


def _check_scopes(scopes):
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValidationError(_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)},
                              code="scope")
    if not scopes:
        raise ValidationError(_("Give the client at least one scope."), code="scope")


def _establishments(codes):
    found = list(Establishment.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {e.code for e in found})
    if unknown:
        raise ValidationError(_("Unknown establishment: %(codes)s.")
                              % {"codes": ", ".join(unknown)}, code="establishment")
    return found


def create_client(name, scopes, establishment_codes=(), *, all_establishments=False):
    """Create a client; returns (client, token). The token is never stored, only its hash."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("The client needs a name."), code="name")
    scopes = sorted(set(scopes))
    _check_scopes(scopes)
    establishments = _establishments(establishment_codes)
    with transaction.atomic():
        if ApiClient.objects.filter(name=name).exists():
            raise ValidationError(_("An API client with this name already exists."),
                                  code="name_taken")
        prefix, token = _new_token()
        client = ApiClient.objects.create(
            name=name, token_prefix=prefix, token_hash=hash_token(token), scopes=scopes,
            all_establishments=all_establishments,
        )
        client.establishments.set(establishments)
        audit.record("api_client.created", Actor.system(), client, after=describe(client))
    return client, token


def revoke_client(name):
    """Revoke the active client called `name`: its token stops working at once."""
    with transaction.atomic():
        client = (ApiClient.objects.select_for_update()
                  .filter(name=name, revoked_at__isnull=True).first())
        if client is None:
            raise ValidationError(_("No active API client is called “%(name)s”.")
                                  % {"name": name}, code="unknown")
        before = describe(client)
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit.record("api_client.revoked", Actor.system(), client, before=before,
                     after=describe(client))
    return client
