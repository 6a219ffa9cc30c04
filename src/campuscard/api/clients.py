"""Creating, revoking and recognising API clients. Tokens look like cc_<prefix>_<secret>."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.api.models import ApiClient, ApiScope
from campuscard.core import audit, tokens
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment

SCHEME = "cc"


def find_client(token):
    """The active client owning `token`, or None."""
    prefix = tokens.token_prefix(SCHEME, token)
    if prefix is None:
        return None
    candidates = ApiClient.objects.filter(token_prefix=prefix, revoked_at__isnull=True)
    return next((client for client in candidates if tokens.matches(client.token_hash, token)),
                None)


def touch(client, now=None):
    tokens.touch(client, now)


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
        prefix, token = tokens.new_token(
            SCHEME, lambda taken: ApiClient.objects.filter(token_prefix=taken).exists())
        client = ApiClient.objects.create(
            name=name, token_prefix=prefix, token_hash=tokens.hash_token(token), scopes=scopes,
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
