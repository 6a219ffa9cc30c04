"""The authorization code flow with one provider: where to send the browser, what the callback
proves (the ID token checked through Authlib: signature by the provider's published keys,
issuer, audience, expiry, nonce; state and PKCE), and where the logout goes."""

import logging

import requests
from authlib.integrations.django_client import OAuthError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from campuscard.accounts.signon.config import ConfigError
from campuscard.accounts.signon.oidc.client import IssuerMismatch, client_for, provider_metadata

logger = logging.getLogger("campuscard.signon")
# Clock difference tolerated between the provider and us when checking the ID token's times.
LEEWAY = 60
# Whatever the provider or the network does wrong (an answer that is not the JSON expected
# included) ends here, never in a server error.
PROVIDER_FAILURES = (requests.RequestException, ValueError, TypeError, LookupError,
                     RuntimeError, IssuerMismatch)

UNAVAILABLE = _("Logging in with %(label)s is not possible just now. Try again later, or "
                "contact the card office.")
DECLINED = _("You did not let %(label)s tell CampusCard who you are, so you are not logged in.")
STALE = _("This log-in with %(label)s did not start here or took too long. Please try again.")
REFUSED = _("%(label)s did not log you in. Please try again.")
UNVERIFIED = _("The answer from %(label)s could not be verified, so you are not logged in.")


class Refused(Exception):
    def __init__(self, message, method):
        super().__init__(str(message))
        self.message = message % {"label": method.label}


def authorization_url(request, method, next_url):
    """Where the browser goes to log in at the provider; the state, nonce and PKCE verifier (and
    where to go afterwards) wait in the session for the callback."""
    redirect_uri = request.build_absolute_uri(
        reverse("signon:oidc:callback", args=[method.name]))
    try:
        client = client_for(method)
        provider_metadata(client, method)
        authorization = client.create_authorization_url(redirect_uri)
    except ConfigError:
        logger.exception("sign-on %s: cannot configure the client", method.name)
        raise Refused(UNAVAILABLE, method) from None
    except PROVIDER_FAILURES as exc:
        logger.warning("sign-on %s: the provider's metadata is unusable (%s)", method.name, exc)
        raise Refused(UNAVAILABLE, method) from None
    url = authorization.pop("url")
    client.save_authorize_data(request, redirect_uri=redirect_uri, next=next_url,
                               **authorization)
    return url


def next_url_of(request, method):
    """Where to go after this callback's login, as the login view kept it ('' when unknown)."""
    try:
        client = client_for(method)
    except ConfigError:
        return ""
    data = client.framework.get_state_data(request.session, request.GET.get("state"))
    return (data or {}).get("next", "")


def verified_claims(request, method):
    """(claims, id_token) for the person the provider vouches for in this callback: the ID
    token's claims, completed by the userinfo endpoint's. Raises Refused."""
    try:
        client = client_for(method)
        metadata = provider_metadata(client, method)
        token = client.authorize_access_token(
            request, claims_options=id_token_options(method, metadata), leeway=LEEWAY)
        claims = dict(token.get("userinfo") or {})
        if not claims:  # no ID token at all: nothing says who this is
            raise Refused(UNVERIFIED, method)
        if method.options.get("userinfo", True) and metadata.get("userinfo_endpoint"):
            claims.update(_userinfo(client, token, claims["sub"], method))
    except OAuthError as exc:
        raise _refusal(exc, method) from None
    except JoseError as exc:
        logger.warning("sign-on %s: ID token refused (%s)", method.name, exc.error)
        raise Refused(UNVERIFIED, method) from None
    except ConfigError:
        logger.exception("sign-on %s: cannot configure the client", method.name)
        raise Refused(UNAVAILABLE, method) from None
    except PROVIDER_FAILURES as exc:
        logger.warning("sign-on %s: the provider failed (%s)", method.name, exc)
        raise Refused(UNAVAILABLE, method) from None
    return claims, token["id_token"]


def id_token_options(method, metadata):
    """What the ID token must say: issued by that provider, for this client."""
    return {"iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": method.options["client_id"]}}


def _userinfo(client, token, subject, method):
    info = client.userinfo(token=token)
    if info.get("sub") != subject:  # OIDC Core 5.3.2: it must be about the same person
        logger.warning("sign-on %s: the userinfo is about another subject", method.name)
        raise Refused(UNVERIFIED, method)
    return info


def _refusal(exc, method):
    if exc.error == "access_denied":
        return Refused(DECLINED, method)
    if exc.error == "mismatching_state":
        logger.warning("sign-on %s: callback with an unknown state", method.name)
        return Refused(STALE, method)
    logger.warning("sign-on %s: the provider refused (%s)", method.name, exc.error)
    return Refused(REFUSED, method)


def end_session_url(request, method, id_token):
    """The provider's end-session endpoint (RP-initiated logout), coming back to our login page;
    None when the provider has none."""
    try:
        client = client_for(method)
        endpoint = provider_metadata(client, method).get("end_session_endpoint")
        if not endpoint:
            return None
        back = request.build_absolute_uri(reverse("login"))
        return client.create_logout_url(post_logout_redirect_uri=back,
                                        id_token_hint=id_token or None,
                                        client_id=method.options["client_id"])["url"]
    except ConfigError:
        logger.exception("sign-on %s: cannot configure the client", method.name)
    except PROVIDER_FAILURES as exc:
        logger.warning("sign-on %s: no end-session endpoint known (%s)", method.name, exc)
    return None
