"""The templates of a REST call: text with `{variable}` over a fixed list of names, and nothing
else (no attribute access, no expressions, no code). `{{` and `}}` are literal braces.

In a URL each value is percent-encoded (a value cannot add a path segment or a query
parameter); in a JSON body the template is parsed as JSON first and only its strings are
filled, so a value is always JSON-escaped inside the string it stands in; a header value may
not hold a line break. `{secret}` (the connection's sealed secret) is allowed in headers only.
"""

import json
import re
from urllib.parse import quote, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

VARIABLES = {
    "event": _("the event, e.g. card.enabled"),
    "card_id": _("the card's number in CampusCard"),
    "state": _("the card's state, e.g. ENABLED"),
    "csn": _("the chip serial number, hexadecimal as read"),
    "csn_reversed": _("the chip serial number with its bytes in reverse order"),
    "csn_dec": _("the chip serial number as a decimal number"),
    "csn_reversed_dec": _("the reversed chip serial number as a decimal number"),
    "escn": _("the European Student Card Number"),
    "access_control_id": _("the card's access-control number"),
    "disable_reason": _("why the card was disabled, e.g. LOST"),
    "enabled_date": _("the day the card was enabled (YYYY-MM-DD)"),
    "eppn": _("the holder's eppn"),
    "person_id": _("the holder's number in CampusCard"),
    "population": _("the holder's population code"),
    "rights_end": _("the end of the holder's rights (YYYY-MM-DD)"),
    "issuer": _("the code of the establishment that issued the card"),
    "establishment": _("the establishment the call is made for: the recognising one for a "
                       "card recognised from another establishment, else the issuer"),
}
SECRET = "secret"  # noqa: S105 - the name of the variable, not a secret
SAMPLE = dict.fromkeys(VARIABLES, "Sample value é/&?#\"'{}")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _fill(template, values, encode, allowed):
    """`template` with each `{name}` replaced by `encode(value)`; errors for the rest."""
    def replace(match):
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        name = match.group(1)
        if name is None:
            raise ValidationError(_("A lone “%(brace)s”: write “%(brace)s%(brace)s” for a "
                                    "brace."), code="brace", params={"brace": text})
        if name not in allowed:
            raise ValidationError(_("Unknown variable {%(name)s}."), code="unknown",
                                  params={"name": name})
        value = values.get(name)
        return encode("" if value is None else str(value))

    return PLACEHOLDER.sub(replace, template)


def render_url(template, values):
    return _fill(template, values, lambda value: quote(value, safe=""), VARIABLES)


def render_body(template, values):
    """The body, as bytes of JSON; '' stays empty (no body)."""
    if not template.strip():
        return b""
    document = json.loads(template)
    return json.dumps(_fill_strings(document, values), ensure_ascii=False).encode()


def _fill_strings(node, values):
    if isinstance(node, str):
        return _fill(node, values, lambda value: value, VARIABLES)
    if isinstance(node, list):
        return [_fill_strings(item, values) for item in node]
    if isinstance(node, dict):
        return {_fill_strings(key, values): _fill_strings(item, values)
                for key, item in node.items()}
    return node


def render_header(template, values):
    value = _fill(template, values, lambda value: value, {*VARIABLES, SECRET})
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("a header value would hold a control character")
    return value


def parse_headers(text):
    """`Name: value template` lines as (name, template) pairs; blank lines are skipped."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not HEADER_NAME.match(name.strip()):
            raise ValidationError(_("Header line %(number)s: write “Name: value”."),
                                  code="header", params={"number": number})
        pairs.append((name.strip(), value.strip()))
    return pairs


# --- checks at save time ----------------------------------------------------------------------

def check_url(template):
    """A URL template whose scheme and host are fixed (no variable there) and that gives an
    http(s) URL without credentials once filled with sample values."""
    head = template.split("://", 1)
    if len(head) == 2 and "{" in head[1].split("/", 1)[0]:
        raise ValidationError(_("The address's host cannot hold a variable."), code="host")
    check_http_url(render_url(template, SAMPLE))


def check_http_url(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."), code="scheme")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("Put no user name or password in the address: use a header "
                                "and the secret."), code="credentials")


def check_body(template):
    if not template.strip():
        return
    try:
        json.loads(template)
    except ValueError as exc:
        raise ValidationError(_("The body is not valid JSON: %(error)s"), code="json",
                              params={"error": str(exc)}) from exc
    json.loads(render_body(template, SAMPLE))  # every variable known; the result is JSON


def check_headers(text):
    for name, template in parse_headers(text):
        try:
            render_header(template, {**SAMPLE, SECRET: "sample"})
        except ValueError as exc:
            raise ValidationError(_("Header %(name)s holds a control character."),
                                  code="header", params={"name": name}) from exc


def uses_secret(text):
    return "{" + SECRET + "}" in text
