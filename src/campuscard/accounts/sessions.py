"""Session lifetime and idle time: a session ends CAMPUSCARD_SESSION_MAX_AGE_MINUTES after the
login, or CAMPUSCARD_SESSION_IDLE_MINUTES after its last request, whichever comes first. The
request that finds it ended is served logged out: the pages that need a login send it to the
login page, with a message saying why; the public pages and the token API answer as usual."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _

LOGGED_IN_AT = "campuscard_logged_in_at"
SEEN_AT = "campuscard_seen_at"
# The last-seen time is written at most this often, not on every request (seconds).
SEEN_RESOLUTION = 60


def _now():
    return timezone.now().timestamp()


def start_clock(sender, request, user, **kwargs):
    """At login (user_logged_in): the session's lifetime and idle time start now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGGED_IN_AT] = session[SEEN_AT] = _now()


def ended(session, now):
    """Why the session is over (a translated sentence), or None while it goes on."""
    logged_in_at = session.get(LOGGED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if logged_in_at is None or seen_at is None:
        return _("Your session has ended. Please log in again.")
    if now - logged_in_at > settings.CAMPUSCARD_SESSION_MAX_AGE_MINUTES * 60:
        return _("Your session has ended. Please log in again.")
    if now - seen_at > settings.CAMPUSCARD_SESSION_IDLE_MINUTES * 60:
        return _("You were logged out after a while without activity. Please log in again.")
    return None


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie there is no session to end: leave it untouched (a public
        # answer must not vary on cookies).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = _now()
            reason = ended(request.session, now)
            if reason:
                logout(request)
                messages.info(request, reason)
            elif now - request.session[SEEN_AT] >= SEEN_RESOLUTION:
                request.session[SEEN_AT] = now
        return self.get_response(request)
