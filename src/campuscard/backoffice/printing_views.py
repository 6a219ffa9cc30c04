"""Card templates for admins: the list, the editor (each save a new version) with its live
preview on a real person's card, and a preview of any saved version."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campuscard.backoffice import services as office
from campuscard.backoffice.forms import CardSelectionForm
from campuscard.backoffice.printing_forms import (
    CardTemplateForm,
    TemplateSettingsForm,
    VersionForm,
    version_initial,
)
from campuscard.backoffice.views import form_problem, only, search_url, staff_only
from campuscard.cards.models import Card
from campuscard.people.permissions import scope_of
from campuscard.printing import defaults
from campuscard.printing.checks import check_zones
from campuscard.printing.drafts import draft_problems, draft_version, render_draft_png
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import PREVIEW, render_batch_pdf, render_png
from campuscard.printing.services import (
    VERSIONED_FIELDS,
    cards_without_template,
    save_template_version,
)

SIDES = ("front", "back")


def admins_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not scope_of(request.user).is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapper


def _preview_card(request):
    """The card asked for by ?card=<id>, else the latest card with an ESCN."""
    cards = Card.objects.select_related("person", "establishment")
    card_id = request.GET.get("card", "")
    if card_id:
        if not card_id.isdigit():
            raise Http404
        return get_object_or_404(cards, pk=card_id)
    return cards.filter(escn__isnull=False).order_by("-requested_at").first()


def _version_asked(request, template):
    """The version of ?version=<number>, else the current one."""
    number = request.GET.get("version", "")
    if not number:
        return template.current_version
    if not number.isdigit():
        raise Http404
    return get_object_or_404(template.versions, number=number)


@admins_only
@require_GET
def template_list(request):
    templates = (CardTemplate.objects.select_related("establishment")
                 .prefetch_related("populations", "versions"))
    return render(request, "backoffice/printing_templates.html", {"templates": templates})


@admins_only
@require_GET
def template_preview(request, code):
    template = get_object_or_404(CardTemplate, code=code)
    version = _version_asked(request, template)
    card = _preview_card(request)
    overlaps = check_zones(card, version) if card and version else []
    sides = [s for s in SIDES if s == "front" or (version and version.has_back)]
    return render(request, "backoffice/printing_preview.html", {
        "template": template, "version": version, "card": card, "sides": sides,
        "overlaps": overlaps, "is_current": version == template.current_version})


@admins_only
@require_GET
def template_preview_png(request, code, card_id, side):
    template = get_object_or_404(CardTemplate, code=code)
    card = get_object_or_404(Card.objects.select_related("person", "establishment"), pk=card_id)
    version = _version_asked(request, template)
    if side not in SIDES or version is None or (side == "back" and not version.has_back):
        raise Http404
    return _png(render_png(card, side, version=version, mode=PREVIEW))


def _png(data):
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


# --- the editor ---------------------------------------------------------------------------------

@admins_only
@require_http_methods(["GET", "POST"])
def template_create(request):
    form = CardTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, _("Template “%(name)s” created: write its first version.")
                         % {"name": template.name})
        return redirect("backoffice:printing_edit", template.code)
    return render(request, "backoffice/printing_create.html", {"form": form},
                  status=400 if form.errors else 200)


@admins_only
@require_http_methods(["GET", "POST"])
def template_edit(request, code):
    template = get_object_or_404(CardTemplate, code=code)
    current = template.current_version
    if request.method == "GET":
        form = VersionForm(template=template, initial=_editor_initial(template, current))
        return _editor_page(request, template, form)
    form = VersionForm(request.POST, template=template)
    problems = _form_problems(form, template)
    if not problems and current and _unchanged(form.content(), current):
        problems = [_("Nothing changed since version %(number)d: no version was saved.")
                    % {"number": current.number}]
    if problems:
        return _editor_page(request, template, form, problems=problems, status=400)
    version = save_template_version(template, by=request.user, **form.content())
    messages.success(request, _("Version %(number)d saved: cards printed from now on use it; "
                                "reprints keep the version they were printed with.")
                     % {"number": version.number})
    return redirect("backoffice:printing_edit", template.code)


@admins_only
@require_POST
def template_settings(request, code):
    template = get_object_or_404(CardTemplate, code=code)
    form = TemplateSettingsForm(request.POST, instance=template)
    if not form.is_valid():
        editor = VersionForm(template=template,
                             initial=_editor_initial(template, template.current_version))
        return _editor_page(request, template, editor, settings_form=form, status=400)
    form.save()
    messages.success(request, _("Who the template is for was saved."))
    return redirect("backoffice:printing_edit", template.code)


@admins_only
@require_POST
def template_draft_png(request, code, side):
    """The live preview: one side of the unsaved form content on the chosen card, as a PNG;
    what is wrong with the content instead (422, JSON), and nothing is saved either way."""
    template = get_object_or_404(CardTemplate, code=code)
    if side not in SIDES:
        raise Http404
    form = VersionForm(request.POST, template=template)
    problems = _form_problems(form, template)
    if problems:
        return JsonResponse({"errors": problems}, status=422)
    card = form.cleaned_data["card"]
    version = draft_version(template, form.content())
    if card is None:
        return JsonResponse({"errors": [_("There is no card to show the template on yet.")]},
                            status=422)
    if side == "back" and not version.has_back:
        return HttpResponse(status=204)
    return _png(render_draft_png(card, version, side))


def _form_problems(form, template):
    """The form's errors, then the draft's (syntax, zones, content over a zone), as sentences."""
    if not form.is_valid():
        return [f"{form.fields[name].label}: {message}" if name != "__all__" else message
                for name, errors in form.errors.items() for message in errors]
    return draft_problems(draft_version(template, form.content()), form.cleaned_data["card"])


def _unchanged(content, version):
    return all(content[name] == getattr(version, name) for name in VERSIONED_FIELDS)


def _editor_initial(template, current):
    """The current version's content; a new template starts from the default template's."""
    start = current
    if start is None:
        default = CardTemplate.objects.filter(code=defaults.CODE).first()
        start = default.current_version if default else None
    initial = version_initial(start)
    first_card = VersionForm(template=template).fields["card"].queryset.first()
    if first_card is not None:
        initial["card"] = first_card.pk
    return initial


def _editor_page(request, template, form, *, problems=(), settings_form=None, status=200):
    versions = template.versions.select_related("created_by").order_by("-number")
    return render(request, "backoffice/printing_edit.html", {
        "template": template, "form": form, "problems": problems,
        "settings_form": settings_form or TemplateSettingsForm(instance=template),
        "versions": versions, "current": template.current_version,
        "has_cards": form.fields["card"].queryset.exists(),
    }, status=status)


# --- a print batch, for an office without a station -------------------------------------------

@staff_only
@only("POST")
def print_batch(request):
    """The selected cards as one PDF, front then back for each, to print by hand; no card
    changes state (the manager marks them printed once they are)."""
    form = CardSelectionForm(request.POST)
    back = search_url(request.POST.get("back"))
    if not form.is_valid():
        messages.error(request, form_problem(form, _("Select at least one card.")))
        return redirect(back)
    cards = _managed_cards_or_404(request.user, form.cleaned_data["card"])
    missing = cards_without_template(cards)
    if missing:
        for card in missing:
            messages.error(request, _("Card %(number)s (%(name)s): no card template applies to "
                                      "its holder; an administrator adds one on the card "
                                      "templates page.")
                           % {"number": card.number, "name": card.person.full_name})
        messages.error(request, _("No print batch was made: leave these cards out of the "
                                  "selection, or add a template for them."))
        return redirect(back)
    response = HttpResponse(render_batch_pdf(cards), content_type="application/pdf")
    name = f"print-batch-{timezone.localtime():%Y%m%d-%H%M}-{len(cards)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _managed_cards_or_404(user, card_ids):
    """The cards asked for, if the user manages every one (reading them is not enough)."""
    scope = scope_of(user)
    cards = office.cards_in_scope_or_404(user, card_ids)
    if not all(scope.manages(card.establishment_id, card.person.population_id) for card in cards):
        raise Http404
    return cards
