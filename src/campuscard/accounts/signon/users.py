"""From what a protocol says about someone to our account: the user name, the account, and the
attributes kept on the request for finish.py (roles) once the login succeeds."""

import logging
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from campuscard.people.sources.fields import MULTI_SEPARATOR

logger = logging.getLogger("campuscard.signon")
_USERNAME = re.compile(r"^[^\s\x00-\x1f]{1,150}$")


@dataclass
class SignOn:
    """Kept on the request during a successful sign-on."""

    method: str
    record: dict                                # name in the role rules -> "v1;v2"
    kept: dict = field(default_factory=dict)    # what logout needs later (e.g. an id token)


def username_for(method, principal, attributes):
    """The account's user name (an eppn): the protocol's id or the configured attribute, lower
    case, with the method's suffix when it has no domain; None when there is none usable."""
    value = principal
    if method.username_attribute:
        values = values_of(attributes, method.username_attribute)
        value = values[0] if values else ""
    value = (value or "").strip().lower()
    if value and "@" not in value and method.username_suffix:
        value += method.username_suffix.lower()
    return value if _USERNAME.match(value) else None


def values_of(attributes, name):
    value = attributes.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)] if str(value) != "" else []


def rule_record(method, attributes):
    """The attributes under the names the role rules use (method.attributes)."""
    return {rule_name: MULTI_SEPARATOR.join(values_of(attributes, protocol_name))
            for rule_name, protocol_name in method.attributes.items()}


def sign_on_user(request, method, principal, attributes, kept=None):
    """The active account for someone the protocol has vouched for, created on first sign-on
    (with no usable password); None when no user name can be made or the account is off."""
    username = username_for(method, principal, attributes)
    if username is None:
        logger.warning("sign-on %s: no usable user name in the answer", method.name)
        return None
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_active:
        return None
    if request is not None:
        request.campuscard_signon = SignOn(method.name, rule_record(method, attributes),
                                           dict(kept or {}))
    return user


class SignOnBackend(BaseBackend):
    """Base of the SSO backends: the session's user is read back like ModelBackend does; each
    protocol's authenticate() ends in sign_on_user()."""

    def get_user(self, user_id):
        return get_user_model().objects.filter(pk=user_id, is_active=True).first()
