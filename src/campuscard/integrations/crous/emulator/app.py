"""A WSGI emulator of the CROUS API as integrations.md §1 describes it (paths, bodies, statuses,
error codes), for tests, the demo and the bench.

Where the facts say what the real API answers, the emulator answers the same:
- token: `POST /api/oauth/token?grant_type=client_credentials` (also `/api-pp/oauth/token`) with
  HTTP Basic client credentials → `{"access_token", "token_type", "expires_in"}`; the deprecated
  `POST /v1/token` (form body, `Authorization: base64(id:secret)` without "Basic") answers with an
  `authorization` header. A missing, unknown or expired bearer is 401;
- errors are `{"errors": [{"code", "message", "field"}]}`: 404 unknown (-42), 406 priority UAI,
  422 -8 (due date in the past), -9 (card already invalidated), -11 (client exists), -31 (card
  known, right-holder deleted for GDPR), -41 (client under opposition), -117 (anonymised), 423
  locked; a smartcard PATCH must carry the card's CSN in the `uid` header.

Where the facts are silent the choice is written here (and in docs/crous.md): a closed account
answers 422 "Le compte est cloturé" (no code) to a PUT and 404 with that message to a new
smartcard; a smartcard number or CSN already registered is 409; a missing required field is 422
with that `field` and no code; reopening an account that is not closed succeeds.

`/_emulator/…` is the control side (no authentication: bind it to localhost): the HTML page,
the state as JSON, the faults switch, and scripting an account locked, closed, anonymised or
forgotten (GDPR).
"""

import base64
import datetime
import json
import random
import re
import secrets
import threading
import time
from http import HTTPStatus
from urllib.parse import parse_qs, unquote

from campuscard.integrations.crous.emulator import page
from campuscard.integrations.crous.emulator.store import Store, dumps, loads

PREFIX = "/beforeizly/v1"
REASONS = frozenset({"DP", "DV", "CD", "HS"})
WRITABLE = ("identifier", "firstName", "lastName", "email", "dueDate", "idCompanyRate", "idRate",
            "simpleBirthDate", "ine", "rneOrgCode")
REQUIRED = ("identifier", "email", "dueDate")
SMARTCARD_FIELDS = ("idTransmitter", "idMapping", "idZdc", "zdcCreationDate", "pixSs", "pixNn",
                    "appl", "uid", "rid")
CLOSED_MESSAGE = "Le compte est cloturé"
MAX_BODY = 1_000_000


class Answer(Exception):
    """Raised by a handler to answer at once (an error, usually)."""

    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def api_error(status, message, code=None, field=None):
    return Answer(status, {"errors": [{"code": code, "message": message, "field": field}]})


def now():
    return datetime.datetime.now(datetime.UTC)


def iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_date(value, field):
    """Any ISO-8601 date-time, as CampusCard and ESUP send them (a `Z` that is really local
    time is read as UTC: a difference of an hour or two does not matter here)."""
    try:
        parsed = datetime.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise api_error(422, f"{field}: not a date", field=field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class Faults:
    """What the emulator does wrong on purpose, changed at run time (thread-safe enough: plain
    attribute writes). Applies to the business paths, not the token nor the control side."""

    def __init__(self, seed=11):
        self.failure_rate = 0.0  # 500 before doing anything
        self.lost_answer_rate = 0.0  # the work is done, then 500: the caller never hears of it
        self.delay = 0.0  # seconds before each answer
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def fate(self):
        with self.lock:
            roll = self.random.random()
        if roll < self.failure_rate:
            return "fail"
        if roll < self.failure_rate + self.lost_answer_rate:
            return "lose"
        return "pass"


class CrousEmulator:
    """The WSGI application. `clients` maps client id → secret."""

    def __init__(self, clients, *, store=None, token_seconds=3600, seed=11):
        self.clients = dict(clients)
        self.store = store or Store()
        self.token_seconds = token_seconds
        self.faults = Faults(seed)
        self.counts = {}
        self.server = None  # set by EmulatorServer: lets /_emulator/faults take it down
        self._counts_lock = threading.Lock()
        self._routes = [
            ("POST", r"/api/oauth/token", self.token),
            ("POST", r"/api-pp/oauth/token", self.token),
            ("POST", r"/v1/token", self.legacy_token),
            ("GET", rf"{PREFIX}/rightholders/(?P<id>[^/]+)", self.get_holder),
            ("POST", rf"{PREFIX}/rightholders", self.create_holder),
            ("PUT", rf"{PREFIX}/rightholders/(?P<id>[^/]+)", self.update_holder),
            ("PATCH", rf"{PREFIX}/rightholders/(?P<id>[^/]+)", self.change_identifier),
            ("DELETE", rf"{PREFIX}/closed-rightholders/(?P<id>[^/]+)", self.unclose),
            ("GET", rf"{PREFIX}/rightholders/(?P<id>[^/]+)/smartcard/(?P<zdc>[^/]+)",
             self.get_smartcard),
            ("POST", rf"{PREFIX}/rightholders/(?P<id>[^/]+)/smartcard", self.create_smartcard),
            ("PATCH", rf"{PREFIX}/rightholders/(?P<id>[^/]+)/smartcard/(?P<zdc>[^/]+)",
             self.patch_smartcard),
            ("GET", rf"{PREFIX}/crous/(?P<crous>[^/]+)/organization/(?P<rne>[^/]+)",
             self.tariff_rules),
            ("GET", r"/(?:_emulator/?)?", self.html_page),
            ("GET", r"/_emulator/state", self.state),
            ("POST", r"/_emulator/faults", self.set_faults),
            ("POST", r"/_emulator/reset", self.reset),
            ("POST", r"/_emulator/rightholders/(?P<id>[^/]+)/(?P<action>[a-z]+)",
             self.script_holder),
            ("PUT", r"/_emulator/rules/(?P<crous>[^/]+)/(?P<rne>[^/]+)", self.put_rules),
        ]
        self._compiled = [(method, re.compile(pattern + r"\Z"), handler)
                          for method, pattern, handler in self._routes]

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        status, body, headers = self.respond(environ)
        if isinstance(body, dict | list):
            payload, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            payload, content_type = body.encode(), "text/html; charset=utf-8"
        else:
            payload, content_type = body or b"", "text/plain; charset=utf-8"
        headers = {"Content-Type": content_type, "Content-Length": str(len(payload))} | headers
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [payload]

    def respond(self, environ):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        handler, params, allowed = self._route(method, path)
        if handler is None:
            return (405, api_error(405, "method not allowed").body, {}) if allowed else (
                404, api_error(404, "no such path").body, {})
        business = path.startswith(PREFIX)
        try:
            request = Request(environ, params)
            if business:
                self._count(handler.__name__)
                fate = self.faults.fate()
                if self.faults.delay:
                    time.sleep(self.faults.delay)
                if fate == "fail":
                    self._count("injected_failures")
                    return 500, b"injected failure", {}
                self._authenticate(request)
            result = handler(request)
            if business and fate == "lose":
                self._count("lost_answers")
                return 500, b"injected failure after the work was done", {}
        except Answer as answer:
            return answer.status, answer.body, answer.headers
        if isinstance(result, Answer):
            return result.status, result.body, result.headers
        return 200, result, {}

    def _route(self, method, path):
        allowed = False
        for route_method, pattern, handler in self._compiled:
            match = pattern.match(path)
            if match:
                if route_method == method:
                    return handler, {k: unquote(v) for k, v in match.groupdict().items()}, True
                allowed = True
        return None, None, allowed

    def _count(self, name):
        with self._counts_lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    # --- tokens -------------------------------------------------------------------------------

    def token(self, request):
        grant = (request.query.get("grant_type") or request.form().get("grant_type") or [""])[0]
        if grant != "client_credentials":
            raise Answer(400, {"error": "unsupported_grant_type"})
        client_id = self._client_from(request.headers.get("HTTP_AUTHORIZATION", ""), "Basic ")
        if client_id is None:
            raise Answer(401, {"error": "invalid_client"},
                         {"WWW-Authenticate": 'Basic realm="crous"'})
        token = self._issue(client_id)
        return {"access_token": token, "token_type": "Bearer",
                "expires_in": self.token_seconds, "scope": ""}

    def legacy_token(self, request):
        form = request.form()
        if (form.get("grant_type") or [""])[0] != "client_credentials":
            raise Answer(400, {"error": "unsupported_grant_type"})
        client_id = self._client_from(request.headers.get("HTTP_AUTHORIZATION", ""), "")
        if client_id is None:
            raise Answer(401, {"error": "invalid_client"})
        return Answer(200, b"", {"authorization": f"Bearer {self._issue(client_id)}"})

    def _client_from(self, header, scheme):
        if not header.startswith(scheme):
            return None
        try:
            decoded = base64.b64decode(header[len(scheme):].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
        expected = self.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, secret):
            return None
        return client_id

    def _issue(self, client_id):
        token = secrets.token_urlsafe(24)
        self.store.execute("INSERT INTO tokens VALUES (?, ?, ?)",
                           (token, client_id, time.time() + self.token_seconds))
        self._count("tokens_issued")
        return token

    def _authenticate(self, request):
        header = request.headers.get("HTTP_AUTHORIZATION", "")
        token = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        row = self.store.one("SELECT expires_at FROM tokens WHERE token = ?", (token,))
        if row is None or row["expires_at"] <= time.time():
            raise api_error(401, "Unauthorized: missing, unknown or expired token")

    def expire_tokens(self):
        """Every token issued so far stops working (the next call gets 401)."""
        self.store.execute("UPDATE tokens SET expires_at = 0")

    # --- right-holders ------------------------------------------------------------------------

    def _holder_json(self, row):
        data = loads(row)
        data["accountStatus"] = "CLOTURE" if row["closed"] else "ACTIF"
        data["blockingStatus"] = "COMPTE_GELE" if row["locked"] else "NON_BLOQUE"
        return data

    def _existing(self, identifier):
        row = self.store.holder(identifier)
        if row is None:
            raise api_error(404, "Client non trouvé", code="-42")
        if row["anonymised"]:
            raise api_error(422, "Client anonymisé", code="-117")
        return row

    def get_holder(self, request):
        row = self._existing(request.params["id"])
        if row["locked"]:
            raise Answer(423, {"errors": [{"code": None, "message": "Compte bloqué",
                                           "field": None}]})
        return self._holder_json(row)

    def _writable(self, body):
        if not isinstance(body, dict):
            raise api_error(400, "the body must be a JSON object")
        for field in REQUIRED:
            if body.get(field) in (None, ""):
                raise api_error(422, f"{field} is required", field=field)
        due = parse_date(body["dueDate"], "dueDate")
        if due < now():
            raise api_error(422, "La date de fin de droits est dépassée", code="-8",
                            field="dueDate")
        data = {field: body.get(field) for field in WRITABLE}
        data["dueDate"] = iso(due)
        return data, due

    def create_holder(self, request):
        data, _due = self._writable(request.json())
        with self.store.transaction() as store:
            row = store.holder(data["identifier"])
            if row is not None and row["anonymised"]:
                raise api_error(422, "Client anonymisé", code="-117")
            if row is not None:
                raise api_error(422, "Client existant", code="-11")
            stamp = iso(now())
            store.execute("INSERT INTO holders (identifier, data, priority_rne, created_at, "
                          "updated_at) VALUES (?, ?, ?, ?, ?)",
                          (data["identifier"], dumps(data), data.get("rneOrgCode") or "",
                           stamp, stamp))
        return Answer(201, b"")

    def update_holder(self, request):
        identifier = request.params["id"]
        data, due = self._writable(request.json())
        with self.store.transaction() as store:
            row = self._existing(identifier)
            self._check_writable(row)
            old = loads(row)
            priority = row["priority_rne"]
            rne = data.get("rneOrgCode") or ""
            if priority and rne != priority:
                # Only the priority establishment may update; a later due date takes it over.
                if due <= parse_date(old["dueDate"], "dueDate"):
                    raise api_error(406, "Le compte a un RNE prioritaire différent de celui "
                                         "proposé")
                priority = rne
            data["identifier"] = identifier
            store.execute("UPDATE holders SET data = ?, priority_rne = ?, put_count = put_count "
                          "+ 1, updated_at = ? WHERE identifier = ?",
                          (dumps(data), priority, iso(now()), identifier))
        return Answer(200, b"")

    @staticmethod
    def _check_writable(row):
        if row["locked"]:
            raise Answer(423, {"errors": [{"code": None, "message": "Compte bloqué",
                                           "field": None}]})
        if row["closed"]:
            raise api_error(422, CLOSED_MESSAGE)

    def change_identifier(self, request):
        current = request.params["id"]
        body = request.json()
        if not isinstance(body, dict) or not body.get("newIdentifier"):
            raise api_error(422, "newIdentifier is required", field="newIdentifier")
        if body.get("currentIdentifier") != current:
            raise api_error(422, "currentIdentifier does not match the path",
                            field="currentIdentifier")
        new = str(body["newIdentifier"])
        with self.store.transaction() as store:
            row = self._existing(current)
            self._check_writable(row)
            if store.holder(new) is not None:
                raise api_error(422, "Client existant", code="-11")
            data = loads(row) | {"identifier": new}
            store.execute("UPDATE holders SET identifier = ?, data = ?, updated_at = ? "
                          "WHERE identifier = ?", (new, dumps(data), iso(now()), current))
            store.execute("UPDATE smartcards SET identifier = ? WHERE identifier = ?",
                          (new, current))
        return Answer(200, b"")

    def unclose(self, request):
        with self.store.transaction() as store:
            self._existing(request.params["id"])
            store.execute("UPDATE holders SET closed = 0, updated_at = ? WHERE identifier = ?",
                          (iso(now()), request.params["id"]))
        return Answer(200, b"")

    # --- smartcards ---------------------------------------------------------------------------

    @staticmethod
    def _zdc(value):
        try:
            return int(value)
        except ValueError as exc:
            raise api_error(404, "Carte non trouvée") from exc

    def _card(self, identifier, id_zdc):
        row = self.store.smartcard(identifier, self._zdc(id_zdc))
        if row is None:
            raise api_error(404, "Carte non trouvée")
        return row

    def get_smartcard(self, request):
        self._existing(request.params["id"])
        return loads(self._card(request.params["id"], request.params["zdc"]))

    def create_smartcard(self, request):
        identifier = request.params["id"]
        body = request.json()
        if not isinstance(body, dict):
            raise api_error(400, "the body must be a JSON object")
        for field in ("idZdc", "uid"):
            if body.get(field) in (None, ""):
                raise api_error(422, f"{field} is required", field=field)
        try:
            id_zdc = int(body["idZdc"])
        except (TypeError, ValueError) as exc:
            raise api_error(422, "idZdc must be a number", field="idZdc") from exc
        uid = str(body["uid"]).upper()
        with self.store.transaction() as store:
            row = store.holder(identifier)
            if row is None or row["closed"]:
                raise api_error(404, CLOSED_MESSAGE if row else "Client non trouvé",
                                code=None if row else "-42")
            if row["locked"]:
                raise Answer(423, {"errors": [{"code": None, "message": "Compte bloqué",
                                               "field": None}]})
            if store.one("SELECT 1 FROM forgotten_uids WHERE uid = ?", (uid,)):
                raise api_error(422, "Carte connue, ayant droit supprimé (RGPD)", code="-31")
            if store.one("SELECT 1 FROM smartcards WHERE id_zdc = ? OR uid = ?",
                         (id_zdc, uid)):
                raise api_error(409, "Carte déjà enregistrée")
            data = {field: body.get(field) for field in SMARTCARD_FIELDS}
            data.update(idZdc=id_zdc, uid=uid)
            stamp = iso(now())
            store.execute("INSERT INTO smartcards (id_zdc, identifier, uid, data, "
                          "revalidation_date, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                          (id_zdc, identifier, uid, dumps(data), stamp, stamp))
        return Answer(201, b"")

    def patch_smartcard(self, request):
        identifier = request.params["id"]
        body = request.json()
        if not isinstance(body, dict):
            raise api_error(400, "the body must be a JSON object")
        with self.store.transaction() as store:
            holder = self._existing(identifier)
            card = self._card(identifier, request.params["zdc"])
            if holder["locked"]:
                raise Answer(423, {"errors": [{"code": None, "message": "Compte bloqué",
                                               "field": None}]})
            if (request.headers.get("HTTP_UID") or "").upper() != card["uid"]:
                raise api_error(422, "uid does not match the card", field="uid")
            if body.get("revalidationDate"):
                self._revalidate(store, holder, card, body)
            elif body.get("cancelDate"):
                self._oppose(store, card, body)
            else:
                raise api_error(422, "revalidationDate or cancelDate is required")
        return Answer(200, b"")

    @staticmethod
    def _revalidate(store, holder, card, body):
        when = parse_date(body["revalidationDate"], "revalidationDate")
        if parse_date(loads(holder)["dueDate"], "dueDate") < now():
            raise api_error(422, "La date de fin de droits est dépassée", code="-8")
        store.execute("UPDATE smartcards SET revalidation_date = ?, cancel_date = '', "
                      "reason = '', revalidations = revalidations + 1 WHERE id_zdc = ?",
                      (iso(when), card["id_zdc"]))

    @staticmethod
    def _oppose(store, card, body):
        when = parse_date(body["cancelDate"], "cancelDate")
        reason = body.get("reason") or ""
        if reason not in REASONS:
            raise api_error(422, "reason must be DP, DV, CD or HS", field="reason")
        if card["cancel_date"]:
            raise api_error(422, "Carte déjà invalidée", code="-9")
        store.execute("UPDATE smartcards SET cancel_date = ?, reason = ?, oppositions = "
                      "oppositions + 1 WHERE id_zdc = ?", (iso(when), reason, card["id_zdc"]))

    # --- tariffs ------------------------------------------------------------------------------

    def tariff_rules(self, request):
        row = self.store.one("SELECT data FROM rules WHERE crous = ? AND rne = ?",
                             (request.params["crous"], request.params["rne"].upper()))
        return json.loads(row["data"]) if row else []

    # --- control side -------------------------------------------------------------------------

    def html_page(self, request):
        return page.render(self.snapshot())

    def snapshot(self):
        """Everything the emulator holds, as plain data (the page, tests, the bench)."""
        holders = []
        for row in self.store.holders():
            holders.append(self._holder_json(row) | {
                "putCount": row["put_count"], "anonymised": bool(row["anonymised"]),
                "priorityRne": row["priority_rne"]})
        cards = []
        for row in self.store.smartcards():
            cards.append(loads(row) | {
                "identifier": row["identifier"], "revalidationDate": row["revalidation_date"],
                "cancelDate": row["cancel_date"], "reason": row["reason"],
                "oppositions": row["oppositions"], "revalidations": row["revalidations"]})
        with self._counts_lock:
            counts = dict(self.counts)
        return {"rightholders": holders, "smartcards": cards, "counts": counts,
                "faults": {"failure_rate": self.faults.failure_rate,
                           "lost_answer_rate": self.faults.lost_answer_rate,
                           "delay": self.faults.delay,
                           "down": bool(self.server and self.server.down)}}

    def state(self, request):
        return self.snapshot()

    def set_faults(self, request):
        """{"failure_rate": 0.3, "lost_answer_rate": 0, "delay": 0, "down_seconds": 60}."""
        body = request.json()
        if not isinstance(body, dict):
            raise api_error(400, "the body must be a JSON object")
        try:
            for name in ("failure_rate", "lost_answer_rate", "delay"):
                if name in body:
                    setattr(self.faults, name, float(body[name]))
            down = float(body.get("down_seconds") or 0)
        except (TypeError, ValueError) as exc:
            raise api_error(400, f"not a number: {exc}") from exc
        if down > 0 and self.server is not None:
            # After this answer has gone out: the server stops listening, then comes back.
            threading.Timer(0.05, self.server.go_down, kwargs={"seconds": down}).start()
        return self.snapshot()["faults"]

    def reset(self, request):
        self.store.reset()
        with self._counts_lock:
            self.counts.clear()
        return {"reset": True}

    def script_holder(self, request):
        """lock, unlock, close, anonymise, or forget (GDPR: the account goes, its cards' CSNs
        are remembered so that registering one again answers -31)."""
        identifier, action = request.params["id"], request.params["action"]
        columns = {"lock": ("locked", 1), "unlock": ("locked", 0), "close": ("closed", 1),
                   "anonymise": ("anonymised", 1)}
        with self.store.transaction() as store:
            if store.holder(identifier) is None:
                raise api_error(404, "Client non trouvé", code="-42")
            if action == "forget":
                store.execute("INSERT OR IGNORE INTO forgotten_uids SELECT uid FROM smartcards "
                              "WHERE identifier = ?", (identifier,))
                store.execute("DELETE FROM smartcards WHERE identifier = ?", (identifier,))
                store.execute("DELETE FROM holders WHERE identifier = ?", (identifier,))
            elif action in columns:
                column, value = columns[action]
                store.execute(f"UPDATE holders SET {column} = ? WHERE identifier = ?",  # noqa: S608
                              (value, identifier))
            else:
                raise api_error(404, "unknown action")
        return {"done": action}

    def put_rules(self, request):
        rules = request.json()
        if not isinstance(rules, list):
            raise api_error(400, "the body must be a JSON list")
        self.store.execute("INSERT OR REPLACE INTO rules VALUES (?, ?, ?)",
                           (request.params["crous"], request.params["rne"].upper(),
                            json.dumps(rules)))
        return {"rules": len(rules)}


class Request:
    def __init__(self, environ, params):
        self.headers = environ
        self.params = params
        self.query = parse_qs(environ.get("QUERY_STRING") or "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            raise Answer(413, {"errors": [{"code": None, "message": "body too large",
                                           "field": None}]})
        self.body = environ["wsgi.input"].read(length) if length else b""

    def json(self):
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise api_error(400, "the body is not JSON") from exc

    def form(self):
        try:
            return parse_qs(self.body.decode())
        except UnicodeDecodeError:
            return {}
