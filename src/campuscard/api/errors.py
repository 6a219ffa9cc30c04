"""How failures look to API callers: always JSON with a translated `detail`.

Bodies are read by `JsonParser` (core.jsonbody's limits: size, depth, no NUL); an unexpected
error is logged with its traceback and answered 500 with the request's `request_id`, which the
`X-Request-ID` header also carries.
"""

from functools import partial

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.http import Http404
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.parser import Parser

from campuscard.cards.services import StaleCard
from campuscard.cards.states import IllegalTransition, NotAllowed
from campuscard.core import jsonbody, requestid


class BodyTooLarge(jsonbody.BadJson):
    pass


def _too_large_message(size):
    return _("The body is too large (at most %(size)s bytes).") % {"size": size}


class JsonParser(Parser):
    """JSON bodies within core.jsonbody's limits. ninja turns any failure here into an
    HttpError(400) caused by it; `_http_error` gives the caller the reason."""

    def parse_body(self, request):
        if len(request.body) > jsonbody.MAX_BYTES:
            raise BodyTooLarge(_too_large_message(jsonbody.MAX_BYTES))
        return jsonbody.load_json(request.body)


def error_body(status, message, request_id):
    """The JSON of an error answered outside the API's own handlers (core.errorpages)."""
    return {"detail": message, "request_id": request_id}


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


def _http_error(api, request, exc):
    cause = exc.__cause__
    if isinstance(cause, BodyTooLarge):
        return api.create_response(request, {"detail": str(cause)}, status=413)
    if isinstance(cause, jsonbody.BadJson):
        return api.create_response(request, {"detail": str(cause)}, status=400)
    return api.create_response(request, {"detail": str(exc.message)}, status=exc.status_code)


def _too_big(api, request, exc):
    """More than DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses to read it."""
    return api.create_response(
        request, {"detail": _too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
        status=413)


def _unreadable(api, request, exc):
    return api.create_response(
        request, {"detail": _("The request could not be read (too large or malformed).")},
        status=400)


def _unexpected(api, request, exc):
    """Logged once, with the traceback (Django's request logger then skips this response)."""
    response = api.create_response(
        request, error_body(500, _("Unexpected error."), requestid.current()), status=500)
    log_response("%s: %s", "Internal Server Error", request.path, response=response,
                 request=request, exception=exc)
    return response


HANDLERS = {
    AuthenticationError: _unauthenticated,
    Http404: _not_found,
    RequestInvalid: _request_invalid,
    IllegalTransition: _illegal,
    NotAllowed: _not_allowed,
    StaleCard: _stale,
    ValidationError: _invalid,
    HttpError: _http_error,
    RequestDataTooBig: _too_big,
    SuspiciousOperation: _unreadable,
    SourceUnavailable: _source_unavailable,
    Exception: _unexpected,
}


def install(api):
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, partial(handler, api))
