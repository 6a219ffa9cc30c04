"""What connections write of a card, in the forms other systems expect (readers often see a
chip's serial number with its bytes in the other order, or as a decimal number)."""

import datetime

from django.utils import timezone


def reversed_csn(csn):
    """The hex CSN with its bytes in the reverse order ("04A1B2" → "B2A104")."""
    csn = csn or ""
    return "".join(reversed([csn[i:i + 2] for i in range(0, len(csn), 2)]))


def as_decimal(hex_text):
    return str(int(hex_text, 16)) if hex_text else ""


def generalized_time(moment):
    """LDAP GeneralizedTime in UTC, YYYYMMDDHHMMSSZ ('' for none)."""
    if moment is None:
        return ""
    return moment.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%SZ")


def end_of_day(day):
    """The last second of `day` in the instance's time zone (an end of rights is a date)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))
