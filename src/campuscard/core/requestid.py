"""An id for each request, so that what a person sees on an error page (and an API client in an
error body and the `X-Request-ID` header) leads to the log lines of that request.

`current()` is the id of the request being served (None outside one, e.g. in the worker). The
middleware (`core.middleware.RequestIdMiddleware`) sets it; `RequestIdFilter` writes it on every
log record as `request_id`, for the formatter.

An incoming `X-Request-ID` is kept only when it comes from one of CAMPUSCARD_TRUSTED_PROXIES
(the proxy's own id then joins its access log to ours) and is short and plain: anyone else could
choose an id that collides with another request's, or write arbitrary text into the logs.
"""

import contextvars
import logging
import re
import uuid

from campuscard.core.actors import is_trusted_proxy

HEADER = "X-Request-ID"
ACCEPTED_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")  # nginx's $request_id: 32 hex

_current = contextvars.ContextVar("campuscard_request_id", default=None)


def current():
    """The id of the request being served, or None."""
    return _current.get()


def new_id():
    return uuid.uuid4().hex


def for_request(request):
    """The id to give `request`: its proxy's, when trusted and well-formed, else a new one."""
    incoming = request.headers.get(HEADER, "")
    if incoming and ACCEPTED_RE.fullmatch(incoming) and is_trusted_proxy(
            request.META.get("REMOTE_ADDR")):
        return incoming
    return new_id()


def begin(request_id):
    """Make `request_id` current; returns what `end()` takes to restore the previous one."""
    return _current.set(request_id)


def end(token):
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) to every record a handler writes. Django logs
    a 4xx once the middleware has returned, with the request attached: its id is read there."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current() or "-"
        return True
