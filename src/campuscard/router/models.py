"""What the router service keeps: organisations and their API keys, persons (by ESI) with one
membership per organisation that registered them, their pictures, and cards (by ESCN).

A card's EXPIRED status is never stored: it is read from `expires_at` (see `shown_status`).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.core.validators import validate_pic
from campuscard.institutions.models import EscCardType


class Organisation(models.Model):
    """An institution that holds router keys and issues cards, known by its PIC."""

    pic = models.CharField(_("PIC"), max_length=9, unique=True, validators=[validate_pic])
    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=2, blank=True,
                               help_text=_("ISO 3166-1 code, two letters."))
    schac_home_organization = models.CharField(_("schacHomeOrganization"), max_length=255,
                                               blank=True)
    show_holder_name = models.BooleanField(
        _("show the holder's name to verifiers"), default=False,
        help_text=_("When on, the public status of this organisation's cards (and the page "
                    "their QR code leads to) shows the name printed on the card, so that a "
                    "verifier can compare it with an identity document; but anyone who finds "
                    "a lost card then learns whose it is. Off by default."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("router organisation")
        verbose_name_plural = _("router organisations")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.pic})"


class RouterKey(models.Model):
    """An API key of an organisation. Only a hash of the key is kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="keys",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=8, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("router API key")
        verbose_name_plural = _("router API keys")
        ordering = ["organisation__name", "name"]

    def __str__(self):
        return f"{self.name} (escr_{self.prefix}_…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None


class AcademicLevel(models.TextChoices):
    BACHELOR = "BACHELOR", _("Bachelor's degree")
    MASTER = "MASTER", _("Master's degree")
    DOCTORATE = "DOCTORATE", _("Doctorate")


class RouterPerson(models.Model):
    """A student, known by their European Student Identifier. It holds nothing but the ESI:
    what is said of the person belongs to each organisation that registered them (Membership),
    and no organisation reads or changes another's."""

    esi = models.CharField(_("ESI"), max_length=255)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("router person")
        verbose_name_plural = _("router persons")
        # A constraint rather than unique=True: on PostgreSQL, the latter adds a second index
        # for LIKE 'prefix%' that no query here uses.
        constraints = [models.UniqueConstraint(fields=["esi"], name="router_person_esi_unique")]

    def __str__(self):
        return self.esi


class Membership(models.Model):
    """What one organisation says of a person it registered. Its `full_name` is also the
    person's (deprecated) top-level fullName in that organisation's answers."""

    # The unique (person, organisation) index serves lookups by person.
    person = models.ForeignKey(RouterPerson, on_delete=models.CASCADE, db_index=False,
                               related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="memberships")
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    email = models.CharField(_("email"), max_length=255, blank=True)
    academic_level = models.CharField(_("academic level"), max_length=16, blank=True,
                                      choices=AcademicLevel.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["person", "organisation"],
                                               name="router_one_membership_per_organisation")]

    def __str__(self):
        return f"{self.person.esi} @ {self.organisation.pic}"


class Picture(models.Model):
    """The person's 200 by 300 JPEG for one organisation."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE,
                                      related_name="picture")
    jpeg = models.BinaryField(_("JPEG"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("picture")
        verbose_name_plural = _("pictures")

    def __str__(self):
        return str(self.membership)


class CardStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    INACTIVE = "INACTIVE", _("Inactive")


EXPIRED = "EXPIRED"


def shown_status(status, expires_at, today=None):
    """The status the router shows: EXPIRED once `expires_at` is past, else the stored one."""
    if expires_at < (today or timezone.localdate()):
        return EXPIRED
    return status


class RouterCard(models.Model):
    """A European Student Card, known by its ESCN (stored normalised, lower case)."""

    escn = models.CharField(_("ESCN"), max_length=36)
    person = models.ForeignKey(RouterPerson, on_delete=models.CASCADE, related_name="cards")
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_index=False,
                               related_name="issued_cards", verbose_name=_("issuer"))
    processor_identifier = models.CharField(_("processor (VAT number)"), max_length=64,
                                            blank=True)
    status = models.CharField(_("status"), max_length=8, choices=CardStatus.choices)
    card_type = models.CharField(_("card type"), max_length=32, choices=EscCardType.choices)
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    issued_at = models.DateField(_("issued"))
    expires_at = models.DateField(_("expires"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("router card")
        verbose_name_plural = _("router cards")
        # The unique ESCN index serves the public status; (issuer, id) an issuer's lists.
        constraints = [models.UniqueConstraint(fields=["escn"], name="router_card_escn_unique")]
        indexes = [models.Index(fields=["issuer", "id"], name="router_card_issuer_id")]

    def __str__(self):
        return self.escn

    @property
    def shown_status(self):
        return shown_status(self.status, self.expires_at)
