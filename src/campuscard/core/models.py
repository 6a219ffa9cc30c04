import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One recorded change: a transition, an edit, a push attempt, a mail sent."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=255)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object"), max_length=64)
    card = models.ForeignKey("cards.Card", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="audit_entries")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="audit_entries")
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class OutboxItem(models.Model):
    """A change another system must hear of: one row per target, object and operation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        IN_FLIGHT = "in_flight", _("being sent")
        DONE = "done", _("done")
        FAILED = "failed", _("failed, needs a manual retry")

    # The id orders pushes for one object (its row lock serialises them); the key makes each
    # push idempotent at the receiving end.
    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    target = models.CharField(_("target system"), max_length=40)
    operation = models.CharField(_("operation"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["target", "object_type", "object_id", "id"]),
        ]

    def __str__(self):
        return f"{self.target} {self.operation} {self.object_type}:{self.object_id}"

    @property
    def needs_manual_retry(self):
        return self.status == self.Status.FAILED



class RateCounter(models.Model):
    """Hits of one identity in one rate-limit window (core.ratelimit), shared by all processes."""

    key = models.CharField(max_length=100, primary_key=True)
    expires = models.BigIntegerField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self):
        return f"{self.key}: {self.hits}"
