"""Labels of the audit actions and outbox events about people and staff roles."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "person.created": _("Person created"),
    "person.updated": _("Person's details updated"),
    "person.consent_changed": _("Consent given or withdrawn"),
    "person.esc_withdrawn": _("European Student Card consent withdrawn"),
    "staff_role.replaced": _("Staff roles replaced"),
})
register_fields({  # person.consent_changed keeps the consent by its short name
    "esc": _("European Student Card consent"),
    "photo": _("Photo publication consent"),
    "crous": _("CROUS consent"),
    "origin": _("origin"),
    "roles": _("roles"),
})
