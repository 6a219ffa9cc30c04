"""What the pages show of CROUS / Izly: a translated label for every code, the holder's
"Izly / CROUS" panel and the manager's view of CROUS beside what we last sent.

The reads themselves are `services.live_account` (2 s at most) and `services.last_sent`.
"""

from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from campuscard.integrations.crous import services
from campuscard.integrations.crous.client import parse_datetime
from campuscard.integrations.crous.models import CrousSmartCard

STATE_LABELS = {
    "active": _("active"),
    "closed": _("closed"),
    "blocked": _("blocked"),
    "unknown": _("not opened yet"),
    "unreachable": _("CROUS does not answer right now"),
}
REASON_LABELS = {
    "DP": _("DP — lost"),
    "DV": _("DV — stolen"),
    "CD": _("CD — out of order"),
    "HS": _("HS — out of service (replaced, destroyed, expired or another reason)"),
}
ACCOUNT_STATUS_LABELS = {
    "ACTIF": _("active"),
    "NON_CONFIRME": _("not confirmed by the holder yet"),
    "CLOTURE": _("closed"),
    "CLOTURE_EN_COURS": _("being closed"),
}
BLOCKING_STATUS_LABELS = {
    "NON_BLOQUE": _("not blocked"),
    "MIS_EN_OPPOSITION": _("in opposition"),
    "COMPTE_GELE": _("frozen"),
}
NOTHING = "—"


def code_label(labels, code):
    """The label of `code`; a code we do not know is shown as CROUS sent it."""
    if not code:
        return NOTHING
    return str(labels.get(code, code))


def reason_label(code):
    return code_label(REASON_LABELS, code)


def state_label(state):
    return code_label(STATE_LABELS, state)


def moment(value):
    """A date-time in the current locale's short format, in local time."""
    if value is None:
        return NOTHING
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


# --- the holder's panel ------------------------------------------------------------------------

@dataclass(frozen=True)
class HolderPanel:
    consent: bool
    state: str | None  # read live only when the person consents
    account_kept: bool  # consent withdrawn, and CROUS holds an account we created
    may_reopen: bool = False  # closed, and known to us (request_reopen needs that)

    @property
    def state_label(self):
        return state_label(self.state) if self.state else ""


def holder_panel(person):
    """The "Izly / CROUS" panel of the person's card page, None when their establishment does
    not send to CROUS."""
    if services.crous_settings_of(person.establishment) is None:
        return None
    account = services.last_sent(person)
    if not person.crous_consent:
        return HolderPanel(consent=False, state=None, account_kept=account is not None)
    live = services.live_account(person)
    state = live.state if live is not None else "unreachable"
    return HolderPanel(consent=True, state=state, account_kept=False,
                       may_reopen=state == "closed" and account is not None)


# --- the manager's view ------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One field: what we last sent (or hold), what CROUS shows now."""

    label: str
    sent: str
    seen: str

    @property
    def differs(self):
        return self.seen != NOTHING and self.sent != NOTHING and self.sent != self.seen


@dataclass(frozen=True)
class ManagerView:
    live: object  # services.LiveAccount, or None when not read
    account: object  # CrousAccount or None
    record: object  # CrousSmartCard or None
    holder_lines: list
    smartcard_lines: list

    @property
    def state_label(self):
        return state_label(self.live.state) if self.live is not None else NOTHING

    @property
    def opposition_label(self):
        if self.record is None or not self.record.opposed:
            return ""
        return reason_label(self.record.opposition_reason)


def _text(value):
    return NOTHING if value in (None, "") else str(value)


def _sent_holder(sent):
    """The fields of the last body sent (camelCase JSON) as the page shows them."""
    sent = sent or {}
    return {"identifier": _text(sent.get("identifier")),
            "first_name": _text(sent.get("firstName")), "last_name": _text(sent.get("lastName")),
            "email": _text(sent.get("email")), "birth_date": _text(sent.get("simpleBirthDate")),
            "ine": _text(sent.get("ine")), "uai": _text(sent.get("rneOrgCode")),
            "due_date": moment(parse_datetime(sent.get("dueDate"))),
            "company_rate": _text(sent.get("idCompanyRate")), "rate": _text(sent.get("idRate"))}


def _seen_holder(holder):
    if holder is None:
        return {}
    return {"identifier": _text(holder.identifier), "first_name": _text(holder.first_name),
            "last_name": _text(holder.last_name), "email": _text(holder.email),
            "birth_date": _text(holder.simple_birth_date), "ine": _text(holder.ine),
            "uai": _text(holder.rne_org_code), "due_date": moment(holder.due_date),
            "company_rate": _text(holder.id_company_rate), "rate": _text(holder.id_rate),
            "account_status": code_label(ACCOUNT_STATUS_LABELS, holder.account_status),
            "blocking_status": code_label(BLOCKING_STATUS_LABELS, holder.blocking_status)}


HOLDER_FIELDS = (
    ("identifier", _("Identifier")), ("first_name", _("First name")),
    ("last_name", _("Last name")), ("email", _("Email")), ("birth_date", _("Birth date")),
    ("ine", _("INE")), ("uai", _("UAI (rneOrgCode)")), ("due_date", _("End of rights (dueDate)")),
    ("company_rate", _("Company rate (idCompanyRate)")), ("rate", _("Rate (idRate)")),
    ("account_status", _("Account status")), ("blocking_status", _("Blocking status")),
)
SMARTCARD_FIELDS = (
    ("id_zdc", _("CROUS card number (idZdc)")), ("uid", _("CSN (uid)")),
    ("created", _("zdcCreationDate")), ("transmitter", _("idTransmitter")),
    ("mapping", _("idMapping")), ("appl", _("AAPL")),
)


def _smartcard_values(card):
    if card is None:
        return {}
    return {"id_zdc": _text(card.id_zdc), "uid": _text(card.uid),
            "created": moment(card.zdc_creation_date), "transmitter": _text(card.id_transmitter),
            "mapping": _text(card.id_mapping), "appl": _text(card.appl)}


def _lines(fields, sent, seen):
    return [Line(label, sent.get(key, NOTHING), seen.get(key, NOTHING))
            for key, label in fields]


def manager_view(card):
    """CROUS's live view of the card's holder and smartcard beside what we last sent; None
    when the card's establishment does not send to CROUS. CROUS is read only for a holder
    who consents or whom we already sent."""
    person = card.person
    if services.crous_settings_of(card.establishment) is None:
        return None
    account = services.last_sent(person)
    record = CrousSmartCard.objects.filter(card=card).first()
    live = None
    if person.crous_consent or account is not None:
        live = services.live_account(person, card=card)
    holder = live.holder if live is not None else None
    smartcard = live.smartcard if live is not None else None
    return ManagerView(
        live=live, account=account, record=record,
        holder_lines=_lines(HOLDER_FIELDS, _sent_holder(account.sent if account else None),
                            _seen_holder(holder)),
        smartcard_lines=_lines(SMARTCARD_FIELDS,
                               _smartcard_values(services.smartcard_json(record)
                                                 if record else None),
                               _smartcard_values(smartcard)))
