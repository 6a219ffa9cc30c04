"""Single logout: our sessions remembered under the SSO's id for them (a CAS service ticket…),
so that when the SSO says that session is over, ours ends too."""

import datetime
import hashlib
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from campuscard.accounts.models import SignOnSession


def digest(sso_id):
    return hashlib.sha256(sso_id.encode()).hexdigest()


def remember_session(request, method, sso_id):
    """After login(): this request's session is the one `sso_id` names for `method`."""
    session_key = request.session.session_key
    if not session_key:
        return
    forget_ended_sessions()
    SignOnSession.objects.create(method=method.name, sso_digest=digest(sso_id),
                                 session_key=session_key)


def end_sessions(method, sso_id):
    """Ends our sessions that `sso_id` names for `method`; how many were known."""
    known = SignOnSession.objects.filter(method=method.name, sso_digest=digest(sso_id))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(known.values_list("session_key", flat=True))
    for session_key in keys:
        store(session_key=session_key).delete()
    known.delete()
    return len(keys)


def forget_ended_sessions():
    """Sessions older than their longest life have ended anyway."""
    ended = timezone.now() - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    SignOnSession.objects.filter(created_at__lt=ended).delete()
