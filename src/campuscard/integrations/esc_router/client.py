"""Client of the European Student Card Router (ESC-R) REST API v2.

`base_url` is the router's `…/esc-rest`; every path of the published contract hangs below it
(tests/contract/esc-router-v2.json holds that document). The key travels as
`Authorization: Bearer <key>` on every call but the public card status.

Safety rules:
- redirects are never followed (the key must not reach another host): a 3xx is `Unavailable`;
- every call has an explicit connect/read/write/pool timeout;
- only idempotent methods (GET, PUT, DELETE) are retried, a few times and briefly, and only after
  a transport failure or a 5xx; a POST is never repeated behind the caller's back, and a 4xx is
  never retried. A retried DELETE may therefore answer NotFound although it did its work;
- responses keep the fields this module knows and ignore the rest (the router adds fields
  without changing its version).
"""

import dataclasses
import datetime
import mimetypes
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
from django.core.exceptions import ValidationError

from campuscard.esc.escn import validate_escn

API = "/api/v2"
PAGE_SIZE = 10  # the router ignores larger page sizes
ESCNS_PER_CALL = 100  # the router answers 500 above this
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
BACKOFF_SECONDS = (0.2, 0.5)
QR_ORIENTATIONS = frozenset({"horizontal", "vertical"})
QR_COLOURS = frozenset({"normal", "inverted"})
QR_SIZES = frozenset({"XS", "S", "M"})
CSV_OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE"})


# --- errors -----------------------------------------------------------------------------------

class RouterError(Exception):
    """The router refused or could not answer. `status` is None when no HTTP answer came."""

    def __init__(self, message, *, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class BadRequest(RouterError):
    """400: the router rejected what was sent."""


class Unauthorized(RouterError):
    """401: missing or unknown key."""


class AccessDenied(RouterError):
    """403 (SE-0000): the key's organisation does not own that person or card."""


class NotFound(RouterError):
    """404 (ER-0001 for cards)."""


class AlreadyExists(RouterError):
    """409: code ER-0002 for a card, ER-0019 for a person."""


class Unavailable(RouterError):
    """Transient: 5xx, timeout, refused connection, redirect, 408/429. Try again later."""


ERRORS_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: AccessDenied, 404: NotFound,
                    409: AlreadyExists, 408: Unavailable, 429: Unavailable}


# --- request models -------------------------------------------------------------------------

def _without_none(data):
    return {key: value for key, value in data.items() if value is not None}


@dataclasses.dataclass(frozen=True)
class PersonOrganisationUpdate:
    organisation_identifier: str
    full_name: str | None = None
    email: str | None = None
    academic_level: str | None = None  # BACHELOR, MASTER or DOCTORATE

    def to_json(self):
        return _without_none({"organisationIdentifier": self.organisation_identifier,
                              "fullName": self.full_name, "email": self.email,
                              "academicLevel": self.academic_level})


@dataclasses.dataclass(frozen=True)
class PersonUpdate:
    identifier: str  # the ESI
    organisations: tuple[PersonOrganisationUpdate, ...]
    full_name: str | None = None  # deprecated by the router in favour of the organisation's

    def to_json(self):
        return _without_none({
            "identifier": self.identifier, "identifierCode": "ESI", "fullName": self.full_name,
            "personOrganisationUpdateViews": [org.to_json() for org in self.organisations]})


@dataclasses.dataclass(frozen=True)
class CardUpdate:
    card_number: str | None  # None on creation: the router mints the ESCN
    person_identifier: str
    issuer_identifier: str
    card_type: str
    card_status_type: str  # ACTIVE or INACTIVE
    issued_at: datetime.date
    expires_at: datetime.date
    display_name: str | None = None
    processor_identifier: str | None = None

    def to_json(self):
        return _without_none({
            "cardNumber": self.card_number, "personIdentifier": self.person_identifier,
            "issuerIdentifier": self.issuer_identifier, "cardType": self.card_type,
            "cardStatusType": self.card_status_type, "issuedAt": self.issued_at.isoformat(),
            "expiresAt": self.expires_at.isoformat(), "displayName": self.display_name,
            "processorIdentifier": self.processor_identifier})


# --- response models ------------------------------------------------------------------------

def _text(value):
    return None if value is None else str(value)


def _code(value):
    """A CodeView {key, label} becomes its key (a bare string is taken as it is)."""
    if isinstance(value, dict):
        return _text(value.get("key"))
    return _text(value)


def _date(value):
    # yyyy-MM-dd; a timestamp is cut to its date.
    return None if value in (None, "") else datetime.date.fromisoformat(str(value)[:10])


def _bool(value):
    return None if value is None else bool(value)


def _int(value):
    return None if value is None else int(value)


def _email(contact_point):
    return _text((contact_point or {}).get("email"))


def _one(view):
    return lambda value: None if value is None else view.from_json(value)


def _many(view):
    return lambda values: tuple(view.from_json(value) for value in values or ())


def _camel(name):
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


class _View:
    """A response model. A field is read from the router's camelCase name of it (or the name
    in `renamed`) with its reader in `readers` (text by default)."""

    readers = {}
    renamed = {}

    @classmethod
    def from_json(cls, data):
        """Build from the router's JSON, keeping the known fields and ignoring the others."""
        if not isinstance(data, dict):
            raise RouterError(f"malformed {cls.__name__} from the router: not an object")
        try:
            return cls(**{field.name: cls._read(field.name, data)
                          for field in dataclasses.fields(cls)})
        except (TypeError, ValueError, AttributeError) as exc:
            raise RouterError(f"malformed {cls.__name__} from the router: {exc}") from exc

    @classmethod
    def _read(cls, name, data):
        value = data.get(cls.renamed.get(name, _camel(name)))
        return cls.readers.get(name, _text)(value)


@dataclasses.dataclass(frozen=True)
class Organisation(_View):
    identifier: str | None = None  # PIC, or VAT number of a processor
    name: str | None = None
    id: int | None = None
    identifier_code: str | None = None
    full_label: str | None = None
    organisation_type: str | None = None
    status: str | None = None
    schac_home_organization: str | None = None
    website: str | None = None

    readers = {"id": _int, "identifier_code": _code, "organisation_type": _code,
               "status": _code}


@dataclasses.dataclass(frozen=True)
class PersonOrganisation(_View):
    organisation: Organisation | None = None
    full_name: str | None = None
    email: str | None = None
    academic_level: str | None = None
    has_picture: bool | None = None

    readers = {"organisation": _one(Organisation), "email": _email, "academic_level": _code,
               "has_picture": _bool}
    renamed = {"email": "contactPoint"}


@dataclasses.dataclass(frozen=True)
class PersonLite(_View):
    identifier: str | None = None  # the ESI
    full_name: str | None = None
    organisations: tuple[PersonOrganisation, ...] = ()

    readers = {"organisations": _many(PersonOrganisation)}


@dataclasses.dataclass(frozen=True)
class Person(_View):
    identifier: str | None = None  # the ESI
    full_name: str | None = None
    identifier_code: str | None = None
    organisation_count: int | None = None
    organisations: tuple[PersonOrganisation, ...] = ()

    readers = {"identifier_code": _code, "organisation_count": _int,
               "organisations": _many(PersonOrganisation)}


CARD_READERS = {"card_status_type": _code, "issued_at": _date, "expires_at": _date,
                "has_owner_authorization": _bool, "issuer": _one(Organisation),
                "processor": _one(Organisation), "person": _one(PersonLite)}


@dataclasses.dataclass(frozen=True)
class CardLite(_View):
    card_number: str | None = None  # the ESCN
    card_status_type: str | None = None
    display_name: str | None = None
    issued_at: datetime.date | None = None
    expires_at: datetime.date | None = None
    has_owner_authorization: bool | None = None
    issuer: Organisation | None = None
    processor: Organisation | None = None
    person: PersonLite | None = None

    readers = CARD_READERS


@dataclasses.dataclass(frozen=True)
class Card(CardLite):
    card_type: str | None = None

    readers = CARD_READERS | {"card_type": _code}


@dataclasses.dataclass(frozen=True)
class CardStatus(_View):
    card_number: str | None = None
    status: str | None = None  # ACTIVE, INACTIVE or EXPIRED
    expires_at: datetime.date | None = None
    issued_at: datetime.date | None = None
    issuer_identifier: str | None = None
    issuer_name: str | None = None
    display_name: str | None = None

    readers = {"status": _code, "expires_at": _date, "issued_at": _date}


@dataclasses.dataclass(frozen=True)
class CsvRowError(_View):
    row_number: int | None = None
    field_name: str | None = None
    error_message: str | None = None

    readers = {"row_number": _int}


@dataclasses.dataclass(frozen=True)
class Page:
    items: tuple
    number: int | None = None
    size: int | None = None
    total_elements: int | None = None
    total_pages: int | None = None

    @property
    def empty(self):
        return not self.items

    @classmethod
    def from_json(cls, data, item_view):
        if not isinstance(data, dict):
            raise RouterError("malformed page from the router: not an object")
        meta = data.get("page") or {}
        try:
            return cls(items=_many(item_view)(data.get("content")),
                       number=_int(meta.get("number")), size=_int(meta.get("size")),
                       total_elements=_int(meta.get("totalElements")),
                       total_pages=_int(meta.get("totalPages")))
        except (TypeError, ValueError, AttributeError) as exc:
            raise RouterError(f"malformed page from the router: {exc}") from exc


# --- the client -----------------------------------------------------------------------------

def _segment(value):
    """One path segment: ESIs hold colons (allowed in a segment) and may hold '/', '?', '#'."""
    return quote(str(value), safe=":@")


def _error_details(response):
    """(code, message) of an ApiErrorMessage body; a non-JSON body is tolerated."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return _text(body.get("code")), _text(body.get("message")) or response.reason_phrase
    return None, response.text.strip()[:200] or response.reason_phrase


class EscRouterClient:
    """Synchronous ESC-R v2 client. Use it as a context manager, or call close()."""

    def __init__(self, base_url, api_key="", *, timeout=10.0, retries=2, transport=None,
                 http_client=None):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = httpx.Timeout(connect=timeout, read=timeout, write=timeout,
                                      pool=timeout)
        self._retries = retries
        self._owns_http = http_client is None
        self.http = http_client or httpx.Client(transport=transport, timeout=self._timeout,
                                                follow_redirects=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Close the connection pool, unless it was given to us (its owner closes it)."""
        if self._owns_http:
            self.http.close()

    def __repr__(self):
        return f"<EscRouterClient {self.base_url}>"  # never the key

    # persons

    def list_persons(self, *, page=0, size=PAGE_SIZE, search=None, sort=None, direction="ASC"):
        data = self._call("GET", "/persons", params=self._paging(page, size, search, sort,
                                                                  direction))
        return Page.from_json(data, PersonLite)

    def iter_persons(self, *, search=None) -> Iterator[PersonLite]:
        return self._walk(self.list_persons, search)

    def create_person(self, person: PersonUpdate) -> Person:
        return Person.from_json(self._call("POST", "/persons", json=person.to_json()))

    def get_person(self, esi) -> Person:
        return Person.from_json(self._call("GET", f"/persons/{_segment(esi)}"))

    def update_person(self, esi, person: PersonUpdate) -> Person:
        return Person.from_json(self._call("PUT", f"/persons/{_segment(esi)}",
                                           json=person.to_json()))

    def delete_person(self, esi) -> None:
        self._call("DELETE", f"/persons/{_segment(esi)}", raw=True)

    # pictures: one per person and organisation

    def get_picture(self, pic, esi) -> bytes:
        return self._call("GET", self._picture_path(pic, esi), raw=True).content

    def upload_picture(self, pic, esi, data: bytes, *, resize=True, filename="photo.jpg"):
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self._call("POST", self._picture_path(pic, esi),
                   params={"resize": "true" if resize else "false"},
                   files={"file": (filename, data, content_type)}, raw=True)

    def delete_picture(self, pic, esi) -> None:
        self._call("DELETE", self._picture_path(pic, esi), raw=True)

    # cards

    def list_cards(self, *, page=0, size=PAGE_SIZE, search=None, sort=None, direction="ASC"):
        data = self._call("GET", "/cards", params=self._paging(page, size, search, sort,
                                                                direction))
        return Page.from_json(data, CardLite)

    def iter_cards(self, *, search=None) -> Iterator[CardLite]:
        return self._walk(self.list_cards, search)

    def create_card(self, card: CardUpdate) -> Card:
        return Card.from_json(self._call("POST", "/cards", json=card.to_json()))

    def get_card(self, escn) -> Card:
        return Card.from_json(self._call("GET", f"/cards/{_segment(escn)}"))

    def update_card(self, escn, card: CardUpdate) -> Card:
        return Card.from_json(self._call("PUT", f"/cards/{_segment(escn)}",
                                         json=card.to_json()))

    def delete_card(self, escn) -> None:
        self._call("DELETE", f"/cards/{_segment(escn)}", raw=True)

    def card_status(self, escn) -> CardStatus:
        """The public status: sent without the key, as any verifier would."""
        return CardStatus.from_json(self._call("GET", f"/cards/{_segment(escn)}/status",
                                               public=True))

    def card_qr(self, escn, *, base64=False, orientation="horizontal", colours="normal",
                size="S") -> str:
        """The router's QR artwork: an SVG document, or that SVG base64-encoded."""
        self._check_choice("orientation", orientation, QR_ORIENTATIONS)
        self._check_choice("colours", colours, QR_COLOURS)
        self._check_choice("size", size, QR_SIZES)
        accept = "text/plain" if base64 else "image/svg+xml"
        response = self._call("GET", f"/cards/{_segment(escn)}/qr", raw=True,
                              params={"orientation": orientation, "colours": colours,
                                      "size": size},
                              headers={"Accept": accept})
        return response.text

    def generate_escns(self, pic, prefix, count) -> list[str]:
        """`count` ESCNs reserved by the router, asked for in calls of at most 100."""
        escns = []
        while len(escns) < count:
            wanted = min(ESCNS_PER_CALL, count - len(escns))
            escns += self._generate_batch(pic, prefix, wanted)
        return escns

    def csv_config(self) -> dict[str, int]:
        """Column name → zero-based index of the bulk card CSV (the router reorders them)."""
        data = self._call("GET", "/cards/csv-config")
        if not isinstance(data, dict):
            raise RouterError("malformed CSV configuration from the router: not an object")
        try:
            return {str(column): int(index) for column, index in data.items()}
        except (TypeError, ValueError) as exc:
            raise RouterError(f"malformed CSV configuration from the router: {exc}") from exc

    def validate_csv(self, data: bytes, operation) -> list[CsvRowError]:
        """Dry run of a bulk import: the rows' errors, an empty list when the file is valid."""
        self._check_choice("operation", operation, CSV_OPERATIONS)
        rows = self._call("POST", "/cards/validate-csv", params={"operation": operation},
                          files={"file": ("cards.csv", data, "text/csv")})
        if not isinstance(rows, list):
            raise RouterError("malformed CSV validation from the router: not a list")
        return [CsvRowError.from_json(row) for row in rows]

    # helpers

    @staticmethod
    def _paging(page, size, search, sort, direction):
        return _without_none({"page": page, "size": size, "search": search, "sort": sort,
                              "direction": direction})

    @staticmethod
    def _picture_path(pic, esi):
        return f"/organisations/{_segment(pic)}/person/{_segment(esi)}/picture"

    @staticmethod
    def _check_choice(name, value, choices):
        if value not in choices:
            raise ValueError(f"{name} must be one of {sorted(choices)}, not {value!r}")

    def _walk(self, list_page, search):
        """Every item, PAGE_SIZE at a time, until an empty or short page or the last page."""
        number = 0
        while True:
            page = list_page(page=number, size=PAGE_SIZE, search=search)
            if page.number is not None and page.number != number:
                raise RouterError(f"the router answered page {page.number} for page {number}")
            yield from page.items
            number += 1
            if (page.empty or len(page.items) < PAGE_SIZE
                    or (page.total_pages is not None and number >= page.total_pages)):
                return

    def _generate_batch(self, pic, prefix, count):
        values = self._call("GET", "/cards/generate-escn", params={
            "prefix": f"{int(prefix):03d}", "pic": str(pic), "numberOfESCN": count})
        if not isinstance(values, list) or len(values) != count:
            raise RouterError(f"the router did not return the {count} ESCNs asked for")
        try:
            return [validate_escn(value, pic) for value in values]
        except ValidationError as exc:
            raise RouterError(f"the router returned an invalid ESCN: {exc.messages[0]}") from exc

    def _call(self, method, path, *, public=False, raw=False, **request_options):
        """Send with retries where safe; the decoded JSON body (None when empty), or the
        response itself when `raw`."""
        attempts = 1 + (self._retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                response = self._send(method, path, public, request_options)
                break
            except Unavailable as exc:
                if attempt + 1 >= attempts or not self._worth_retrying(exc):
                    raise
                time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
        if raw:
            return response
        return self._json(method, path, response)

    @staticmethod
    def _worth_retrying(exc):
        # A redirect or a 408/429 will not go away within a second.
        return exc.status is None or exc.status >= 500

    def _send(self, method, path, public, request_options):
        request = self.http.build_request(method, f"{self.base_url}{API}{path}",
                                          timeout=self._timeout, **request_options)
        request.headers.pop("Authorization", None)
        if self._api_key and not public:
            request.headers["Authorization"] = f"Bearer {self._api_key}"
        where = f"{method} {API}{path}"
        try:
            response = self.http.send(request, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"{where}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"{where}: {type(exc).__name__}: {exc}") from exc
        except httpx.RequestError as exc:
            raise RouterError(f"{where}: {type(exc).__name__}: {exc}") from exc
        self._raise_for_status(where, response)
        return response

    @staticmethod
    def _raise_for_status(where, response):
        status = response.status_code
        if response.is_success:
            return
        if response.is_redirect or 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise Unavailable(f"{where}: HTTP {status} redirect to {location!r}, not followed",
                              status=status)
        code, message = _error_details(response)
        error = ERRORS_BY_STATUS.get(status, Unavailable if status >= 500 else RouterError)
        details = " ".join(part for part in (f"HTTP {status}", code, message) if part)
        raise error(f"{where}: {details}", status=status, code=code)

    @staticmethod
    def _json(method, path, response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise RouterError(f"{method} {API}{path}: the router's answer is not JSON",
                              status=response.status_code) from exc
