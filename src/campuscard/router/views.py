"""The ESC-R v2 endpoints. Each handler reads the request, calls one service, writes the answer.
Paths and names are the published contract's (tests/contract/esc-router-v2.json)."""

import base64

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from campuscard.router import ratelimit, services
from campuscard.router.csvcheck import csv_config as csv_config_map
from campuscard.router.errors import BadRequest, NotFound, TooManyRequests
from campuscard.router.http import (
    answer,
    endpoint,
    in_callers_language,
    json_response,
    method_not_allowed,
    no_content,
    problem_response,
)
from campuscard.router.inputs import query_int, read_object, read_paging
from campuscard.router.representations import (
    card_lite_view,
    card_view,
    page_view,
    person_lite_view,
    person_view,
)

QR_MEDIA_TYPES = {"image/svg+xml": "svg", "image/*": "svg", "*/*": "svg", "text/plain": "base64"}


def _page_links(request, paging, total):
    def link(rel, number):
        query = request.GET.copy()
        query["page"], query["size"] = number, paging.size
        href = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return {"rel": rel, "href": href}

    links = [link("self", paging.page)]
    if paging.page > 0:
        links.append(link("prev", paging.page - 1))
    if (paging.page + 1) * paging.size < total:
        links.append(link("next", paging.page + 1))
    return links


# --- persons -------------------------------------------------------------------------------

def _list_persons(request, organisation):
    paging = read_paging(request, services.PERSON_SORTS)
    persons, total = services.list_persons(organisation, paging)
    content = [person_lite_view(person, person.own_memberships) for person in persons]
    return json_response(page_view(content, total, paging, _page_links(request, paging, total)))


def _create_person(request, organisation):
    person = services.create_person(organisation, read_object(request.body))
    return json_response(person_view(person), status=201)


def _read_person(request, organisation, esi):
    return json_response(person_view(services.find_person(organisation, esi)))


def _update_person(request, organisation, esi):
    person = services.update_person(organisation, esi, read_object(request.body))
    return json_response(person_view(person))


def _delete_person(request, organisation, esi):
    services.delete_person(organisation, esi)
    return no_content()


persons = endpoint(GET=_list_persons, POST=_create_person)
person = endpoint(GET=_read_person, PUT=_update_person, DELETE=_delete_person)


# --- pictures ------------------------------------------------------------------------------

def _read_picture(request, organisation, pic, esi):
    jpeg = services.read_picture(organisation, pic, esi)
    return HttpResponse(jpeg, content_type="application/octet-stream")


def _resize(request):
    value = request.GET.get("resize", "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(_("resize is true or false."))
    return value == "true"


def _store_picture(request, organisation, pic, esi):
    services.store_picture(organisation, pic, esi, request.FILES.get("file"),
                           resize=_resize(request))
    return json_response(_("The picture is stored."), status=201)


def _delete_picture(request, organisation, pic, esi):
    services.delete_picture(organisation, pic, esi)
    return no_content()


picture = endpoint(GET=_read_picture, POST=_store_picture, DELETE=_delete_picture)


# --- cards ---------------------------------------------------------------------------------

def _list_cards(request, organisation):
    paging = read_paging(request, services.CARD_SORTS)
    cards, total = services.list_cards(organisation, paging)
    content = [card_lite_view(card, organisation) for card in cards]
    return json_response(page_view(content, total, paging, _page_links(request, paging, total)))


def _create_card(request, organisation):
    card = services.create_card(organisation, read_object(request.body))
    return json_response(card_view(card, organisation), status=201)


def _read_card(request, organisation, escn):
    return json_response(card_view(services.find_card(organisation, escn), organisation))


def _update_card(request, organisation, escn):
    card = services.update_card(organisation, escn, read_object(request.body))
    return json_response(card_view(card, organisation))


def _delete_card(request, organisation, escn):
    services.delete_card(organisation, escn)
    return no_content()


cards = endpoint(GET=_list_cards, POST=_create_card)
card = endpoint(GET=_read_card, PUT=_update_card, DELETE=_delete_card)


def _qr_form(request):
    """'svg' or 'base64', from the Accept header (the contract's default: an SVG)."""
    accepted = [part.split(";")[0].strip().lower()
                for part in request.headers.get("Accept", "").split(",") if part.strip()]
    for media_type in accepted or ["image/svg+xml"]:
        if media_type in QR_MEDIA_TYPES:
            return QR_MEDIA_TYPES[media_type]
    raise BadRequest(_("The QR code comes as image/svg+xml or text/plain (base64): say which "
                       "in the Accept header."))


def _card_qr(request, organisation, escn):
    form = _qr_form(request)
    svg = services.card_qr(organisation, escn,
                           orientation=request.GET.get("orientation", "horizontal"),
                           colours=request.GET.get("colours", "normal"),
                           size=request.GET.get("size", "S"))
    if form == "base64":
        return HttpResponse(base64.b64encode(svg.encode()), content_type="text/plain")
    return HttpResponse(svg, content_type="image/svg+xml")


card_qr = endpoint(GET=_card_qr)


def _generate_escns(request, organisation):
    prefix = query_int(request, "prefix", None, maximum=999)
    pic = request.GET.get("pic", "").strip()
    if prefix is None or not pic:
        raise BadRequest(_("prefix and pic are required."))
    count = query_int(request, "numberOfESCN", 1, minimum=1,
                      maximum=services.MAX_ESCNS_PER_CALL)
    return json_response(services.generate_escns(organisation, prefix=prefix, pic=pic,
                                                 count=count))


def _csv_config(request, organisation):
    return json_response(csv_config_map())


def _validate_csv(request, organisation):
    errors = services.validate_csv(organisation, request.FILES.get("file"),
                                   request.GET.get("operation", ""))
    return json_response(errors)


generate_escn = endpoint(GET=_generate_escns)
csv_config = endpoint(GET=_csv_config)
validate_csv = endpoint(POST=_validate_csv)


# --- public --------------------------------------------------------------------------------

@csrf_exempt
@never_cache
@in_callers_language
def card_status(request, escn):
    """The public CardStatusView: no key, no session; rate-limited per client address."""
    if request.method != "GET":
        return method_not_allowed(["GET"])
    return answer(request, lambda: _public_status(request, escn))


def _public_status(request, escn):
    if not ratelimit.allow(request):
        raise TooManyRequests(_("Too many checks from your address. Try again in a minute."),
                              ratelimit.retry_after())
    found = services.public_status(escn)
    if found is None:
        raise NotFound(_("No card has this number."))
    return json_response(found)


@csrf_exempt
@in_callers_language
def not_found(request):
    return problem_response(NotFound(
        _("No such address in the router's API (its paths start with /esc-rest/api/v2/).")))
