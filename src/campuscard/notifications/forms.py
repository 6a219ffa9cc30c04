"""The form an administrator edits a mail template with: texts are checked by rendering them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscard.notifications import services
from campuscard.notifications.models import LANGUAGES, MailTemplate

LANGUAGE_NAMES = {"fr": _("French"), "en": _("English")}


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = services.EDITABLE
        widgets = {f"body_{language}": forms.Textarea(attrs={"rows": 12})
                   for language in LANGUAGES}

    def clean(self):
        cleaned = super().clean()
        for language in LANGUAGES:
            for part in ("subject", "body"):
                self._check_renders(f"{part}_{language}", cleaned)
        return cleaned

    def _check_renders(self, name, cleaned):
        if name not in cleaned:  # already refused (e.g. empty)
            return
        try:
            services.render_text(cleaned[name], services.sample_context())
        except services.MailTemplateError as exc:
            self.add_error(name, _("This text cannot be used as a template: %(error)s")
                           % {"error": exc})

    def language_fields(self):
        """[(language name, subject field, body field)], for the page."""
        return [(LANGUAGE_NAMES[language], self[f"subject_{language}"], self[f"body_{language}"])
                for language in LANGUAGES]
