"""The baseline of bench/status_bench.py: a bare WSGI handler that runs the same single query as
the router's public status and answers the same JSON, without Django. One connection per
worker process. Served by the same gunicorn, with the same worker count, as CampusCard.
"""

import datetime
import json
import os
import re

import psycopg

QUERY = ("SELECT c.escn, c.display_name, c.issued_at, c.expires_at, c.status, o.pic, o.name "
         "FROM router_routercard c JOIN router_organisation o ON o.id = c.issuer_id "
         "WHERE c.escn = %s")
PATH_RE = re.compile(r"^/esc-rest/api/v2/cards/([^/]+)/status$")
_connection = None


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _connection


def application(environ, start_response):
    match = PATH_RE.match(environ.get("PATH_INFO", ""))
    row = connection().execute(QUERY, (match[1],)).fetchone() if match else None
    if row is None:
        body, status = b'{"code":"ER-0001","message":"No card has this number."}', "404 Not Found"
    else:
        escn, name, issued, expires, state, pic, issuer = row
        if expires < datetime.date.today():
            state = "EXPIRED"
        body = json.dumps({"cardNumber": escn, "displayName": name,
                           "issuedAt": issued.isoformat(), "expiresAt": expires.isoformat(),
                           "issuerIdentifier": pic, "issuerName": issuer,
                           "status": state}).encode()
        status = "200 OK"
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]
