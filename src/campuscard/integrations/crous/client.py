"""Client of the CROUS API (Izly right-holders and smartcards), as ESUP-SGC calls it.

Every business path hangs below `{base_url}/beforeizly/v1/`. Authentication is OAuth2 client
credentials: `POST {token_url}?grant_type=client_credentials` with HTTP Basic, no body; the
`access_token` goes out as `Authorization: Bearer …`. The token is kept until it expires and
fetched again, once, when the API answers 401 or 403 (then the call is made once more).

Safety rules:
- redirects are never followed (the token must not reach another host): a 3xx is `Unavailable`;
- every call has an explicit connect/read/write/pool timeout;
- no call is repeated behind the caller's back (the outbox retries), but for the one retry after
  a fresh token;
- the log and the error messages name the operation and the path *template*
  (`/rightholders/{id}`), never an identifier, a name or an e-mail;
- answers keep the fields this module knows and ignore the rest.
"""

import base64
import dataclasses
import datetime
import logging
import threading
import time
from urllib.parse import quote

import httpx

PREFIX = "/beforeizly/v1"
TOKEN_MARGIN_SECONDS = 30  # fetch a new token this long before the old one expires
DEFAULT_TOKEN_SECONDS = 300  # when the token endpoint does not say
USER_AGENT = "CampusCard"

logger = logging.getLogger("campuscard.crous")


# --- errors -----------------------------------------------------------------------------------

class CrousError(Exception):
    """CROUS refused or could not answer. `status` is None when no HTTP answer came; `code`,
    `field` and `api_message` come from the API's `{"errors": [{code, message, field}]}`."""

    def __init__(self, message, *, status=None, code=None, field=None, api_message=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.api_message = api_message


class Unauthorized(CrousError):
    """401, or the token endpoint refused the client credentials."""


class Forbidden(CrousError):
    """403 with a fresh token: e.g. the account is held by another establishment."""


class NotFound(CrousError):
    """404: no such right-holder or smartcard (or, for a new smartcard, a closed account)."""


class NotAcceptable(CrousError):
    """406: the account has another priority UAI (a student of two establishments)."""


class Conflict(CrousError):
    """409: it exists already."""


class Unprocessable(CrousError):
    """422: a business refusal; `code` tells which (-8, -9, -11, -31, -41, -42, -117…)."""


class Locked(CrousError):
    """423: the account is locked."""


class BadAnswer(CrousError):
    """A 2xx whose body is not the JSON expected (not JSON, a field missing or malformed)."""


class Unavailable(CrousError):
    """Transient: 5xx, timeout, refused connection, redirect, 408/429. Try again later."""


ERRORS_BY_STATUS = {401: Unauthorized, 403: Forbidden, 404: NotFound, 406: NotAcceptable,
                    409: Conflict, 422: Unprocessable, 423: Locked, 408: Unavailable,
                    429: Unavailable}
ALREADY_EXISTS_CODE = "-11"


def already_exists(exc):
    """409, or 422 code -11 ("client existant")."""
    return isinstance(exc, Conflict) or (isinstance(exc, Unprocessable)
                                         and exc.code == ALREADY_EXISTS_CODE)


# --- dates ------------------------------------------------------------------------------------

def format_datetime(value):
    """yyyy-MM-ddTHH:mm:ss.SSSZ in UTC (ESUP sends its local time with a literal Z; we send the
    real UTC time, which any ISO-8601 reader takes the same way)."""
    utc = value.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(value):
    """Any ISO-8601 date-time, with or without milliseconds or offset (none: UTC); a bare date
    is midnight UTC. Empty → None."""
    if value in (None, ""):
        return None
    parsed = datetime.datetime.fromisoformat(str(value).strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


# --- bodies -------------------------------------------------------------------------------------

def _text(value):
    return None if value is None else str(value)


def _int(value):
    return None if value in (None, "") else int(value)


def _required(data, name, reader, view):
    if data.get(name) in (None, ""):
        raise BadAnswer(f"malformed {view} from CROUS: {name} is missing")
    return reader(data[name])


def _object(data, view):
    if not isinstance(data, dict):
        raise BadAnswer(f"malformed {view} from CROUS: not an object")
    return data


@dataclasses.dataclass(frozen=True)
class RightHolder:
    """A person's Izly account. `account_status` and `blocking_status` are read-only."""

    identifier: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    due_date: datetime.datetime | None = None
    id_company_rate: int | None = None
    id_rate: int | None = None
    simple_birth_date: str = ""  # YYYY-MM-DD or ""
    ine: str | None = None
    rne_org_code: str | None = None  # the establishment's UAI
    account_status: str | None = None  # NON_CONFIRME, ACTIF, CLOTURE, CLOTURE_EN_COURS…
    blocking_status: str | None = None  # NON_BLOQUE, MIS_EN_OPPOSITION, COMPTE_GELE…

    def to_json(self):
        return {
            "identifier": self.identifier, "firstName": self.first_name,
            "lastName": self.last_name, "email": self.email,
            "dueDate": format_datetime(self.due_date) if self.due_date else None,
            "idCompanyRate": self.id_company_rate, "idRate": self.id_rate,
            "simpleBirthDate": self.simple_birth_date or "", "ine": self.ine,
            "rneOrgCode": self.rne_org_code, "accountStatus": None, "blockingStatus": None,
        }

    @classmethod
    def from_json(cls, data):
        data = _object(data, "right-holder")
        try:
            return cls(
                identifier=_required(data, "identifier", str, "right-holder"),
                first_name=_text(data.get("firstName")), last_name=_text(data.get("lastName")),
                email=_text(data.get("email")), due_date=parse_datetime(data.get("dueDate")),
                id_company_rate=_int(data.get("idCompanyRate")), id_rate=_int(data.get("idRate")),
                simple_birth_date=_text(data.get("simpleBirthDate")) or "",
                ine=_text(data.get("ine")), rne_org_code=_text(data.get("rneOrgCode")),
                account_status=_text(data.get("accountStatus")),
                blocking_status=_text(data.get("blockingStatus")),
            )
        except (TypeError, ValueError) as exc:
            raise BadAnswer(f"malformed right-holder from CROUS: {exc}") from exc

    @property
    def closed(self):
        return self.account_status in ("CLOTURE", "CLOTURE_EN_COURS")


@dataclasses.dataclass(frozen=True)
class SmartCard:
    """The CROUS application of one card: `id_zdc` is the CROUS card number, `uid` the CSN."""

    id_zdc: int
    uid: str
    id_transmitter: int | None = None
    id_mapping: int | None = None
    zdc_creation_date: datetime.datetime | None = None
    pix_ss: str | None = None
    pix_nn: str | None = None
    appl: str | None = None
    rid: str | None = None

    def to_json(self):
        return {
            "idTransmitter": self.id_transmitter, "idMapping": self.id_mapping,
            "idZdc": self.id_zdc,
            "zdcCreationDate": (format_datetime(self.zdc_creation_date)
                                if self.zdc_creation_date else None),
            "pixSs": self.pix_ss, "pixNn": self.pix_nn, "appl": self.appl,
            "uid": self.uid.upper(), "rid": self.rid.upper() if self.rid else self.rid,
        }

    @classmethod
    def from_json(cls, data):
        data = _object(data, "smartcard")
        try:
            return cls(
                id_zdc=_required(data, "idZdc", int, "smartcard"),
                uid=_required(data, "uid", str, "smartcard").upper(),
                id_transmitter=_int(data.get("idTransmitter")),
                id_mapping=_int(data.get("idMapping")),
                zdc_creation_date=parse_datetime(data.get("zdcCreationDate")),
                pix_ss=_text(data.get("pixSs")), pix_nn=_text(data.get("pixNn")),
                appl=_text(data.get("appl")), rid=_text(data.get("rid")),
            )
        except (TypeError, ValueError) as exc:
            raise BadAnswer(f"malformed smartcard from CROUS: {exc}") from exc


@dataclasses.dataclass(frozen=True)
class TariffRule:
    """One line of a CROUS's tariff grid for an establishment (UAI)."""

    status_code: str | None
    index_min: int | None
    index_max: int | None
    id_company_rate: int
    id_rate: int

    @classmethod
    def from_json(cls, data):
        data = _object(data, "tariff rule")
        try:
            return cls(status_code=_text(data.get("statusCode")),
                       index_min=_int(data.get("indexMin")), index_max=_int(data.get("indexMax")),
                       id_company_rate=_required(data, "idCompanyRate", int, "tariff rule"),
                       id_rate=_required(data, "idRate", int, "tariff rule"))
        except (TypeError, ValueError) as exc:
            raise BadAnswer(f"malformed tariff rule from CROUS: {exc}") from exc


# --- the token ----------------------------------------------------------------------------------

class TokenCache:
    """One bearer token shared by the threads of a process, kept until shortly before it expires.
    `get` fetches a token only when none is valid; `discard` drops a token the API refused (and
    only that one: another thread may already have fetched a fresh one)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._token = None
        self._valid_until = 0.0

    def get(self, fetch):
        with self._lock:
            if self._token is None or time.monotonic() >= self._valid_until:
                token, lifetime = fetch()
                self._token = token
                self._valid_until = time.monotonic() + max(0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    def discard(self, token):
        with self._lock:
            if self._token == token:
                self._token = None


# --- the client ---------------------------------------------------------------------------------

def _segment(value):
    """One path segment: identifiers are eppns (with @) or INEs; nothing else may slip in."""
    return quote(str(value), safe="@")


def _error_details(response):
    """(code, message, field) of the first `errors` element; any other body is tolerated."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return (_text(first.get("code")), _text(first.get("message")) or "",
                _text(first.get("field")))
    if isinstance(body, dict) and body.get("message"):
        return None, str(body["message"]), None
    return None, "", None


class CrousClient:
    """Synchronous CROUS API client. Use it as a context manager, or call close()."""

    def __init__(self, base_url, *, token_url, client_id, client_secret, timeout=30.0,
                 connect_timeout=10.0, tokens=None, http_client=None):
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = httpx.Timeout(connect=min(connect_timeout, timeout), read=timeout,
                                      write=timeout, pool=timeout)
        self._tokens = tokens or TokenCache()
        self._owns_http = http_client is None
        self.http = http_client or httpx.Client(timeout=self._timeout, follow_redirects=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._owns_http:
            self.http.close()

    def __repr__(self):
        return f"<CrousClient {self.base_url}>"  # never the secret nor the token

    # right-holders

    def get_right_holder(self, identifier) -> RightHolder:
        return RightHolder.from_json(self._call("GET", "/rightholders/{id}", identifier))

    def create_right_holder(self, holder: RightHolder) -> None:
        self._call("POST", "/rightholders", json=holder.to_json())

    def update_right_holder(self, identifier, holder: RightHolder) -> None:
        self._call("PUT", "/rightholders/{id}", identifier, json=holder.to_json())

    def change_identifier(self, current, new, email) -> None:
        body = {"currentIdentifier": current, "email": email, "newIdentifier": new}
        self._call("PATCH", "/rightholders/{id}", current, json=body)

    def unclose_right_holder(self, identifier) -> None:
        """Reopen a closed account."""
        self._call("DELETE", "/closed-rightholders/{id}", identifier)

    # smartcards

    def get_smartcard(self, identifier, id_zdc) -> SmartCard:
        return SmartCard.from_json(self._call("GET", "/rightholders/{id}/smartcard/{idZdc}",
                                              identifier, id_zdc))

    def create_smartcard(self, identifier, card: SmartCard) -> None:
        self._call("POST", "/rightholders/{id}/smartcard", identifier, json=card.to_json())

    def revalidate_smartcard(self, identifier, id_zdc, uid, *, when=None) -> None:
        body = {"revalidationDate": format_datetime(when or _now()), "cancelDate": "",
                "reason": ""}
        self._patch_smartcard(identifier, id_zdc, uid, body)

    def oppose_smartcard(self, identifier, id_zdc, uid, reason, *, when=None) -> None:
        """Put the card in opposition; `reason` is DP (lost), DV (stolen), CD (out of order)
        or HS."""
        body = {"cancelDate": format_datetime(when or _now()), "reason": reason,
                "revalidationDate": ""}
        self._patch_smartcard(identifier, id_zdc, uid, body)

    def _patch_smartcard(self, identifier, id_zdc, uid, body):
        self._call("PATCH", "/rightholders/{id}/smartcard/{idZdc}", identifier, id_zdc,
                   json=body, headers={"uid": uid.upper()})

    # tariffs

    def tariff_rules(self, crous_number, uai) -> list[TariffRule]:
        data = self._call("GET", "/crous/{numeroCrous}/organization/{rne}", crous_number, uai)
        if not isinstance(data, list):
            raise BadAnswer("malformed tariff rules from CROUS: not a list")
        return [TariffRule.from_json(rule) for rule in data]

    # plumbing

    def _call(self, method, template, *segments, json=None, headers=None):
        """Send one call (again once, with a fresh token, after a 401/403); the decoded JSON
        body, None when empty."""
        path = self._path(template, segments)
        where = f"{method} {template}"
        token = self._tokens.get(self._fetch_token)
        response = self._send(method, path, where, token, json, headers)
        if response.status_code in (401, 403):
            self._tokens.discard(token)
            token = self._tokens.get(self._fetch_token)
            response = self._send(method, path, where, token, json, headers)
        self._raise_for_status(where, response)
        return self._json(where, response)

    @staticmethod
    def _path(template, segments):
        parts = iter(_segment(value) for value in segments)
        out = []
        for piece in template.split("/"):
            out.append(next(parts) if piece.startswith("{") else piece)
        return PREFIX + "/".join(out)

    def _send(self, method, path, where, token, json, headers):
        request_headers = {"Accept": "application/json", "User-Agent": USER_AGENT,
                           "Authorization": f"Bearer {token}"} | (headers or {})
        started = time.monotonic()
        try:
            response = self.http.request(method, f"{self.base_url}{path}", json=json,
                                         headers=request_headers, timeout=self._timeout,
                                         follow_redirects=False)
        except httpx.TimeoutException as exc:
            logger.warning("%s: timed out", where)
            raise Unavailable(f"{where}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            logger.warning("%s: %s", where, type(exc).__name__)
            raise Unavailable(f"{where}: {type(exc).__name__}") from exc
        logger.info("%s -> %s (%.3f s)", where, response.status_code,
                    time.monotonic() - started)
        return response

    @staticmethod
    def _raise_for_status(where, response):
        status = response.status_code
        if response.is_success:
            return
        if 300 <= status < 400:
            raise Unavailable(f"{where}: HTTP {status} redirect, not followed", status=status)
        code, message, field = _error_details(response)
        error = ERRORS_BY_STATUS.get(status, Unavailable if status >= 500 else CrousError)
        details = " ".join(part for part in (f"HTTP {status}", code, message) if part)
        raise error(f"{where}: {details}", status=status, code=code, field=field,
                    api_message=message)

    @staticmethod
    def _json(where, response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise BadAnswer(f"{where}: the answer is not JSON",
                            status=response.status_code) from exc

    def _fetch_token(self):
        """(token, lifetime in seconds) from the token endpoint."""
        credentials = base64.b64encode(
            f"{self._client_id}:{self._client_secret}".encode()).decode()
        where = "POST token"
        try:
            response = self.http.post(
                self.token_url, params={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {credentials}", "User-Agent": USER_AGENT,
                         "Accept": "application/json"},
                timeout=self._timeout, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"{where}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"{where}: {type(exc).__name__}") from exc
        if response.status_code in (400, 401, 403):
            raise Unauthorized(f"{where}: HTTP {response.status_code}, the client credentials "
                               "were refused", status=response.status_code)
        self._raise_for_status(where, response)
        data = self._json(where, response)
        if not isinstance(data, dict) or not data.get("access_token"):
            raise BadAnswer(f"{where}: no access_token in the answer")
        try:
            lifetime = int(data.get("expires_in") or DEFAULT_TOKEN_SECONDS)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_SECONDS
        logger.info("%s -> new token for %s s", where, lifetime)
        return str(data["access_token"]), lifetime


def _now():
    return datetime.datetime.now(datetime.UTC)
