"""What the login and logout views do with the configured sign-on methods."""

import logging
from dataclasses import dataclass

from django.utils.http import url_has_allowed_host_and_scheme

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.kinds import kind_module
from campuscard.institutions.models import Establishment

logger = logging.getLogger("campuscard.signon")


@dataclass(frozen=True)
class Button:
    method: object
    url: str


@dataclass(frozen=True)
class Handover:
    url: str
    ends_local_session: bool = False  # the protocol's own view logs out here (SAML SLO)


def login_choices(request, next_url):
    """What the login page offers: the establishments to choose from, the chosen one's SSO
    buttons, and whether the password form (and for whom) is shown."""
    try:
        config = signon_config.load()
    except signon_config.ConfigError:
        logger.exception("the sign-on file does not parse: only superusers' passwords work")
        return {"signon_buttons": [], "signon_establishments": [], "signon_chosen": "",
                "signon_broken": True, "password_form_shown": True,
                "password_for_admins_only": True}
    establishments = list(Establishment.objects.order_by("name").only("code", "name"))
    codes = {e.code for e in establishments}
    chosen = request.GET.get("establishment", "")
    chosen = chosen if chosen in codes else ""
    methods = config.for_establishment(chosen or None)
    if not chosen and len(establishments) == 1:
        chosen = establishments[0].code
    safe_next = next_url if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()) else ""
    buttons = [Button(m, kind_module(m.kind).login_url(m, safe_next))
               for m in methods if m.kind != "password"]
    passwords = [m for m in methods if m.kind == "password"]
    return {
        "signon_buttons": buttons,
        "signon_establishments": establishments if _methods_differ(config, codes) else [],
        "signon_chosen": chosen,
        "password_form_shown": bool(passwords),
        "password_for_admins_only": bool(passwords) and all(
            m.options.get("superusers_only", False) for m in passwords),
    }


def _methods_differ(config, codes):
    """Choosing an establishment only matters when they do not all offer the same methods."""
    return len({tuple(m.name for m in config.for_establishment(code)) for code in codes}) > 1


def sso_logout(request, method_name, kept):
    """Where to send the browser to end the SSO session of the method used to log in."""
    if not method_name:
        return None
    try:
        method = signon_config.load().method(method_name)
    except signon_config.ConfigError:
        logger.exception("sign-on file unreadable at logout")
        return None
    if method is None:
        return None
    module = kind_module(method.kind)
    url = module.logout_url(request, method, kept or {})
    if not url:
        return None
    return Handover(url, getattr(module, "ENDS_LOCAL_SESSION", False))
