"""An LDAP write-back: the directory entry of a card's holder gets values from the card while
it is enabled (a SupAnn `supannRefId` read by door readers and NFC apps, an AD `pager`…)."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.integrations.connections.models import Connection
from campuscard.integrations.ldap_writeback.templating import check_template

ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*$")
FILTER_PLACEHOLDERS = ("{eppn}", "{uid}")


def default_multi_valued():
    return {"supannRefId": ["{ISO15693}${csn}",
                            "{${ESTABLISHMENT}:ACCESS-CONTROL}${access_control_id}"]}


class LdapWriteBack(Connection):
    url = models.CharField(gettext_lazy("server URL"), max_length=200,
                           help_text=gettext_lazy("ldap://host:389 or ldaps://host:636."))
    start_tls = models.BooleanField(gettext_lazy("StartTLS"), default=False,
                                    help_text=gettext_lazy("Encrypt an ldap:// connection "
                                                           "before binding."))
    ca_file = models.CharField(gettext_lazy("CA certificate file"), max_length=500, blank=True,
                               help_text=gettext_lazy("PEM file of the CA that signed the "
                                                      "server's certificate; empty: the "
                                                      "system's."))
    bind_dn = models.CharField(gettext_lazy("bind DN"), max_length=500, blank=True)
    bind_password_file = models.CharField(
        gettext_lazy("bind password file"), max_length=500, blank=True,
        help_text=gettext_lazy("Path of a file holding the bind password (the password itself "
                               "is never stored)."))
    bind_password_env = models.CharField(
        gettext_lazy("bind password environment variable"), max_length=100, blank=True,
        help_text=gettext_lazy("Or the name of an environment variable holding it."))
    base_dn = models.CharField(gettext_lazy("base DN"), max_length=500)
    people_filter = models.CharField(
        gettext_lazy("people search filter"), max_length=500,
        default="(eduPersonPrincipalName={eppn})",
        help_text=gettext_lazy("{eppn} is the holder's eppn, {uid} the eppn without its "
                               "@domain; both are escaped. The first entry found is written."))
    multi_valued = models.JSONField(
        gettext_lazy("values added"), default=default_multi_valued, blank=True,
        help_text=gettext_lazy('{"attribute": ["template", …]}: added while the card is '
                               "enabled, exactly those removed when it no longer is; the "
                               "attribute's other values are left alone."))
    single_valued = models.JSONField(
        gettext_lazy("values replaced"), default=dict, blank=True,
        help_text=gettext_lazy('{"attribute": "template"}: the attribute is replaced by this '
                               "value while the card is enabled, and the value removed when it "
                               "no longer is (Active Directory's pager, for instance)."))
    timeout = models.PositiveSmallIntegerField(gettext_lazy("timeout (seconds)"), default=10)

    class Meta(Connection.Meta):
        verbose_name = gettext_lazy("LDAP write-back")
        verbose_name_plural = gettext_lazy("LDAP write-backs")

    def password_ref(self):
        """Where the bind password is, as campuscard.core.secrets reads it; None: no password."""
        if self.bind_password_file:
            return ("file", self.bind_password_file)
        if self.bind_password_env:
            return ("env", self.bind_password_env)
        return None

    def mappings(self):
        """(attribute, [templates], single) for every mapped attribute."""
        rows = [(name, list(templates), False)
                for name, templates in (self.multi_valued or {}).items()]
        rows += [(name, [template], True) for name, template in (self.single_valued or {}).items()]
        return rows

    def clean(self):
        errors = {}
        if not re.match(r"^ldaps?://[^/\s]+/?$", self.url or ""):
            errors["url"] = _("Give an ldap:// or ldaps:// URL: the scheme, the host and "
                              "optionally :port, nothing after.")
        elif self.start_tls and self.url.startswith("ldaps://"):
            errors["start_tls"] = _("ldaps:// is already encrypted: StartTLS is for ldap://.")
        if self.bind_password_file and self.bind_password_env:
            errors["bind_password_env"] = _("Give the password's file or its environment "
                                            "variable, not both.")
        if (self.bind_password_file or self.bind_password_env) and not self.bind_dn:
            errors["bind_dn"] = _("A password needs the DN it is the password of.")
        problem = filter_problem(self.people_filter or "")
        if problem:
            errors["people_filter"] = problem
        errors.update(self._mapping_errors())
        if errors:
            raise ValidationError(errors)

    def _mapping_errors(self):
        errors = {}
        multi, single = self.multi_valued, self.single_valued
        if not isinstance(multi, dict) or not all(
                isinstance(v, list) and all(isinstance(t, str) for t in v) for v in multi.values()):
            errors["multi_valued"] = _('Write {"attribute": ["template", …]}.')
        elif problem := templates_problem({k: t for k, v in multi.items() for t in v}):
            errors["multi_valued"] = problem
        if not isinstance(single, dict) or not all(isinstance(v, str) for v in single.values()):
            errors["single_valued"] = _('Write {"attribute": "template"}.')
        elif problem := templates_problem(single):
            errors["single_valued"] = problem
        elif isinstance(multi, dict) and (both := set(multi) & set(single)):
            errors["single_valued"] = _("%(names)s cannot be both added to and replaced.") % {
                "names": ", ".join(sorted(both))}
        if not errors and not multi and not single:
            errors["multi_valued"] = _("Map at least one attribute: there is nothing to "
                                       "write otherwise.")
        return errors


def templates_problem(mapping):
    for name, template in mapping.items():
        if not ATTRIBUTE.match(name):
            return _("“%(name)s” is not an LDAP attribute name.") % {"name": name}
        try:
            check_template(template)
        except ValidationError as exc:
            return exc.messages[0]
    return ""


def filter_problem(text):
    if not any(token in text for token in FILTER_PLACEHOLDERS):
        return _("The filter must find the holder: use {eppn} or {uid} in it.")
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if not (text.startswith("(") and text.endswith(")")) or depth != 0:
        return _("An LDAP filter is enclosed in balanced parentheses, e.g. "
                 "(eduPersonPrincipalName={eppn}).")
    return ""


class WrittenValues(models.Model):
    """What a write-back put in a holder's entry for a card: exactly these are removed when the
    card stops being enabled, even if the templates or the card's data changed meanwhile."""

    write_back = models.ForeignKey(LdapWriteBack, on_delete=models.CASCADE, related_name="+")
    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="+")
    dn = models.CharField(max_length=1000)
    values = models.JSONField(default=dict)  # {attribute: [value, …]}
    single = models.JSONField(default=list)  # the attributes that were replaced
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["write_back", "card"],
                                               name="ldap_writeback_one_record_per_card")]

    def __str__(self):
        return f"{self.dn} ({self.card_id})"
