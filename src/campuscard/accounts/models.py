from django.db import models
from django.utils.translation import gettext_lazy as _


class SignOnSession(models.Model):
    """Our session opened by a sign-on, found again by the SSO's own id for it (a CAS service
    ticket…) when the SSO asks us to end it (single logout). The id is kept as its SHA-256."""

    method = models.CharField(_("sign-on method"), max_length=50)
    sso_digest = models.CharField(_("SSO session id (SHA-256)"), max_length=64)
    session_key = models.CharField(_("session key"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sign-on session")
        verbose_name_plural = _("sign-on sessions")
        indexes = [models.Index(fields=["method", "sso_digest"])]

    def __str__(self):
        return f"{self.method} {self.sso_digest[:12]}"
