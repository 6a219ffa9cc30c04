"""SAML 2: djangosaml2 as the service provider (SP), one for the instance, and one method per
identity provider (IdP) in the sign-on file, each with its entity id and metadata.

- `sp.py` builds pysaml2's SP configuration from the settings and the file (the
  SAML_CONFIG_LOADER) and keeps each IdP's metadata for a while;
- `views.py` are djangosaml2's views (login, ACS, logout, SLO, metadata) with translated pages
  for whatever goes wrong, mounted under /signon/saml/ with djangosaml2's url names;
- `backend.py` turns a validated assertion into our account through sign_on_user.

djangosaml2's logout view ends the local session itself (SLO), hence ENDS_LOCAL_SESSION.
"""

import shutil
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

KEYS = ("idp_entity_id", "idp_metadata_url", "idp_metadata_file", "idp_metadata_cert")
SECRETS = ()
ENDS_LOCAL_SESSION = True
EPPN = "eduPersonPrincipalName"
NAME_ID = "NameID"  # the subject's NameID, offered as an attribute (username_attribute = "NameID")


def check(method, fail):
    options = method.options
    entity_id = options.get("idp_entity_id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        fail(_("idp_entity_id (the identity provider's entity id) is required."))
    sources = [key for key in ("idp_metadata_url", "idp_metadata_file") if key in options]
    if len(sources) != 1:
        fail(_("give the identity provider's metadata as idp_metadata_url or idp_metadata_file "
               "(one of them)."))
    for key in ("idp_metadata_url", "idp_metadata_file", "idp_metadata_cert"):
        if key in options and (not isinstance(options[key], str) or not options[key]):
            fail(_("%(key)s is a text."), key=key)
    if "idp_metadata_url" in options:
        _check_url(options, fail)
    for key in ("idp_metadata_file", "idp_metadata_cert"):
        if key in options and not _readable(options[key]):
            fail(_("cannot read the file %(path)s (%(key)s)."), path=options[key], key=key)
    _check_service_provider(fail)


def _check_url(options, fail):
    scheme = urlsplit(options["idp_metadata_url"]).scheme
    if scheme not in ("http", "https"):
        fail(_("idp_metadata_url is an http:// or https:// address."))
    if scheme == "http" and "idp_metadata_cert" not in options:
        fail(_("metadata fetched over plain http must be signed: give idp_metadata_cert (the "
               "certificate it is signed with), or use https."))


def _check_service_provider(fail):
    for name in ("CAMPUSCARD_SAML_SP_KEY_FILE", "CAMPUSCARD_SAML_SP_CERT_FILE"):
        path = getattr(settings, name)
        if not path:
            fail(_("SAML needs the service provider's key and certificate: set "
                   "CAMPUSCARD_SAML_SP_KEY_FILE and CAMPUSCARD_SAML_SP_CERT_FILE."))
        if not _readable(path):
            fail(_("cannot read the file %(path)s (%(key)s)."), path=path, key=name)
    if not shutil.which("xmlsec1"):
        fail(_("SAML needs the xmlsec1 program (Debian package xmlsec1), which is not "
               "installed."))


def _readable(path):
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def login_url(method, next_url):
    query = {"idp": method.options["idp_entity_id"]}
    if next_url:
        query["next"] = next_url
    return f"{reverse('signon:saml:saml2_login')}?{urlencode(query)}"


def logout_url(request, method, kept):
    return reverse("signon:saml:saml2_logout")


# Last: the views use what is above.
from campuscard.accounts.signon.saml.views import urlpatterns  # noqa: E402, F401
