"""The authentication backend of the OIDC methods: authenticate(request, oidc_method=NAME) on
the provider's callback request."""

import logging

from django.utils.translation import gettext_lazy as _

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.oidc import flow
from campuscard.accounts.signon.users import SignOnBackend, sign_on_user, values_of

logger = logging.getLogger("campuscard.signon")
# `sub` is an opaque number at most providers: the user name is the eppn unless configured.
DEFAULT_USERNAME_CLAIM = "eduperson_principal_name"
NO_ACCOUNT = _("%(label)s said who you are, but CampusCard cannot give you an account from it. "
               "Contact the card office.")


class OIDCBackend(SignOnBackend):
    def authenticate(self, request, oidc_method=None, **kwargs):
        if not oidc_method or request is None:
            return None
        method = _method(oidc_method)
        if method is None:
            return None
        try:
            claims, id_token = flow.verified_claims(request, method)
        except flow.Refused as refusal:
            request.campuscard_signon_error = refusal.message
            return None
        user = None
        if not _unverified_email_named(method, claims):
            principal = values_of(claims, DEFAULT_USERNAME_CLAIM)
            user = sign_on_user(request, method, principal[0] if principal else "", claims,
                                kept={"id_token": id_token})
        if user is None:
            request.campuscard_signon_error = NO_ACCOUNT % {"label": method.label}
        return user


def _method(name):
    try:
        method = signon_config.load().method(name)
    except signon_config.ConfigError:
        logger.exception("sign-on file unreadable at an OIDC callback")
        return None
    return method if method is not None and method.kind == "oidc" else None


def _unverified_email_named(method, claims):
    """A user name taken from an e-mail address the provider says it has not verified."""
    if method.username_attribute != "email" or claims.get("email_verified") is not False:
        return False
    logger.warning("sign-on %s: the e-mail address is not verified", method.name)
    return True
