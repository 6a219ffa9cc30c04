"""The login page (the methods configured for the establishment chosen) and the logout that
also ends the SSO session where the protocol allows it."""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from campuscard.accounts import signon_services
from campuscard.accounts.signon.finish import KEPT_KEY, METHOD_KEY


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(signon_services.login_choices(self.request, self.get_redirect_url()))
        return context


@require_POST
@never_cache
def logout_view(request):
    method_name = request.session.get(METHOD_KEY, "")
    kept = request.session.get(KEPT_KEY, {})
    handover = signon_services.sso_logout(request, method_name, kept)
    if handover is None:
        logout(request)
        return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    if not handover.ends_local_session:
        logout(request)
    if url_has_allowed_host_and_scheme(handover.url, allowed_hosts={request.get_host()}):
        return redirect(handover.url)
    # A page that goes on, not a redirect: browsers hold a form's redirect to another origin
    # to the page's CSP form-action ('self'), and the SSO is another origin.
    return render(request, "registration/sso_logout.html", {"sso_logout_url": handover.url})
