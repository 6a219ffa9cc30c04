"""Middleware of our own: a request id for every request, and no NUL character in any text.

RequestIdMiddleware comes first in settings.MIDDLEWARE, so that every response (also a refusal
by another middleware) carries `X-Request-ID` and every log record of the request its id.

RefuseNulMiddleware refuses, with a translated 400, a request whose path, query string, headers
or form values contain a NUL character: PostgreSQL cannot store or compare one (psycopg raises
ValueError) and no text field has a use for it. Cookies holding one are dropped instead (a
forged session cookie then simply means no session). Form values are checked once the view is
known, for the views that read forms: the token APIs (csrf_exempt views: /api, /esc-rest) read
their own bodies, checked by `core.jsonbody.load_json`, and answer in their own format.
Uploaded files are not text values and are not looked at.
"""

from django.utils.translation import gettext as _

from campuscard.core import requestid
from campuscard.core.errorpages import error_response

NUL = "\x00"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = requestid.for_request(request)
        token = requestid.begin(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            requestid.end(token)
        response[requestid.HEADER] = request.request_id
        return response


def contains_nul(querydict):
    return any(NUL in key or any(NUL in value for value in values)
               for key, values in querydict.lists())


def refused(request):
    return error_response(request, 400, _("Text may not contain a NUL character."))


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.COOKIES.items()):
            if NUL in name or NUL in value:
                del request.COOKIES[name]
        headers = (value for key, value in request.META.items() if key.startswith("HTTP_"))
        if (NUL in request.path_info or contains_nul(request.GET)
                or any(NUL in value for value in headers if isinstance(value, str))):
            return refused(request)
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method != "POST" or getattr(view, "csrf_exempt", False):
            return None
        if contains_nul(request.POST):
            return refused(request)
        return None
