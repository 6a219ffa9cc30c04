"""The HTTP side shared by the router's views: key authentication, JSON answers, and every
refusal as an ApiErrorMessage (also 404 and 405 inside /esc-rest/, and unexpected errors).

The router is a token API: its views are exempt from CSRF, and never read the session.
"""

import logging

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from campuscard.router.errors import (
    BadRequest,
    MethodNotAllowed,
    RouterProblem,
    Unauthenticated,
)
from campuscard.router.keys import find_key, touch
from campuscard.router.representations import error_view

logger = logging.getLogger("campuscard.router")


def json_response(data, status=200):
    return JsonResponse(data, status=status, safe=False)


def problem_response(problem):
    response = JsonResponse(error_view(problem), status=problem.status)
    if isinstance(problem, Unauthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="esc-rest"'
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
    """The organisation of the caller's key; 401 when the key is missing, unknown or revoked."""
    key = find_key(presented_key(request))
    if key is None:
        raise Unauthenticated(_("A valid API key is required: send it as "
                                "“Authorization: Bearer <key>”."))
    touch(key)
    return key.organisation


def answer(produce):
    """Run `produce()`; its refusals, and any unexpected error, become JSON answers."""
    try:
        return produce()
    except RouterProblem as problem:
        return problem_response(problem)
    except (SuspiciousOperation, MultiPartParserError):
        return problem_response(BadRequest(_("The request could not be read (too large or "
                                             "malformed).")))
    except Exception:
        logger.exception("router: unexpected error")
        return problem_response(RouterProblem(_("Unexpected error.")))


def endpoint(**handlers):
    """A view serving each method with its handler (GET=…, PUT=…), called as
    handler(request, organisation, **url arguments) once the caller's key is checked."""
    allowed = sorted(handlers)

    @csrf_exempt
    def view(request, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            return method_not_allowed(allowed)
        return answer(lambda: handler(request, authenticate(request), **kwargs))

    return view
