"""How failures look to API callers: always JSON with a translated `detail`."""

from functools import partial

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestInvalid

from campuscard.cards.services import StaleCard
from campuscard.cards.states import IllegalTransition, NotAllowed


def _unauthenticated(api, request, exc):
    response = api.create_response(
        request, {"detail": _("A valid API token is required.")}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _not_found(api, request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


def _request_invalid(api, request, exc):
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": exc.errors}, status=422)


def _illegal(api, request, exc):
    return api.create_response(
        request, {"detail": str(exc.message), "code": "illegal_transition"}, status=409)


def _not_allowed(api, request, exc):
    return api.create_response(
        request, {"detail": str(exc.message), "code": "not_allowed"}, status=403)


def _stale(api, request, exc):
    return api.create_response(
        request, {"detail": str(exc.message), "code": "stale_card"}, status=409)


def _invalid(api, request, exc):
    messages = [str(message) for message in exc.messages]
    return api.create_response(
        request, {"detail": " ".join(messages), "errors": messages}, status=422)


class SourceUnavailable(Exception):
    """A person source could not be read: nothing changed."""


def _source_unavailable(api, request, exc):
    return api.create_response(
        request, {"detail": str(exc), "code": "source_unavailable"}, status=503)


HANDLERS = {
    AuthenticationError: _unauthenticated,
    Http404: _not_found,
    RequestInvalid: _request_invalid,
    IllegalTransition: _illegal,
    NotAllowed: _not_allowed,
    StaleCard: _stale,
    ValidationError: _invalid,
    SourceUnavailable: _source_unavailable,
}


def install(api):
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, partial(handler, api))
