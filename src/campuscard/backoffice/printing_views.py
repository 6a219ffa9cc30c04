"""Card templates for admins: the list, and a preview on a real person's card."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from campuscard.cards.models import Card
from campuscard.people.permissions import scope_of
from campuscard.printing.checks import check_zones
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import PREVIEW, render_png

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
    version = template.current_version
    card = _preview_card(request)
    overlaps = check_zones(card, version) if card and version else []
    sides = [s for s in SIDES if s == "front" or (version and version.has_back)]
    return render(request, "backoffice/printing_preview.html", {
        "template": template, "version": version, "card": card, "sides": sides,
        "overlaps": overlaps})


@admins_only
@require_GET
def template_preview_png(request, code, card_id, side):
    template = get_object_or_404(CardTemplate, code=code)
    card = get_object_or_404(Card.objects.select_related("person", "establishment"), pk=card_id)
    version = template.current_version
    if side not in SIDES or version is None or (side == "back" and not version.has_back):
        raise Http404
    response = HttpResponse(render_png(card, side, version=version, mode=PREVIEW),
                            content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
