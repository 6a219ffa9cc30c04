"""Local passwords: the demo's accounts, and a break-glass administrator when the
establishments sign on elsewhere (`superusers_only = true`)."""

from django.contrib.auth.backends import ModelBackend
from django.urls import reverse
from django.utils.translation import gettext as _

KEYS = ("superusers_only",)
SECRETS = ()
urlpatterns = []


def check(method, fail):
    if not isinstance(method.options.get("superusers_only", False), bool):
        fail(_("superusers_only is true or false."))


def login_url(method, next_url):
    return reverse("login")


def logout_url(request, method, kept):
    return None


def password_methods():
    """The password methods; a file that does not parse leaves only the superusers' passwords
    (so that an administrator can still log in and see what is wrong)."""
    from campuscard.accounts.signon.config import ConfigError, Method, load

    try:
        return load().of_kind("password")
    except ConfigError:
        return (Method("break-glass", "password", {}, options={"superusers_only": True}),)


class PasswordBackend(ModelBackend):
    """Django's password check, only when a password method is configured, and only for
    superusers when every such method says so."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        methods = password_methods()
        if not methods or username is None or password is None:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if all(m.options.get("superusers_only", False) for m in methods) \
                and not user.is_superuser:
            return None
        return user
