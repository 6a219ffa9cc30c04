"""The public card status without Django's middleware: every scan of an ESC QR code in Europe
may end here, so the one common answer (a known card) is served by this lean WSGI handler,
ahead of the full stack. It keeps what matters of the full path: the host is checked against
ALLOWED_HOSTS, the client is counted by the rate limiter, the ESCN is validated, and the JSON is
the same CardStatusView. Anything else (an unknown or malformed number, a client over its limit,
another method, a database error) goes on to Django, which answers it in full."""

import json
import re
from types import SimpleNamespace

from django.conf import settings
from django.db import DatabaseError, connection
from django.http.request import split_domain_port, validate_host

from campuscard.core import ratelimit as core_ratelimit
from campuscard.core import requestid
from campuscard.router import ratelimit
from campuscard.router.services import counted_public_status, public_status

STATUS_PATH = re.compile(r"^/esc-rest/api/v2/cards/([^/]+)/status$")
HEADERS = [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store")]


def with_fast_status(django_app):
    def application(environ, start_response):
        match = STATUS_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "GET" or not _host_ok(environ):
            return django_app(environ, start_response)
        body = _known_card(environ, match[1])
        if body is None:
            return django_app(environ, start_response)
        start_response("200 OK", [*HEADERS, ("Content-Length", str(len(body))),
                                  (requestid.HEADER, requestid.new_id())])
        return [body]

    return application


def _host_ok(environ):
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def _known_card(environ, escn):
    try:
        allowed, found = _count_and_read(SimpleNamespace(META=environ), escn)
    except DatabaseError:  # Django's full path opens a new connection
        connection.close()
        return None
    ratelimit.remember(environ, allowed)  # so that Django, if it answers, counts it no more
    return json.dumps(found).encode() if allowed and found else None


def _count_and_read(request, escn):
    """(allowed, CardStatusView or None). When the count lives in PostgreSQL, the count and the
    read go in one round trip."""
    rate = settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE
    if rate > 0 and core_ratelimit.counts_in_database() and connection.vendor == "postgresql":
        hits, found = counted_public_status(
            escn, core_ratelimit.count_statement(*ratelimit.hit_key(request)))
        return hits <= rate, found
    allowed = ratelimit.allow(request)
    return allowed, (public_status(escn) if allowed else None)
