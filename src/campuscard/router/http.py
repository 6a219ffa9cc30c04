"""The HTTP side shared by the router's views: key authentication, the answer's language, JSON
answers, and every refusal as an ApiErrorMessage (also 404 and 405 inside /esc-rest/, and
unexpected errors).

The router is a token API: its views are exempt from CSRF, and never read the session. Its
messages are in the language of the caller's Accept-Language (French or English), in English
when the header names neither: a machine client sends none, and the site's default language is
for people.
"""

import functools

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt

from campuscard.core import requestid
from campuscard.router import ratelimit
from campuscard.router.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    RouterProblem,
    TooManyRequests,
    Unauthenticated,
)
from campuscard.router.keys import find_key, touch
from campuscard.router.representations import error_view

DEFAULT_LANGUAGE = "en"


def answer_language(request):
    """The first language of the request's Accept-Language that we speak, else English."""
    header = request.headers.get("Accept-Language", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return DEFAULT_LANGUAGE


def in_callers_language(view):
    """Run `view` in the caller's language (answer_language) and say so in the answer."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        language = answer_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapped


def json_response(data, status=200):
    return JsonResponse(data, status=status, safe=False)


def no_content():
    """204: no body, hence no Content-Type."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def problem_response(problem):
    response = JsonResponse(error_view(problem), status=problem.status)
    if isinstance(problem, Unauthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="esc-rest"'
    if isinstance(problem, TooManyRequests):
        response["Retry-After"] = str(problem.retry_after)
    return response


def method_not_allowed(allowed):
    response = problem_response(MethodNotAllowed(
        _("This address answers %(methods)s only.") % {"methods": ", ".join(allowed)}))
    response["Allow"] = ", ".join(allowed)
    return response


def presented_key(request):
    """`Authorization: Bearer <key>`, else the `api_key` header the contract declares (which
    reaches us as api-key: servers drop header names with an underscore)."""
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.META.get("HTTP_API_KEY", "").strip()


def authenticate(request):
    """The caller's key (its organisation loaded); 401 when it is missing, unknown or
    revoked."""
    key = find_key(presented_key(request))
    if key is None:
        raise Unauthenticated(_("A valid API key is required: send it as "
                                "“Authorization: Bearer <key>”."))
    touch(key)
    return key


def refuse_nul_parameters(request):
    """A NUL character in a query parameter (name or value) is a 400: no database stores it."""
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise BadRequest(_("Text may not contain a NUL character."))


def answer(request, produce):
    """Run `produce()`; its refusals, and any unexpected error, become JSON answers. An
    unexpected error is logged once, with its traceback, and its answer names the request id."""
    try:
        return produce()
    except RouterProblem as problem:
        return problem_response(problem)
    except (SuspiciousOperation, MultiPartParserError):
        return problem_response(BadRequest(_("The request could not be read (too large or "
                                             "malformed).")))
    except Exception as exc:
        response = problem_response(RouterProblem(unexpected_error_message()))
        log_response("%s: %s", "Internal Server Error", request.path, response=response,
                     request=request, exception=exc)
        return response


def unexpected_error_message(request_id=None):
    request_id = request_id or requestid.current() or "-"
    return _("Unexpected error (request %(id)s).") % {"id": request_id}


def problem_body(status, message, request_id):
    """The ApiErrorMessage of a refusal made before the router's views (e.g. a NUL in the
    address), for core.errorpages."""
    code = {400: BadRequest.code, 404: NotFound.code, 413: BadRequest.code}.get(
        status, RouterProblem.code)
    if status >= 500:
        message = unexpected_error_message(request_id)
    return {"code": code, "message": message}


def serve(handler, request, kwargs):
    """handler(request, organisation, **kwargs) for the caller's key. A refusal that answers a
    probe (a person or card not the caller's own) is counted for the key; over its rate the
    answer is 429 instead."""
    key = authenticate(request)
    refuse_nul_parameters(request)
    try:
        return handler(request, key.organisation, **kwargs)
    except RouterProblem as problem:
        if problem.probe and not ratelimit.allow_probe(key):
            raise TooManyRequests(
                _("Too many requests for persons or cards that are not your organisation's. "
                  "Try again in a minute."), ratelimit.retry_after()) from None
        raise


def endpoint(**handlers):
    """A view serving each method with its handler (GET=…, PUT=…), called as
    handler(request, organisation, **url arguments) once the caller's key is checked."""
    allowed = sorted(handlers)

    @csrf_exempt
    @in_callers_language
    def view(request, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            return method_not_allowed(allowed)
        return answer(request, lambda: serve(handler, request, kwargs))

    return view
