"""Bearer secrets shown once and kept as a hash: `<scheme>_<8 hex digits>_<secret>`.

The API's client tokens (`cc_`) and the router service's keys (`escr_`) both work this way: the
8 hex digits find the stored row, the SHA-256 of the whole token is compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

# last_used_at is only this precise, so that a busy caller does not write on every request.
USE_RESOLUTION = timedelta(minutes=1)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(scheme, prefix_taken):
    """A fresh (prefix, token) whose prefix `prefix_taken(prefix)` says no one uses yet."""
    while True:
        prefix = secrets.token_hex(4)
        if not prefix_taken(prefix):
            return prefix, f"{scheme}_{prefix}_{secrets.token_urlsafe(32)}"


def token_prefix(scheme, token):
    """The prefix of a well-formed `scheme` token, else None."""
    match = re.fullmatch(rf"{scheme}_([0-9a-f]{{8}})_[A-Za-z0-9_-]{{32,}}", token or "")
    return match[1] if match else None


def matches(stored_hash, token):
    return hmac.compare_digest(stored_hash, hash_token(token))


def touch(holder, now=None):
    """Record that `holder` (a row with last_used_at) was used, at most once per
    USE_RESOLUTION."""
    now = now or timezone.now()
    if holder.last_used_at is not None and now - holder.last_used_at < USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_RESOLUTION)
    type(holder).objects.filter(stale, pk=holder.pk).update(last_used_at=now)
    holder.last_used_at = now
