"""Importing smartcard records from the CROUS CSV an encoding station (or the supplier of
pre-encoded Izly cards) produces, as ESUP-SGC's `addCrousCsvFile` takes it:

    PIX.SS;PIX.NN;AAPL;NUM_PROTOCOLAIRE;NUM_APPLICATIF;NFO;CNOUS;CROUS;EMETTEUR;MAPPING;NUM_CARTE;DATE_CREATION

The first line is a header; all whitespace is removed; NFO, CNOUS and CROUS are ignored;
EMETTEUR is hexadecimal; DATE_CREATION is dd/mm/yyyy. Every line is checked first: one error
anywhere and nothing is changed. A record is bound to the card whose CSN is its uid (now, or when
that card is encoded later).
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards.models import Card
from campuscard.core import audit
from campuscard.core.validators import validate_csn
from campuscard.integrations.crous.models import CrousSmartCard

COLUMNS = 12
HEX_RE = re.compile(r"^[0-9A-F]*$")
MAX_LINES = 100_000


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    bound: int  # bound to a card at once


class ImportRefused(Exception):
    """The file was refused; `errors` is a list of (line number, message)."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{line}: {message}" for line, message in errors))
        self.errors = errors


def _swap_bytes(value):
    """The bytes in the other order ("inverse CSN": the reader wrote them backwards)."""
    return "".join(reversed([value[i:i + 2] for i in range(0, len(value), 2)]))


def _parse_line(cells, inverse_csn):
    pix_ss, pix_nn, appl, uid, rid, _nfo, _cnous, _crous, emitter, mapping, number, created = cells
    uid, rid = uid.upper(), rid.upper()
    if inverse_csn:
        uid, rid = _swap_bytes(uid), _swap_bytes(rid)
    try:
        validate_csn(uid)
    except ValidationError as exc:
        raise ValueError(_("NUM_PROTOCOLAIRE: %(error)s") % {"error": exc.messages[0]}) from exc
    if not HEX_RE.match(rid):
        raise ValueError(_("NUM_APPLICATIF must be hexadecimal."))
    try:
        id_transmitter = int(emitter, 16)
    except ValueError as exc:
        raise ValueError(_("EMETTEUR must be a hexadecimal number.")) from exc
    if not mapping.isdigit():
        raise ValueError(_("MAPPING must be a whole number."))
    if not number.isdigit():
        raise ValueError(_("NUM_CARTE must be a whole number."))
    try:
        day = datetime.datetime.strptime(created, "%d/%m/%Y")
    except ValueError as exc:
        raise ValueError(_("DATE_CREATION must be a date written dd/mm/yyyy.")) from exc
    return {"uid": uid, "rid": rid, "pix_ss": pix_ss, "pix_nn": pix_nn, "appl": appl,
            "id_transmitter": id_transmitter, "id_mapping": int(mapping),
            "id_zdc": int(number), "zdc_creation_date": timezone.make_aware(day)}


def _lines(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([(0, _("The file is not UTF-8 text."))]) from exc
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise ImportRefused([(0, _("The file has more than %(count)d lines.")
                              % {"count": MAX_LINES})])
    for number, line in enumerate(lines[1:], start=2):
        compact = re.sub(r"\s", "", line)
        if compact:
            yield number, compact.split(";")


def _check(records, establishment):
    """The errors of lines that clash with each other or with what is stored."""
    errors = []
    seen_uids, seen_numbers = {}, {}
    for number, record in records:
        uid, id_zdc = record["uid"], record["id_zdc"]
        if seen_uids.setdefault(uid, id_zdc) != id_zdc or seen_numbers.setdefault(
                id_zdc, uid) != uid:
            errors.append((number, _("This CSN or CROUS card number is twice in the file with "
                                     "different values.")))
            continue
        stored = CrousSmartCard.objects.filter(uid=uid).first()
        if stored is not None and stored.id_zdc != id_zdc:
            errors.append((number, _("This CSN already has another CROUS card number (%(id)s).")
                           % {"id": stored.id_zdc}))
        elif stored is None and CrousSmartCard.objects.filter(id_zdc=id_zdc).exists():
            errors.append((number, _("This CROUS card number belongs to another CSN.")))
        elif Card.objects.filter(csn=uid).exclude(establishment=establishment).exists():
            errors.append((number, _("This CSN is the chip of another establishment's card.")))
    return errors


def import_smartcards(establishment, data, actor, *, inverse_csn=False):
    """Store the file's smartcard records for `establishment`, or refuse it whole."""
    records, errors = [], []
    for number, cells in _lines(data):
        if len(cells) != COLUMNS:
            errors.append((number, _("Expected %(expected)d columns separated by “;”, found "
                                     "%(found)d.") % {"expected": COLUMNS, "found": len(cells)}))
            continue
        try:
            records.append((number, _parse_line(cells, inverse_csn)))
        except ValueError as exc:
            errors.append((number, str(exc)))
    errors += _check(records, establishment)
    if errors:
        raise ImportRefused(sorted(errors))
    if not records:
        raise ImportRefused([(0, _("The file holds no smartcard."))])
    return _store(establishment, [record for _number, record in records], actor)


def _store(establishment, records, actor):
    created = unchanged = bound = 0
    with transaction.atomic():
        for record in records:
            if CrousSmartCard.objects.filter(uid=record["uid"]).exists():
                unchanged += 1
                continue
            card = Card.objects.filter(csn=record["uid"], crous_smartcard=None).first()
            CrousSmartCard.objects.create(establishment=establishment, card=card,
                                          origin=CrousSmartCard.Origin.IMPORTED, **record)
            created += 1
            bound += card is not None
        audit.record("crous.smartcards_imported", actor, establishment,
                     after={"created": created, "unchanged": unchanged, "bound": bound})
    return ImportResult(created=created, unchanged=unchanged, bound=bound)
