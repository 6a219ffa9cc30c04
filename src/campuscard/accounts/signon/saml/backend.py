"""From an assertion pysaml2 has validated (signature, audience, our request, its lifetime) to
our account: the IdP must be one of our SAML methods, and the account is made by sign_on_user,
never by djangosaml2 itself (its user lookup and creation are not used)."""

import logging

from djangosaml2.backends import Saml2Backend
from saml2.attributemaps import saml_uri

from campuscard.accounts.signon.saml import EPPN, NAME_ID
from campuscard.accounts.signon.saml.sp import method_for_entity
from campuscard.accounts.signon.users import SignOnBackend, sign_on_user, values_of

logger = logging.getLogger("campuscard.signon")


def attributes_of(session_info):
    """The assertion's attributes under their friendly names (eduPersonPrincipalName) and their
    URIs (urn:oid:1.3.6.1.4.1.5923.1.1.1.6) alike, and the NameID as "NameID"."""
    attributes = {}
    for name, values in session_info.get("ava", {}).items():
        values = list(values) if isinstance(values, list | tuple) else [values]
        attributes[name] = values
        for other in (saml_uri.MAP["to"].get(name), saml_uri.MAP["fro"].get(name.lower())):
            if other:
                attributes.setdefault(other, values)
    name_id = session_info.get("name_id")
    if name_id is not None and getattr(name_id, "text", None):
        attributes[NAME_ID] = [name_id.text.strip()]
    return attributes


class SamlBackend(SignOnBackend, Saml2Backend):
    """Called by djangosaml2's ACS view with the validated `session_info`."""

    def authenticate(self, request, session_info=None, **kwargs):
        if not session_info or "ava" not in session_info:
            return None
        method = method_for_entity(session_info.get("issuer"))
        if method is None:
            logger.warning("SAML assertion from %r, which no sign-on method names",
                           session_info.get("issuer"))
            return None
        attributes = attributes_of(session_info)
        eppns = values_of(attributes, EPPN)
        return sign_on_user(request, method, eppns[0] if eppns else "", attributes)
