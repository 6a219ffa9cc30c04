"""Administrators' pages for the mails: which events send one, and the editing of each text."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campuscard.core.actors import Actor
from campuscard.notifications import services
from campuscard.notifications.forms import LANGUAGE_NAMES, MailTemplateForm
from campuscard.notifications.models import EVENT_CHOICES, MailTemplate
from campuscard.people.permissions import scope_of


def admins_only(view):
    """Logged-in administrators only; other staff and holders get 403, like the back-office."""
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not scope_of(request.user).is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapper


@admins_only
def template_list(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    templates = {template.event: template for template in MailTemplate.objects.all()}
    rows = [{"event": event, "label": label, "template": templates.get(event)}
            for event, label in EVENT_CHOICES]
    return render(request, "notifications/template_list.html", {"rows": rows})


@admins_only
def template_edit(request, event):
    labels = dict(EVENT_CHOICES)
    if event not in labels:
        raise Http404
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    template = MailTemplate.objects.filter(event=event).first()
    form = MailTemplateForm(request.POST if request.method == "POST" else None,
                            instance=template or MailTemplate(event=event))
    if form.is_bound and form.is_valid() and "save" in request.POST:
        _template, changed = services.save_mail_template(event, form.cleaned_data,
                                                         Actor.from_request(request))
        if changed:
            messages.success(request, _("The mail is saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("notifications:template", event)
    return render(request, "notifications/template_edit.html", {
        "event": event, "label": labels[event], "template": template, "form": form,
        "preview": _preview(form, template),
    }, status=400 if form.is_bound and form.errors else 200)


def _preview(form, template):
    """The mail on sample data, in each language: as submitted, or else as saved."""
    if form.is_bound:
        values = form.cleaned_data if form.is_valid() else None
    else:
        values = {name: getattr(template, name) for name in services.EDITABLE} if template else None
    if values is None:
        return []
    try:
        rendered = services.preview(values)
    except services.MailTemplateError:  # a saved template broken by an older version
        return []
    return [{"language": language, "language_name": LANGUAGE_NAMES[language], "subject": subject,
             "body": body} for language, subject, body in rendered]
