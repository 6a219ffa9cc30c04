"""Webhooks and REST calls a card office configures: each is an outbox target of its own."""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.core.sealing import SealedCharField
from campuscard.integrations.connections.models import Connection
from campuscard.integrations.webhooks import templates

EVENT_LABELS = {
    "card.enabled": _("a card is enabled"),
    "card.disabled": _("a card is disabled"),
    "card.expired": _("a card expires (end of rights)"),
    "card.unexpired": _("an expired card's rights are restored (it is disabled)"),
    "card.destroyed": _("a card is destroyed"),
    "card.recognised": _("a card of another establishment becomes recognised"),
    "card.recognition_withdrawn": _("a recognised card is no longer recognised"),
    "person.updated": _("a card holder's details change"),
    "person.consent_changed": _("a card holder's consent changes"),
    "person.esc_withdrawn": _("a card holder withdraws from the European Student Card"),
}
CARD_EVENTS = tuple(name for name in EVENT_LABELS if name.startswith("card."))
EVENT_CHOICES = list(EVENT_LABELS.items())
CARD_EVENT_CHOICES = [(name, EVENT_LABELS[name]) for name in CARD_EVENTS]
METHODS = [(method, method) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]


def default_card_events():
    return list(CARD_EVENTS)


def new_secret():
    return secrets.token_urlsafe(32)


def validate_events(value, allowed=tuple(EVENT_LABELS)):
    unknown = sorted(set(value or ()) - set(allowed))
    if not isinstance(value, list) or unknown:
        raise ValidationError(_("Unknown events: %(events)s."), code="events",
                              params={"events": ", ".join(map(str, unknown))})


def validate_card_events(value):
    validate_events(value, CARD_EVENTS)


def validate_hook_url(value):
    templates.check_http_url(value)


TIMEOUT = {"default": 10, "validators": [MinValueValidator(1), MaxValueValidator(60)],
           "help_text": _("Seconds to wait for an answer before trying again later.")}


class Webhook(Connection):
    """POSTs each chosen event, as signed JSON, to one URL."""

    url = models.URLField(_("address"), max_length=500, validators=[validate_hook_url],
                          help_text=_("Where the events are POSTed (https:// advised)."))
    events = models.JSONField(_("events"), default=default_card_events,
                              validators=[validate_events],
                              help_text=_("What it is told of. Every card event by default."))
    secret = SealedCharField(_("signing secret"), max_length=100, default=new_secret,
                             editable=False)
    timeout = models.PositiveSmallIntegerField(_("timeout (seconds)"), **TIMEOUT)

    class Meta(Connection.Meta):
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def rotate_secret(self):
        self.secret = new_secret()
        self.save(update_fields=["secret", "updated_at"])
        return self.secret


class RestCall(Connection):
    """Calls a REST service when a card becomes valid or stops being valid, with a request
    written as templates over a fixed list of variables."""

    events = models.JSONField(_("events"), default=default_card_events,
                              validators=[validate_card_events],
                              help_text=_("Which card events make the call."))
    valid_method = models.CharField(_("method"), max_length=6, choices=METHODS, default="PUT")
    valid_url = models.CharField(
        _("address"), max_length=1000, blank=True,
        help_text=_("Called when the card is enabled (also when a recognised card is, or "
                    "becomes recognised, enabled). Empty: nothing is called."))
    valid_body = models.TextField(_("body (JSON)"), blank=True)
    invalid_method = models.CharField(_("method"), max_length=6, choices=METHODS,
                                      default="DELETE")
    invalid_url = models.CharField(
        _("address"), max_length=1000, blank=True,
        help_text=_("Called when the card is not valid any more: disabled, expired, "
                    "destroyed, or no longer recognised. Empty: nothing is called."))
    invalid_body = models.TextField(_("body (JSON)"), blank=True)
    headers = models.TextField(
        _("headers"), blank=True,
        help_text=_("One “Name: value” a line; values may use the variables, and {secret} "
                    "for the secret below, e.g. “Authorization: Bearer {secret}”."))
    secret = SealedCharField(_("secret"), max_length=500, blank=True,
                             help_text=_("A token the headers use as {secret}; stored sealed "
                                         "and never shown again."))
    not_found_is_nothing = models.BooleanField(
        _("404 means nothing to do"), default=False,
        help_text=_("When set, an answer 404 (e.g. a person the service does not know) "
                    "counts as done; otherwise it waits for a person to look."))
    timeout = models.PositiveSmallIntegerField(_("timeout (seconds)"), **TIMEOUT)

    class Meta(Connection.Meta):
        verbose_name = _("REST call")
        verbose_name_plural = _("REST calls")

    def request_for(self, group):
        """(method, URL template, body template) of "valid" or "invalid"; no URL: no call."""
        return (getattr(self, f"{group}_method"), getattr(self, f"{group}_url"),
                getattr(self, f"{group}_body"))

    def clean(self):
        errors = {}
        for group in ("valid", "invalid"):
            _method, url, body = self.request_for(group)
            for field, check, value in ((f"{group}_url", templates.check_url, url),
                                        (f"{group}_body", templates.check_body, body)):
                if value.strip():
                    _collect(errors, field, check, value)
            for field, value in ((f"{group}_url", url), (f"{group}_body", body)):
                if templates.uses_secret(value):
                    errors.setdefault(field, []).append(ValidationError(
                        _("{secret} may only be used in a header."), code="secret"))
        _collect(errors, "headers", templates.check_headers, self.headers)
        if templates.uses_secret(self.headers) and not self.secret:
            errors.setdefault("secret", []).append(ValidationError(
                _("The headers use {secret}: give it."), code="secret"))
        if not (self.valid_url.strip() or self.invalid_url.strip()):
            errors.setdefault("valid_url", []).append(ValidationError(
                _("Give at least one address to call."), code="nothing"))
        if errors:
            raise ValidationError(errors)


def _collect(errors, field, check, value):
    try:
        check(value)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.error_list)
