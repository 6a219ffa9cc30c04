"""What the ESC router was last told, kept here so that an unchanged state is never sent twice.

A record is written only after the router accepted the request: it is what the router holds as
far as we know, not what we meant to send.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RouterStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    INACTIVE = "INACTIVE", _("Inactive")


class SentCard(models.Model):
    """The last body the router accepted for one card."""

    class Operation(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    card = models.OneToOneField("cards.Card", on_delete=models.CASCADE,
                                related_name="sent_to_esc_router", verbose_name=_("card"))
    escn = models.CharField(_("ESCN"), max_length=64, unique=True)
    body = models.JSONField(_("body sent"))
    status = models.CharField(_("status sent"), max_length=8, choices=RouterStatus.choices)
    expires_at = models.DateField(_("expiry sent"))
    operation = models.CharField(_("operation"), max_length=8, choices=Operation.choices)
    sent_at = models.DateTimeField(_("sent on"))
    confirmed = models.BooleanField(
        _("confirmed by the router"), default=False,
        help_text=_("The router's answer showed the status and expiry that were sent."),
    )

    class Meta:
        verbose_name = _("card sent to the ESC router")
        verbose_name_plural = _("cards sent to the ESC router")

    def __str__(self):
        return f"{self.escn} {self.status} {self.expires_at}"


class SentPerson(models.Model):
    """The last body the router accepted for one card holder."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE,
                                  related_name="sent_to_esc_router", verbose_name=_("person"))
    esi = models.CharField(_("European Student Identifier"), max_length=255)
    body = models.JSONField(_("body sent"))
    sent_at = models.DateTimeField(_("sent on"))

    class Meta:
        verbose_name = _("person sent to the ESC router")
        verbose_name_plural = _("people sent to the ESC router")

    def __str__(self):
        return self.esi
