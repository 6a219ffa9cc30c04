"""Whether what a chip holds matches our record of its card: the card bound to the chip's UID,
and each file that holds one of its numbers (the ESCN, the access-control number, the CROUS
number, the id bound to the chip) compared byte for byte with what encoding it would write."""

from campuscard.cards.models import Card
from campuscard.nfc.encoding.plan import plan_chip

CHECKED = ("escn", "access_control_id", "crous_number", "card_id_bound_to_csn")


def record_values(card):
    """The numbers our record holds for `card`, as encoding writes them."""
    values = {}
    if card.access_control_id:
        values["access_control_id"] = card.access_control_id
    if card.escn:
        values["escn"] = str(card.escn)
    crous = _crous_record(card)
    if crous is not None:
        values["crous_number"] = str(crous.id_zdc)
    return values


def _crous_record(card):
    from campuscard.integrations.crous.models import CrousSmartCard

    return CrousSmartCard.objects.filter(card=card).first()


def compare_with_record(session, readings):
    """{"card": the card bound to the chip (id) or None, "files": one check per file holding a
    number, "all_match": bool}."""
    card = (Card.objects.filter(csn=session.uid).select_related("establishment").first()
            or session.card)
    values = record_values(card) if card is not None else {}
    expected = plan_chip(session.version.declaration, bytes.fromhex(session.uid), values)
    found = {(app["aid"], file["number"]): file for app in readings for file in app["files"]}
    checks = []
    for app in expected.applications:
        for file in app.files:
            if file.holds not in CHECKED:
                continue
            read = found.get((app.aid_text, file.number), {})
            wanted = file.data.hex().upper() if file.data is not None else None
            checks.append({"aid": app.aid_text, "file": file.number, "holds": file.holds,
                           "state": read.get("state"), "found": read.get("value"),
                           "matches": wanted is not None and read.get("raw") == wanted})
    bound = card is not None and card.csn == session.uid
    return {"card": card.pk if card is not None else None, "bound": bound, "files": checks,
            "all_match": bound and bool(checks) and all(c["matches"] for c in checks)}
