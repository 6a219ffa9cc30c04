"""What a refusal or a failure looks like to the person or program that made the request.

Pages are translated, look like the rest of the site (base.html) and show the request id; paths
that an API serves answer JSON instead, in the shape that API registers with `answer_json_under`
(the JSON API registers /api/). The handlers at the end are the site's handler400, 403, 404 and
500 (see campuscard/urls.py). None of them shows an exception's text: a refusal that should
explain itself calls `error_response(request, status, message)` with a translated message.
"""

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.core import requestid

logger = logging.getLogger("campuscard.errors")

TITLES = {
    400: gettext_lazy("The request could not be understood"),
    403: gettext_lazy("Access denied"),
    404: gettext_lazy("Page not found"),
    413: gettext_lazy("The request is too large"),
}
MESSAGES = {
    400: gettext_lazy("Something in the request is not valid. Go back and try again."),
    403: gettext_lazy("You are not allowed to see this page or to do this."),
    404: gettext_lazy("This page does not exist, or you may not see it."),
    413: gettext_lazy("What was sent is larger than this site accepts."),
    500: gettext_lazy("Something went wrong on our side."),
}

_json_shapes = {}  # path prefix → shape(status, message, request_id) → the body's data


def answer_json_under(prefix, shape):
    """Requests whose path starts with `prefix` get their errors as JSON: `shape(status,
    message, request_id)` gives the body."""
    _json_shapes[prefix] = shape


def json_shape_for(request):
    path = request.path_info
    for prefix, shape in _json_shapes.items():
        if path.startswith(prefix):
            return shape
    return None


def error_response(request, status, message=None):
    """A translated error page (or JSON body) for `status`, showing `message` and the id."""
    message = str(message or MESSAGES.get(status) or MESSAGES[400])
    shape = json_shape_for(request)
    if shape is not None:
        return JsonResponse(shape(status, message, requestid.current()), status=status)
    if status >= 500:
        return _server_error_page(message)
    context = {"status": status, "title": TITLES.get(status, TITLES[400]), "message": message,
               "request_id": requestid.current()}
    return render(request, "errors/page.html", context, status=status)


def _server_error_page(message):
    """Rendered without the request: no context processor (they query the database, which may
    be what failed), no URL to reverse."""
    try:
        content = loader.get_template("500.html").render(
            {"message": message, "request_id": requestid.current()})
    except Exception:  # the page must come out even when templates cannot be rendered
        logger.exception("the error page could not be rendered")
        content = f"{_('Server error. Reference:')} {requestid.current() or '-'}"
        return HttpResponse(content, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(content, status=500)


# --- the handlers named in campuscard/urls.py ---------------------------------------------------

def bad_request(request, exception):
    return error_response(request, 400)


def permission_denied(request, exception):
    return error_response(request, 403)


def page_not_found(request, exception):
    return error_response(request, 404)


def server_error(request):
    return error_response(request, 500)
