from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.core.validators import normalise_code, validate_ine


class Population(models.Model):
    """A kind of card holder (student, staff, guest…); each instance configures its own."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name in English"), max_length=100)
    name_fr = models.CharField(_("name in French"), max_length=100)
    free_renewal = models.BooleanField(
        _("free renewal"), default=True,
        help_text=_("Whether people of this population get a new card for free."),
    )
    renewal_fee = models.DecimalField(
        _("renewal fee"), max_digits=6, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("In euros, paid when the new card is collected, when renewal is not free."),
    )

    class Meta:
        verbose_name = _("population")
        verbose_name_plural = _("populations")
        ordering = ["code"]

    def __str__(self):
        from django.utils.translation import get_language

        return self.name_fr if (get_language() or "").startswith("fr") else self.name_en


class AcademicLevel(models.TextChoices):
    BACHELOR = "BACHELOR", _("Bachelor")
    MASTER = "MASTER", _("Master")
    DOCTORATE = "DOCTORATE", _("Doctorate")


CONSENTS = {
    "esc": _("European Student Card"),
    "photo": _("photo publication"),
    "crous": _("CROUS / Izly"),
}


EMPTY = {"blank": True, "default": "", "db_default": ""}


class Person(models.Model):
    eppn = models.CharField(_("eppn"), max_length=255, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="person",
    )
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ine = models.CharField(_("INE"), max_length=11, blank=True, validators=[validate_ine])
    esi = models.CharField(
        _("European Student Identifier"), max_length=255, blank=True, editable=False,
        help_text=_("Built once, when first needed, and never changed: the ESC router cannot "
                    "change it."),
    )
    establishment = models.ForeignKey(
        "institutions.Establishment", on_delete=models.PROTECT, related_name="people",
        verbose_name=_("establishment"),
    )
    population = models.ForeignKey(
        Population, on_delete=models.PROTECT, related_name="people", verbose_name=_("population")
    )
    academic_level = models.CharField(
        _("academic level"), max_length=10, choices=AcademicLevel.choices, blank=True
    )
    rights_end = models.DateField(_("end of rights"), null=True, blank=True)
    # Filled by the person sources (people/sources/); empty when a person is entered by hand.
    # The database defaults serve the raw writers (COPY in core/bulk.py and demo/seeding.py).
    display_name = models.CharField(_("display name"), max_length=255, **EMPTY)
    student_id = models.CharField(_("student number"), max_length=64, **EMPTY)
    employee_id = models.CharField(_("employee number"), max_length=64, **EMPTY)
    primary_affiliation = models.CharField(_("primary affiliation"), max_length=64, **EMPTY)
    affiliations = models.CharField(_("affiliations"), max_length=255, **EMPTY,
                                    help_text=_("Separated by semicolons."))
    department = models.CharField(_("department"), max_length=255, **EMPTY)
    card_template = models.CharField(_("card template"), max_length=64, **EMPTY)
    may_request_card = models.BooleanField(_("may request a card"), default=True,
                                           db_default=True)
    request_refusal = models.CharField(
        _("message when a card may not be requested"), max_length=500, **EMPTY)
    esc_consent = models.BooleanField(_("European Student Card consent"), default=False)
    esc_consent_at = models.DateTimeField(_("European consent given or withdrawn on"),
                                          null=True, blank=True)
    photo_consent = models.BooleanField(_("photo publication consent"), default=False)
    photo_consent_at = models.DateTimeField(_("photo consent given or withdrawn on"),
                                            null=True, blank=True)
    crous_consent = models.BooleanField(_("CROUS consent"), default=False)
    crous_consent_at = models.DateTimeField(_("CROUS consent given or withdrawn on"),
                                            null=True, blank=True)
    language = models.CharField(_("language for messages"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)
    rights_reminder_for = models.DateField(
        _("end of rights last reminded"), null=True, blank=True,
        help_text=_("The end-of-rights date the last reminder mail was sent for."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["rights_end"]),
            models.Index(fields=["establishment", "population"]),
            models.Index(fields=["population", "id"], name="people_person_population_id_id"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.eppn})"

    def save(self, *args, **kwargs):
        self.normalise()
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def normalise(self):
        self.ine = normalise_code(self.ine)
        self.eppn = (self.eppn or "").strip().lower()
        self.email = (self.email or "").strip().lower()

    def rights_ended(self, today=None):
        today = today or timezone.localdate()
        return self.rights_end is not None and self.rights_end < today


class ConsentRecord(models.Model):
    """One consent given or withdrawn, kept forever: the person's page shows the history."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_records")
    consent = models.CharField(_("consent"), max_length=8, choices=list(CONSENTS.items()))
    given = models.BooleanField(_("given"))
    recorded_at = models.DateTimeField(_("on"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "-recorded_at"])]

    def __str__(self):
        return f"{self.person_id} {self.consent} {'+' if self.given else '-'} {self.recorded_at}"


class StaffRole(models.Model):
    """One thing a member of staff may do, over some establishments and populations. A user may
    hold several. A role from a rule (`origin` set) is replaced whenever that origin is read
    again (a sync for "directory", a sign-on for "signon:<method>"); a manual grant (no origin)
    stays until someone removes it."""

    class Kind(models.TextChoices):
        MANAGER = "manager", _("manager")
        CONSULTANT = "consultant", _("read-only consultant")
        ADMIN = "admin", _("administrator")
        PRINTER = "printer", _("print station operator")
        ENCODER = "encoder", _("encoding station operator")

    DIRECTORY = "directory"
    SIGNON = "signon:"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="staff_roles")
    kind = models.CharField(_("role"), max_length=12, choices=Kind.choices)
    establishments = models.ManyToManyField(
        "institutions.Establishment", blank=True, verbose_name=_("establishments"),
        help_text=_("Leave empty for an administrator."),
    )
    populations = models.ManyToManyField(
        Population, blank=True, verbose_name=_("populations"),
        help_text=_("Leave empty for every population."),
    )
    origin = models.CharField(_("given by"), max_length=120, blank=True, editable=False,
                              help_text=_("Empty for a role granted by hand."))
    rule = models.CharField(_("rule"), max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        indexes = [models.Index(fields=["user", "origin"], name="staffrole_user_origin")]

    def __str__(self):
        return f"{self.user} — {self.get_kind_display()}"

    @property
    def is_manual(self):
        return not self.origin


class SourceLink(models.Model):
    """What one source last said about one person: the digest that lets the next sync skip an
    unchanged person without a write, the values (for merging with the other sources), and
    since when the source no longer lists them (the grace period before their rights end)."""

    source = models.CharField(_("source"), max_length=100)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="source_links")
    digest = models.CharField(max_length=64, blank=True)
    values = models.JSONField(default=dict)
    seen_at = models.DateTimeField(_("last seen"))
    missing_since = models.DateTimeField(_("missing since"), null=True, blank=True)

    class Meta:
        verbose_name = _("source link")
        verbose_name_plural = _("source links")
        constraints = [models.UniqueConstraint(fields=["source", "person"],
                                               name="people_sourcelink_source_person")]

    def __str__(self):
        return f"{self.source}:{self.person_id}"


class SourceState(models.Model):
    """The last sync of one source, as the back-office shows it."""

    source = models.CharField(_("source"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_full_at = models.DateTimeField(_("last full sync"), null=True, blank=True)
    high_water = models.TextField(
        _("changed since"), blank=True,
        help_text=_("Where the next incremental sync starts (modifyTimestamp, updated_at, or "
                    "an RFC 4533 cookie, which can be long with several providers)."))
    counts = models.JSONField(_("counts"), default=dict)
    refused = models.JSONField(_("refused entries"), default=list)
    last_error = models.TextField(_("last error"), blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("source state")
        verbose_name_plural = _("source states")

    def __str__(self):
        return self.source
