"""django-admin pages of webhooks and REST calls. A secret is shown once, in the answer that
made it (creation or rotation), never on a page afterwards, and never written to the audit."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import State
from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.core.admin import AuditedAdmin
from campuscard.integrations.webhooks import templates
from campuscard.integrations.webhooks.models import (
    CARD_EVENT_CHOICES,
    EVENT_CHOICES,
    RestCall,
    Webhook,
)

CONNECTION_FIELDS = ("code", "label_en", "label_fr", "active")
FILTER_FIELDS = ("establishments", "populations", "card_states")


def _choices(choices, **extra):
    return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple,
                                     **extra)


class ConnectionForm(forms.ModelForm):
    card_states = _choices(State.choices, required=False, label=_("card states"),
                           help_text=_("Tell it of the cards in these states only. "
                                       "None ticked: every state."))


class WebhookForm(ConnectionForm):
    url = forms.URLField(label=_("address"), max_length=500, assume_scheme="https",
                         help_text=Webhook._meta.get_field("url").help_text)
    events = _choices(EVENT_CHOICES, label=_("events"))

    class Meta:
        model = Webhook
        fields = (*CONNECTION_FIELDS, "url", "events", *FILTER_FIELDS, "timeout")


class RestCallForm(ConnectionForm):
    events = _choices(CARD_EVENT_CHOICES, label=_("events"))
    new_secret = forms.CharField(
        label=_("new secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one. It is never shown again."))
    clear_secret = forms.BooleanField(label=_("remove the secret"), required=False)

    class Meta:
        model = RestCall
        fields = (*CONNECTION_FIELDS, "events", *FILTER_FIELDS, "valid_method", "valid_url",
                  "valid_body", "invalid_method", "invalid_url", "invalid_body", "headers",
                  "not_found_is_nothing", "timeout")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_secret"):
            self.instance.secret = cleaned["new_secret"]
        elif cleaned.get("clear_secret"):
            self.instance.secret = ""
        return cleaned


class ConnectionAdmin(AuditedAdmin):
    list_display = ("label_en", "code", "active")
    list_filter = ("active",)
    search_fields = ("code", "label_en", "label_fr")
    filter_horizontal = ("establishments", "populations")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()  # it names the connection's pushes


@admin.register(Webhook)
class WebhookAdmin(ConnectionAdmin):
    form = WebhookForm
    list_display = ("label_en", "code", "url", "active")
    actions = ["rotate_secret"]
    fieldsets = [
        (None, {"fields": (*CONNECTION_FIELDS, "url", "events", "timeout")}),
        (_("Which cards"), {"fields": FILTER_FIELDS}),
    ]

    def response_add(self, request, obj, post_url_continue=None):
        return reveal(request, self, [(obj, obj.secret)])

    @admin.action(description=_("Rotate the signing secret (shows the new one once)"))
    def rotate_secret(self, request, queryset):
        revealed = []
        with transaction.atomic():
            for hook in queryset.select_for_update().order_by("pk"):
                revealed.append((hook, hook.rotate_secret()))
                audit.record("webhook.secret_rotated", Actor.from_request(request), hook)
        return reveal(request, self, revealed)


def reveal(request, model_admin, revealed):
    response = TemplateResponse(request, "webhooks/admin/secret.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": _("Signing secret"), "revealed": revealed})
    response["Cache-Control"] = "no-store"
    return response


def _variables_help():
    listed = format_html_join(", ", "<code>{{{}}}</code> ({})", templates.VARIABLES.items())
    return format_html("{} {}", _("Addresses, bodies and headers may use these variables; in "
                                  "an address each value is percent-encoded, in a JSON body "
                                  "it is JSON-escaped inside its string:"), listed)


variables_help = lazy(_variables_help, str)()


@admin.register(RestCall)
class RestCallAdmin(ConnectionAdmin):
    form = RestCallForm
    secret_fields = ("new_secret",)
    list_display = ("label_en", "code", "valid_url", "invalid_url", "active")
    fieldsets = [
        (None, {"fields": (*CONNECTION_FIELDS, "events", "timeout", "not_found_is_nothing")}),
        (_("Which cards"), {"fields": FILTER_FIELDS}),
        (_("When the card is valid"), {"fields": ("valid_method", "valid_url", "valid_body"),
                                       "description": variables_help}),
        (_("When the card is not valid"), {"fields": ("invalid_method", "invalid_url",
                                                      "invalid_body")}),
        (_("Headers and secret"), {"fields": ("headers", "new_secret", "clear_secret")}),
    ]
