"""After any successful login (user_logged_in): sync the person from the sources, link them to
the account, refresh the roles their sign-on attributes give, and remember the method so the
logout can end its SSO session too."""

import logging

from django.conf import settings

from campuscard.core import audit
from campuscard.core.actors import Actor, client_ip
from campuscard.people import roles
from campuscard.people.models import Person
from campuscard.people.sources.sync import sync_person

logger = logging.getLogger("campuscard.signon")
METHOD_KEY = "campuscard_signon_method"
KEPT_KEY = "campuscard_signon_kept"


def finish_sign_on(sender, request, user, **kwargs):
    sign_on = getattr(request, "campuscard_signon", None) if request is not None else None
    session = getattr(request, "session", None)
    if session is not None:
        session[METHOD_KEY] = sign_on.method if sign_on else "password"
        session[KEPT_KEY] = sign_on.kept if sign_on else {}
    sync_at_sign_on(user)
    link_person(request, user)
    if sign_on is not None:
        roles.refresh_sign_on_roles(user, sign_on.method, sign_on.record)


def sync_at_sign_on(user):
    """Sync that person first, briefly; a failure never blocks the login."""
    if not settings.CAMPUSCARD_SOURCES_FILE:
        return
    eppn = (Person.objects.filter(user=user).values_list("eppn", flat=True).first()
            or user.get_username())
    if "@" not in eppn:
        return
    try:
        result = sync_person(eppn, timeout=settings.CAMPUSCARD_SYNC_LOGIN_TIMEOUT)
    except Exception:  # a sign-on goes on whatever the sources do
        logger.exception("sync at sign-on of %s failed", eppn)
        return
    if result.stopped:
        logger.warning("sync at sign-on of %s: %s", eppn, result.stopped)


def link_person(request, user):
    """The person whose eppn is the user name, not yet linked to an account, is now this one's."""
    if Person.objects.filter(user=user).exists():
        return
    linked = Person.objects.filter(eppn=user.get_username().lower(), user__isnull=True).update(
        user=user)
    if linked:
        person = Person.objects.get(user=user)
        actor = Actor(user=user, ip=client_ip(request) if request is not None else None)
        audit.record("person.account_linked", actor, person, person=person,
                     after={"user": user.get_username()})
