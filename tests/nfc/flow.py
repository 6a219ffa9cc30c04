"""Shared pieces of the encoding-flow tests: a layout with its key files, an encoding station,
and a loop that relays a session's APDUs to a software card as a station does."""

from campuscard.core.actors import Actor
from campuscard.nfc import keys, layouts, services
from campuscard.nfc.softcard import SoftCard, SoftCardTransport
from campuscard.stations import services as station_services
from campuscard.stations.models import StationKind


def make_layout(establishment, preset="esup-sgc", code="esup"):
    layout = services.create_layout_from_preset(preset, code=code, name=code,
                                                establishment=establishment)
    for _path, reference, key_type in layouts.key_entries(layout.current_version.declaration):
        if reference.startswith("file:"):
            keys.create_key_file(reference, key_type)
    return layout


def make_encoding_station(establishment, allowed=(), name="Encoder A",
                          kind=StationKind.ENCODE):
    station, token = station_services.register_station(
        name, establishment, Actor.system(), allowed_users=list(allowed), kind=kind)
    station.token = token
    return station


def blank_card(uid="04A1B2C3D4E5F6"):
    return SoftCard(uid=bytes.fromhex(uid))


def relay(answer, card, step, *, stop_after=None):
    """Relay `answer`'s APDUs to `card` through `step(session, step, answer_hex)` until the
    session ends (or after `stop_after` APDUs); returns the last answer."""
    transport = SoftCardTransport(card)
    sent = 0
    while answer["apdu"] and (stop_after is None or sent < stop_after):
        response = transport.transmit(bytes.fromhex(answer["apdu"]))
        sent += 1
        answer = step(answer["session"], answer["step"], response.hex().upper())
    return answer
