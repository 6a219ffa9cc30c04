"""djangosaml2's views under /signon/saml/, with its url names (namespace signon:saml), answering
with a translated page whatever goes wrong: an unknown IdP, unreadable metadata, a refused or
forged answer. The logins themselves are djangosaml2's, through our backend (backend.py)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from djangosaml2 import views as saml_views
from djangosaml2.exceptions import IdPConfigurationMissing
from saml2.response import StatusAuthnFailed, StatusRequestDenied

from campuscard.accounts.signon.config import ConfigError
from campuscard.accounts.signon.saml import sp
from campuscard.core import requestid
from campuscard.core.errorpages import error_response

logger = logging.getLogger("campuscard.signon")


def unavailable(request):
    """503, on the site's error page (error_response would make any 5xx a 500)."""
    message = _("The log-in through your establishment is not available at the moment. Try "
                "again later; if this goes on, contact the card office.")
    context = {"status": 503, "title": _("Log-in unavailable"), "message": message,
               "request_id": requestid.current()}
    return render(request, "errors/page.html", context, status=503)


def continue_to(request, url):
    """A page that goes on to `url` by itself. Not a redirect: this comes from our logout form,
    and Chromium holds every redirect after a form to the page's form-action 'self'."""
    return render(request, "signon/continue.html", {"url": url})


class _TranslatedFailures:
    """A configuration or metadata failure is a translated page, not a server error."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except (ConfigError, sp.MetadataUnavailable, IdPConfigurationMissing):
            logger.exception("SAML sign-on unavailable")
            return unavailable(request)


class LoginView(_TranslatedFailures, saml_views.LoginView):
    """Only toward the identity providers of our SAML methods, named by ?idp=."""

    def get(self, request, *args, **kwargs):
        if sp.method_for_entity(request.GET.get("idp")) is None:
            return error_response(request, 404, _("This log-in method does not exist."))
        return super().get(request, *args, **kwargs)

    def unknown_idp(self, request, idp):
        logger.error("SAML: the metadata of %s is not loaded", idp)
        return unavailable(request)


# Like djangosaml2's own: the IdP's POSTs carry no CSRF token (their signatures are checked).
@method_decorator(csrf_exempt, name="dispatch")
class AssertionConsumerServiceView(_TranslatedFailures, saml_views.AssertionConsumerServiceView):
    def post(self, request, *args, **kwargs):
        if "SAMLResponse" not in request.POST:
            return error_response(request, 400)
        return super().post(request)

    def custom_validation(self, response):
        # Raises (here, where djangosaml2 catches it) when no assertion could be read, e.g.
        # one encrypted for another key; djangosaml2 asks for it later, uncaught.
        response.session_info()

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        logger.warning("SAML answer refused: %r", exception)
        if isinstance(exception, StatusAuthnFailed | StatusRequestDenied):
            message = _("Your establishment did not log you in. You may try again.")
        else:
            message = _("The answer from your establishment's log-in service could not be "
                        "accepted, so you are not logged in. Try again; if this goes on, "
                        "contact the card office.")
        return error_response(request, 403, message)


class LogoutInitView(_TranslatedFailures, saml_views.LogoutInitView):
    """Single logout: ends our session here, then the IdP's. When the IdP cannot be asked (no
    SAML session kept, no logout endpoint), the local logout is done all the same."""

    def get(self, request, *args, **kwargs):
        if saml_views._get_subject_id(request.saml_session) is None:
            return self.logged_out_here_only(request)
        try:
            response = super().get(request, *args, **kwargs)
        except Exception:  # pysaml2 raises what it likes; the person is logged out anyway
            logger.exception("SAML single logout failed")
            return self.logged_out_here_only(request)
        if response.status_code >= 400:
            return self.logged_out_here_only(request)
        if isinstance(response, HttpResponseRedirect):
            return continue_to(request, response["Location"])
        return response

    def handle_unsupported_slo_exception(self, request, exception, *args, **kwargs):
        return self.logged_out_here_only(request)

    def logged_out_here_only(self, request):
        logout(request)
        messages.warning(request, _(
            "You are logged out of CampusCard, but perhaps not of your establishment's log-in "
            "service: close your browser to end that session too."))
        return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))


@method_decorator(csrf_exempt, name="dispatch")
class LogoutView(_TranslatedFailures, saml_views.LogoutView):
    """Where the IdP answers our logout request, or asks us to log someone out."""

    def do_logout_service(self, request, data, binding, *args, **kwargs):
        if "SAMLResponse" not in data and "SAMLRequest" not in data:
            return error_response(request, 400)
        return super().do_logout_service(request, data, binding, *args, **kwargs)


class MetadataView(_TranslatedFailures, saml_views.MetadataView):
    """Our SP's metadata, for the IdPs' administrators; it does not depend on theirs."""

    def get_sp_config(self, request):
        return sp.sp_config_without_idps(request)


urlpatterns = [
    path("login/", LoginView.as_view(), name="saml2_login"),
    path("acs/", AssertionConsumerServiceView.as_view(), name="saml2_acs"),
    path("logout/", LogoutInitView.as_view(), name="saml2_logout"),
    path("ls/", LogoutView.as_view(), name="saml2_ls"),
    path("ls/post/", LogoutView.as_view(), name="saml2_ls_post"),
    path("metadata/", MetadataView.as_view(), name="saml2_metadata"),
]
