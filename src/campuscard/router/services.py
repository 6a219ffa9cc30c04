"""What the router service does. Every function acts for one organisation (the caller's key)
and raises `errors.RouterProblem`s; the views only read requests and write answers.

Ownership: an organisation reaches the persons it registered (its membership) and the cards it
issued. Anything else that exists is answered 403 (SE-0000), what does not exist 404 (ER-0001);
both are probes, counted per key (errors.RouterProblem.probe).

Isolation: a person registered by several organisations shares nothing but the ESI. Each one
reads and writes its own Membership only (its name, which is also the top-level fullName,
email, academic level, picture), lists, searches and sorts on it, and counts only itself in
organisationCount: nothing one organisation sends changes what another reads, and no answer
tells it what another registered.

`public_status(escn)` is the public side, used by the JSON status and the /v/<ESCN> page.
"""

import functools

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.core import ratelimit
from campuscard.esc import escn as escn_numbers
from campuscard.esc.qr import verify_url
from campuscard.router import artwork, csvcheck
from campuscard.router.errors import (
    CARD_EXISTS,
    PERSON_EXISTS,
    AccessDenied,
    AlreadyExists,
    BadRequest,
    NotFound,
)
from campuscard.router.inputs import (
    CardLookups,
    card_errors_message,
    path_escn,
    path_esi,
    read_card,
    read_person,
)
from campuscard.router.models import (
    Membership,
    Picture,
    RouterCard,
    RouterPerson,
    shown_status,
)
from campuscard.router.pictures import picture_jpeg
from campuscard.router.representations import row_error_view

PERSON_SORTS = {"identifier": "esi", "fullName": "own_full_name",
                "createdAt": "own_created_at"}
CARD_SORTS = {"cardNumber": "escn", "displayName": "display_name", "issuedAt": "issued_at",
              "expiresAt": "expires_at", "createdAt": "created_at"}
MAX_ESCNS_PER_CALL = 100
STATUS_COLUMNS = ("escn", "display_name", "issued_at", "expires_at", "status", "issuer__pic",
                  "issuer__name", "issuer__show_holder_name")


# --- what an organisation reaches --------------------------------------------------------------

def _own_memberships(organisation):
    has_picture = Exists(Picture.objects.filter(membership=OuterRef("pk")))
    return (Membership.objects.filter(organisation=organisation).select_related("organisation")
            .annotate(has_picture=has_picture))


def persons_of(organisation):
    """The persons `organisation` registered, as it sees them: each carries `own_memberships`
    (its entry, a one-item list), and its entry's `own_full_name` and `own_created_at` (what
    lists sort on). Nothing another organisation said of them."""
    own = Membership.objects.filter(person=OuterRef("pk"), organisation=organisation)
    return (RouterPerson.objects.filter(Exists(own))
            .annotate(own_full_name=Subquery(own.values("full_name")[:1]),
                      own_created_at=Subquery(own.values("created_at")[:1]))
            .prefetch_related(Prefetch("memberships", queryset=_own_memberships(organisation),
                                       to_attr="own_memberships")))


def cards_of(organisation):
    """The cards `organisation` issued, with their issuer and person (`own_memberships`)."""
    return (RouterCard.objects.filter(issuer=organisation).select_related("issuer", "person")
            .prefetch_related(Prefetch("person__memberships",
                                       queryset=_own_memberships(organisation),
                                       to_attr="own_memberships")))


def _page(queryset, paging):
    total = queryset.count()
    start = paging.page * paging.size
    if start >= total:  # also spares the database an absurd offset
        return [], total
    return list(queryset.order_by(*paging.order_by)[start:start + paging.size]), total


def _refuse_missing(exists_elsewhere, denied, missing):
    """403 for what exists but is another organisation's, 404 for what does not exist: the
    contract's answers. Both are probes."""
    if exists_elsewhere:
        raise AccessDenied(denied, probe=True)
    raise NotFound(missing, probe=True)


# --- persons -------------------------------------------------------------------------------

def list_persons(organisation, paging):
    """(persons on the page, total) among those `organisation` registered."""
    persons = persons_of(organisation)
    if paging.search:
        persons = persons.filter(_person_search(organisation, paging.search))
    return _page(persons, paging)


def _person_search(organisation, text):
    matching_entry = Membership.objects.filter(
        Q(full_name__icontains=text) | Q(email__icontains=text),
        person=OuterRef("pk"), organisation=organisation)
    return Q(esi__icontains=text) | Q(Exists(matching_entry))


def find_person(organisation, esi):
    """The person `esi` as `organisation` sees it (see persons_of)."""
    esi = path_esi(esi)
    person = persons_of(organisation).filter(esi=esi).first()
    if person is None:
        _refuse_missing(RouterPerson.objects.filter(esi=esi).exists(),
                        _("This person is not registered by your organisation."),
                        _("No person has this ESI."))
    return person


def _membership_fields(entry):
    return {"full_name": entry.full_name, "email": entry.email,
            "academic_level": entry.academic_level}


def create_person(organisation, data):
    """Register a person (a PersonUpdateView) for `organisation`. A person other
    organisations registered already gains this organisation's entry, and the answer shows
    that entry only (as for a person new to the router)."""
    entry = read_person(data, organisation)
    already = AlreadyExists(_("This person is already registered for your organisation."),
                            code=PERSON_EXISTS)
    if Membership.objects.filter(person__esi=entry.esi, organisation=organisation).exists():
        raise already
    try:
        with transaction.atomic():
            person, _created = RouterPerson.objects.get_or_create(esi=entry.esi)
            Membership.objects.create(person=person, organisation=organisation,
                                      **_membership_fields(entry))
    except IntegrityError:  # registered by a concurrent request
        raise already from None
    return persons_of(organisation).get(pk=person.pk)


def update_person(organisation, esi, data):
    """Replace what `organisation` says of the person `esi` (its entry: nothing that other
    organisations read)."""
    person = find_person(organisation, esi)
    entry = read_person(data, organisation)
    if entry.esi != person.esi:
        raise BadRequest(_("An ESI cannot change: the identifier in the body must be the one "
                           "in the address."))
    Membership.objects.filter(person=person, organisation=organisation).update(
        **_membership_fields(entry), updated_at=timezone.now())
    return persons_of(organisation).get(pk=person.pk)


def delete_person(organisation, esi):
    """Withdraw the person from `organisation`: its entry, picture and cards go. The person
    goes too once no organisation registers them any more."""
    person = find_person(organisation, esi)
    with transaction.atomic():
        RouterCard.objects.filter(person=person, issuer=organisation).delete()
        Membership.objects.filter(person=person, organisation=organisation).delete()
        still_registered = Membership.objects.filter(person=OuterRef("pk"))
        RouterPerson.objects.filter(pk=person.pk).exclude(Exists(still_registered)).delete()


# --- pictures ------------------------------------------------------------------------------

def _own_membership(organisation, pic, esi):
    if pic != organisation.pic:
        raise AccessDenied(_("Your key reaches the pictures of your own organisation only "
                             "(PIC %(pic)s).") % {"pic": organisation.pic}, probe=True)
    return find_person(organisation, esi).own_memberships[0]


def read_picture(organisation, pic, esi):
    """The JPEG of the person `esi` for `organisation`."""
    membership = _own_membership(organisation, pic, esi)
    jpeg = Picture.objects.filter(membership=membership).values_list("jpeg", flat=True).first()
    if jpeg is None:
        raise NotFound(_("This person has no picture for your organisation."))
    return bytes(jpeg)


def store_picture(organisation, pic, esi, upload, *, resize):
    """Store (or replace) the person's picture for `organisation`; see pictures.picture_jpeg."""
    membership = _own_membership(organisation, pic, esi)
    if upload is None:
        raise BadRequest(_("Send the picture in the multipart field “file”."))
    Picture.objects.update_or_create(membership=membership,
                                     defaults={"jpeg": picture_jpeg(upload, resize=resize)})


def delete_picture(organisation, pic, esi):
    membership = _own_membership(organisation, pic, esi)
    deleted, _details = Picture.objects.filter(membership=membership).delete()
    if not deleted:
        raise NotFound(_("This person has no picture for your organisation."))


# --- cards ---------------------------------------------------------------------------------

def list_cards(organisation, paging):
    """(cards on the page, total) among those `organisation` issued."""
    cards = cards_of(organisation)
    if paging.search:
        text = paging.search
        cards = cards.filter(Q(escn__icontains=text) | Q(display_name__icontains=text)
                             | Q(person__esi__icontains=text))
    return _page(cards, paging)


def find_card(organisation, escn, queryset=None):
    """The card `escn` if `organisation` issued it (from `queryset`, cards_of by default)."""
    escn = path_escn(escn)
    queryset = cards_of(organisation) if queryset is None else queryset
    card = queryset.filter(escn=escn, issuer=organisation).first()
    if card is None:
        _refuse_missing(RouterCard.objects.filter(escn=escn).exists(),
                        _("This card was issued by another organisation."),
                        _("No card has this number."))
    return card


def _checked_card(data, organisation):
    card, errors = read_card(data, CardLookups(organisation))
    if errors:
        raise BadRequest(card_errors_message(errors))
    return card


def _card_fields(card):
    return {"person": card.person, "card_type": card.card_type, "status": card.status,
            "issued_at": card.issued_at, "expires_at": card.expires_at,
            "display_name": card.display_name,
            "processor_identifier": card.processor_identifier}


def escn_prefix():
    """The generator prefix of the numbers the router makes (settings.
    CAMPUSCARD_ROUTER_ESCN_PREFIX, 0 when unset): give each generating server its own."""
    return settings.CAMPUSCARD_ROUTER_ESCN_PREFIX


def create_card(organisation, data):
    """Issue a card (a CardUpdateView); without a cardNumber the router makes the ESCN."""
    card = _checked_card(data, organisation)
    escn = card.escn or str(escn_numbers.generate_escn(escn_prefix(), organisation.pic))
    already = AlreadyExists(_("A card with this number already exists."), code=CARD_EXISTS)
    if RouterCard.objects.filter(escn=escn).exists():
        raise already
    try:
        with transaction.atomic():
            created = RouterCard.objects.create(escn=escn, issuer=organisation,
                                                **_card_fields(card))
    except IntegrityError:  # issued by a concurrent request
        raise already from None
    return cards_of(organisation).get(pk=created.pk)


def update_card(organisation, escn, data):
    """Replace the card `escn`. A card past its expiry comes back with a new expiresAt."""
    card = find_card(organisation, escn, RouterCard.objects.all())
    update = _checked_card(data, organisation)
    if update.escn and update.escn != card.escn:
        raise BadRequest(_("A card number cannot change: the cardNumber in the body must be "
                           "the one in the address."))
    RouterCard.objects.filter(pk=card.pk).update(**_card_fields(update),
                                                 updated_at=timezone.now())
    return cards_of(organisation).get(pk=card.pk)


def delete_card(organisation, escn):
    card = find_card(organisation, escn, RouterCard.objects.all())
    RouterCard.objects.filter(pk=card.pk).delete()


def card_qr(organisation, escn, *, orientation, colours, size):
    """The card's QR artwork (SVG): it points at settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX
    followed by the ESCN."""
    _check_choice("orientation", orientation, artwork.ORIENTATIONS)
    _check_choice("colours", colours, artwork.COLOURS)
    _check_choice("size", size, artwork.SIZES)
    card = find_card(organisation, escn, RouterCard.objects.all())
    data = verify_url(settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX, card.escn)
    return artwork.qr_artwork(data, orientation=orientation, colours=colours, size=size)


def _check_choice(name, value, choices):
    if value not in choices:
        raise BadRequest(_("%(name)s is one of %(choices)s.")
                         % {"name": name, "choices": ", ".join(choices)})


def generate_escns(organisation, *, prefix, pic, count):
    """`count` (1 to 100) new ESCNs of the generator `prefix` for the caller's own PIC."""
    if pic != organisation.pic:
        raise AccessDenied(_("Your key makes card numbers for PIC %(pic)s only.")
                           % {"pic": organisation.pic})
    if not 0 <= prefix <= 999:
        raise BadRequest(_("prefix is a number from 0 to 999 (written on 3 digits)."))
    if not 1 <= count <= MAX_ESCNS_PER_CALL:
        raise BadRequest(_("numberOfESCN is from 1 to %(max)s per call; ask again for more.")
                         % {"max": MAX_ESCNS_PER_CALL})
    return [str(escn) for escn in escn_numbers.generate_escns(prefix, pic, count)]


def validate_csv(organisation, upload, operation):
    """The row errors of a bulk card file (a dry run: nothing is written)."""
    operation = csvcheck.read_operation(operation)
    if upload is None:
        raise BadRequest(_("Send the CSV file in the multipart field “file”."))
    return [row_error_view(row, error)
            for row, error in csvcheck.check_file(upload, operation, organisation)]


# --- public --------------------------------------------------------------------------------

def public_status(escn):
    """The CardStatusView of the card `escn` (cardNumber, issuedAt, expiresAt,
    issuerIdentifier, issuerName, status, and displayName only when its issuer chose to show
    the holder's name: Organisation.show_holder_name), or None when there is no such card or
    `escn` is not an ESCN. One query; status is EXPIRED once expiresAt is past."""
    try:
        number = escn_numbers.validate_escn(escn)
    except ValidationError:
        return None
    return _status_view(_fetch_status_row(number))


def counted_public_status(escn, count):
    """(hits, the CardStatusView or None): a rate-limit count, `count` = (sql, params) from
    core.ratelimit.count_statement, and the public status, sent to PostgreSQL in one round trip
    (psycopg's pipeline mode). On this hot path the round trip costs more than either query."""
    try:
        number = escn_numbers.validate_escn(escn)
    except ValidationError:
        number = None
    connection.ensure_connection()
    raw = connection.connection
    # Server-side binding cursors: psycopg prepares both statements after a few calls.
    with psycopg.Cursor(raw) as counter, psycopg.Cursor(raw) as reader:
        with raw.pipeline():
            counter.execute(*count)
            if number is not None:
                reader.execute(_status_sql(), [number])
        row = reader.fetchone() if number is not None else None
        return ratelimit.counted(counter.fetchone()[0]), _status_view(row)


def _status_view(row):
    if row is None:
        return None
    escn, display_name, issued_at, expires_at, status, pic, issuer_name, show_name = row
    view = {"cardNumber": escn}
    if show_name and display_name:
        view["displayName"] = display_name
    return view | {"issuedAt": issued_at.isoformat(), "expiresAt": expires_at.isoformat(),
                   "issuerIdentifier": pic, "issuerName": issuer_name,
                   "status": shown_status(status, expires_at)}


def _fetch_status_row(number):
    """On PostgreSQL through a server-side binding cursor, so that psycopg prepares the
    statement after a few calls (when prepared statements are on): planning the join each time
    costs more than running it."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_status_sql(), [number])
            return cursor.fetchone()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        cursor.execute(_status_sql(), [number])
        return cursor.fetchone()


@functools.cache
def _status_sql():
    """The status query's SQL, written by the ORM once: on this hot path, building a queryset
    and compiling it costs more than PostgreSQL takes to run it."""
    query = RouterCard.objects.filter(escn="").values_list(*STATUS_COLUMNS)[:1].query
    sql, params = query.sql_with_params()
    if params != ("",):
        raise ImproperlyConfigured(f"unexpected parameters in the status query: {params!r}")
    return sql
