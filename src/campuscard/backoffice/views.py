"""The manager's back-office: card search, card page, transitions, bulk actions, CSV, pushes.

Who may do what: staff only; consultants read, managers act, each within their scope. A card
outside the scope is a 404 everywhere. Changes go through `cards.services` and `core.outbox`.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from campuscard.backoffice import crous as office_crous
from campuscard.backoffice import export
from campuscard.backoffice import services as office
from campuscard.backoffice.forms import (
    DELIVER,
    PUSH_CROUS,
    PUSH_ESC,
    BulkApplyForm,
    CardSearchForm,
    CardSelectionForm,
    OutboxRetryForm,
    TransitionForm,
)
from campuscard.backoffice.search import search_cards
from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.propagation import connections
from campuscard.cards.states import IllegalTransition, State
from campuscard.core import outbox
from campuscard.core.actors import Actor
from campuscard.core.fields import page_number
from campuscard.core.models import OutboxItem
from campuscard.integrations.crous import pages as crous_pages
from campuscard.integrations.crous import services as crous
from campuscard.integrations.esc_router import services as esc_router
from campuscard.nfc import services as nfc_services
from campuscard.people.permissions import require_manager, require_staff, scope_of

PER_PAGE = 50
SAFE_METHODS = ("GET", "HEAD")
SORT_COLUMNS = (  # (search.SORTS key, header, direction of the first click)
    ("name", gettext_lazy("Name"), ""),
    ("state", gettext_lazy("State"), ""),
    ("requested", gettext_lazy("Requested on"), "-"),
    ("changed", gettext_lazy("State changed on"), "-"),
)


# --- access -------------------------------------------------------------------------------------

def staff_only(view):
    """Logged-in staff members only (others get 403); consultants read only (POST is 403)."""
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        require_staff(request.user)
        if request.method not in SAFE_METHODS:
            require_manager(request.user)
        return view(request, *args, **kwargs)
    return wrapper


def only(*methods):
    """Refuse other HTTP methods with 405 (after the access checks of `staff_only`)."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


def card_view(*methods):
    """A page or action on one card: a card outside the scope is a 404 whatever the method."""
    def decorate(view):
        @wraps(view)
        @staff_only
        def wrapper(request, card_id):
            card = office.card_in_scope_or_404(request.user, card_id)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, card)
        return wrapper
    return decorate


# --- search and export -----------------------------------------------------------------------

def _searched_cards(request):
    scope = scope_of(request.user)
    form = CardSearchForm(request.GET, scope=scope)
    cards = search_cards(scope, form.card_query()) if form.is_valid() else Card.objects.none()
    return form, cards


def _sort_columns(current):
    columns = []
    for key, label, first in SORT_COLUMNS:
        direction = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        following = {key: f"-{key}", f"-{key}": key}.get(current, f"{first}{key}")
        columns.append({"label": label, "sort": following, "aria_sort": direction})
    return columns


def paginate(request, items, param="page", label=""):
    """One page of `items` and the links to its neighbours, keeping the other parameters.

    A page number that is not one (or beyond MAX_PAGE) shows the first page and says why, as
    the search form shows its errors next to what it can still show."""
    try:
        number = page_number(request.GET, param)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        number = 1
    page = Paginator(items, PER_PAGE).get_page(number)

    def link(number):
        params = request.GET.copy()
        params[param] = number
        return f"?{params.urlencode()}"

    return {
        "page": page, "label": label or _("Pages"),
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
    }


@staff_only
@only(*SAFE_METHODS)
def card_list(request):
    form, cards = _searched_cards(request)
    pager = paginate(request, cards)
    return render(request, "backoffice/card_list.html", {
        "form": form,
        "page": pager["page"],
        "pager": pager,
        "sort_columns": _sort_columns(form.current_sort),
        "can_act": scope_of(request.user).is_manager,
        "uploads": _uploadable_sources(request.user),
    })


def _uploadable_sources(user):
    from campuscard.backoffice.sources_views import uploadable_sources

    return uploadable_sources(user)


@staff_only
@only(*SAFE_METHODS)
def export_csv(request):
    _form, cards = _searched_cards(request)
    response = StreamingHttpResponse(export.csv_lines(cards),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.export_filename()}"'
    return response


# --- one card ------------------------------------------------------------------------------------

@card_view(*SAFE_METHODS)
def card_detail(request, card):
    return _card_page(request, card)


def _card_page(request, card, *, submitted=None, status=200):
    roles = roles_on_card(Actor.from_request(request), card)
    may_act = scope_of(request.user).is_manager
    return render(request, "backoffice/card_detail.html", {
        "card": card,
        "card_as_list": [card],
        "may_act": may_act,
        "person": card.person,
        "offers": office.card_offers(card, roles) if may_act else [],
        "may_deliver": may_act and office.may_mark_delivered(card, roles),
        "history": office.card_history(card),
        "pushes": office.card_pushes(card),
        "connections": connections(card),
        "other_cards": office.other_cards_of(card, request.user),
        "submitted": submitted or {},
        "esc_last_sent": esc_router.last_sent(card),
        "esc_live": esc_router.router_view_of(card),
        "esc_configured": esc_router.router_configured(),
        "may_push_esc": may_act and esc_router.push_again_refusal(card, roles) is None,
        "crous": crous_pages.manager_view(card),
        "may_push_crous": may_act and crous.push_again_refusal(card, roles) is None,
        "may_sync": may_act and bool(settings.CAMPUSCARD_SOURCES_FILE),
        "chip": nfc_services.chip_content(card),
    }, status=status)


@card_view("POST")
def card_transition(request, card):
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This action could not be understood; reload the page."))
        return redirect("backoffice:card", card.pk)
    data = form.cleaned_data
    try:
        changed = card_services.change_state(
            office.as_seen(card, data["seen_state"]), data["target"], Actor.from_request(request),
            reason=data["reason"], disable_reason=data["disable_reason"], csn=data["csn"])
    except (IllegalTransition, ValidationError) as exc:
        messages.error(request, office.error_message(exc))
        card.refresh_from_db()
        return _card_page(request, card, submitted=data,
                          status=400 if isinstance(exc, ValidationError) else 409)
    messages.success(request, _("Done: the card is now “%(state)s”.")
                     % {"state": State(changed.state).label})
    return redirect("backoffice:card", card.pk)


@card_view("POST")
def card_delivered(request, card):
    try:
        card_services.mark_delivered(card, Actor.from_request(request))
    except IllegalTransition as exc:
        messages.error(request, office.error_message(exc))
    else:
        messages.success(request, _("The card is recorded as delivered."))
    return redirect("backoffice:card", card.pk)


@card_view("POST")
def card_esc_push(request, card):
    queued, refused = esc_router.push_again([card], Actor.from_request(request))
    if queued:
        messages.success(request, _("The card will be pushed to the ESC router again."))
    for message in refused.values():
        messages.error(request, message)
    return redirect("backoffice:card", card.pk)


# --- bulk actions ------------------------------------------------------------------------------

def form_problem(form, usual):
    """What to tell of a refused selection: `usual` when nothing was selected, the limit when
    too much was, else (a forged or stale value) that it could not be understood."""
    errors = [error for field in form.errors.as_data().values() for error in field]
    if all(error.code == "required" for error in errors):
        return usual
    too_many = [message for error in errors if error.code == "too_many"
                for message in error.messages]
    if too_many:
        return too_many[0]
    return _("This selection could not be understood; reload the page. Nothing was changed.")


def search_url(back):
    """The search page with the parameters it had (re-encoded: nothing else can slip in)."""
    params = QueryDict(back or "").urlencode()
    return reverse("backoffice:cards") + (f"?{params}" if params else "")


@staff_only
@only("POST")
def bulk_choose(request):
    form = CardSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_problem(form, _("Select at least one card.")))
        return redirect(search_url(request.POST.get("back")))
    cards = office.cards_in_scope_or_404(request.user, form.cleaned_data["card"])
    actor = Actor.from_request(request)
    return render(request, "backoffice/bulk_confirm.html", {
        "cards": cards,
        "offers": office.bulk_offers(cards, actor),
        "may_deliver": office.may_bulk_deliver(cards, actor),
        "may_push_esc": esc_router.may_push_again(cards, actor),
        "may_push_crous": office_crous.may_push_again(cards, actor),
        "back": QueryDict(form.cleaned_data["back"]).urlencode(),
        "DELIVER": DELIVER,
        "PUSH_ESC": PUSH_ESC,
        "PUSH_CROUS": PUSH_CROUS,
    })


@staff_only
@only("POST")
def bulk_apply(request):
    form = BulkApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This action could not be understood; nothing was changed."))
        return redirect(search_url(request.POST.get("back")))
    data = form.cleaned_data
    cards = office.cards_in_scope_or_404(request.user, data["card"])
    seen = [office.as_seen(card, data["card"][card.pk]) for card in cards]
    actor = Actor.from_request(request)
    if data["action"] == PUSH_ESC:
        queued, refused = esc_router.push_again(cards, actor)
        _report_push_again(request, queued, refused)
        return redirect(search_url(data["back"]))
    if data["action"] == PUSH_CROUS:
        queued, refused = crous.push_again(cards, actor)
        _report_push_again(request, queued, refused, done=_crous_pushed)
        return redirect(search_url(data["back"]))
    if data["action"] == DELIVER:
        done, failures = office.bulk_mark_delivered(seen, actor)
    else:
        done, failures = card_services.bulk_change_state(
            seen, data["action"], actor,
            reason=data["reason"], disable_reason=data["disable_reason"])
    _report_bulk(request, done, failures)
    return redirect(search_url(data["back"]))


def _report_bulk(request, done, failures):
    if done:
        messages.success(request, ngettext("%(count)d card updated.", "%(count)d cards updated.",
                                           len(done)) % {"count": len(done)})
    for card, message in failures.items():
        messages.error(request, _("Card %(number)s (%(name)s) was not changed: %(message)s") % {
            "number": card.number, "name": card.person.full_name, "message": message})


def _esc_pushed(count):
    return ngettext("%(count)d card will be pushed to the ESC router again.",
                    "%(count)d cards will be pushed to the ESC router again.",
                    count) % {"count": count}


def _crous_pushed(count):
    return ngettext("%(count)d card will be pushed to CROUS again.",
                    "%(count)d cards will be pushed to CROUS again.", count) % {"count": count}


def _report_push_again(request, queued, refused, *, done=_esc_pushed):
    if queued:
        messages.success(request, done(len(queued)))
    for card, message in refused.items():
        messages.error(request, _("Card %(number)s (%(name)s) was not pushed: %(message)s") % {
            "number": card.number, "name": card.person.full_name, "message": message})


# --- pushes to other systems -----------------------------------------------------------------

@staff_only
@only(*SAFE_METHODS)
def outbox_failed(request):
    require_manager(request.user)
    items = office.outbox_in_scope(scope_of(request.user))
    failed = items.filter(status=OutboxItem.Status.FAILED).order_by("-id")
    retrying = items.filter(status=OutboxItem.Status.PENDING, attempts__gt=0)
    pages = {
        "failed": paginate(request, failed, "page", _("Pages of failed pushes")),
        "retrying": paginate(request, retrying.order_by("not_before", "id"), "retrying_page",
                             _("Pages of pushes being retried")),
    }
    for paginated in pages.values():
        paginated["page"].object_list = office.name_pushed_objects(paginated["page"].object_list)
    return render(request, "backoffice/outbox.html", pages)


@staff_only
@only("POST")
def outbox_retry(request):
    form = OutboxRetryForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_problem(form, _("Select at least one push to retry.")))
        return redirect("backoffice:outbox")
    wanted = set(form.item_ids())
    items = list(office.outbox_in_scope(scope_of(request.user)).filter(pk__in=wanted))
    if len(items) != len(wanted):
        raise Http404
    count = outbox.retry(items, Actor.from_request(request))
    _report_retry(request, count, len(items) - count)
    return redirect("backoffice:outbox")


def _report_retry(request, count, skipped):
    if count:
        messages.success(request, ngettext(
            "%(count)d push is back in the queue.", "%(count)d pushes are back in the queue.",
            count) % {"count": count})
    if skipped:
        messages.warning(request, ngettext(
            "%(count)d push was no longer failed and was left as it is.",
            "%(count)d pushes were no longer failed and were left as they are.",
            skipped) % {"count": skipped})
