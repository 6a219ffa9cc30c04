"""A PaperCut server: the card number of each holder's enabled card is set on their PaperCut
user, so that they release their print jobs by tapping the card."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.core.sealing import SealedCharField
from campuscard.integrations.connections.models import Connection

XMLRPC_PATH = "/rpc/api/xmlrpc"


class PapercutServer(Connection):
    class CardProperty(models.TextChoices):
        PRIMARY = "card-number", gettext_lazy("card number (card-number)")
        SECONDARY = "secondary-card-number", gettext_lazy(
            "secondary card number (secondary-card-number)")

    url = models.CharField(
        gettext_lazy("XML-RPC URL"), max_length=300,
        help_text=gettext_lazy("http(s)://server:9191/rpc/api/xmlrpc (PaperCut's web services "
                               "API)."))
    auth_token = SealedCharField(
        gettext_lazy("authentication token"), max_length=200,
        help_text=gettext_lazy("PaperCut's auth.webservices.auth-token; kept sealed."))
    card_property = models.CharField(gettext_lazy("card number property"), max_length=30,
                                     choices=CardProperty.choices,
                                     default=CardProperty.PRIMARY)
    reversed_csn = models.BooleanField(
        gettext_lazy("reversed CSN"), default=False,
        help_text=gettext_lazy("Write the chip serial number with its bytes in the reverse "
                               "order, as many readers send it."))
    username_rule = models.CharField(
        gettext_lazy("username rule"), max_length=200, default="(.*)",
        help_text=gettext_lazy("A regular expression the whole eppn must match; its first "
                               "group is the PaperCut username, e.g. (.*)@univ-a.fr. A holder "
                               "whose eppn does not match is left alone."))
    timeout = models.PositiveSmallIntegerField(gettext_lazy("timeout (seconds)"), default=10)

    class Meta(Connection.Meta):
        verbose_name = gettext_lazy("PaperCut server")
        verbose_name_plural = gettext_lazy("PaperCut servers")

    def username_of(self, eppn):
        """The PaperCut username of an eppn, or None when the rule does not match it."""
        match = re.fullmatch(self.username_rule, eppn or "")
        return match.group(1) if match and match.group(1) else None

    def clean(self):
        errors = {}
        try:
            URLValidator(schemes=["http", "https"])(self.url or "")
        except ValidationError:
            errors["url"] = _("Give an http:// or https:// URL, e.g. "
                              "https://papercut.example.org:9192/rpc/api/xmlrpc.")
        try:
            rule = re.compile(self.username_rule or "")
        except re.error as exc:
            errors["username_rule"] = _("This is not a regular expression: %(error)s.") % {
                "error": exc}
        else:
            if rule.groups < 1:
                errors["username_rule"] = _("Put the username in a group: (.*)@univ-a.fr.")
        if not self.auth_token:
            errors["auth_token"] = _("PaperCut refuses every call without its token.")
        if errors:
            raise ValidationError(errors)
