"""Labels of the print station audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "station.registered": _("Print station registered"),
    "station.revoked": _("Print station revoked"),
    "station.token_renewed": _("Print station given a new token"),
    "print_job.queued": _("Sent to a print station"),
    "print_job.lease_expired": _("The print station did not answer in time: job given back"),
    "print_job.canceled": _("Print job dropped"),
    "print_job.printed": _("Printed by the print station"),
    "print_job.failed": _("The print station could not print"),
})
register_fields({"again_after": _("again after job")})
