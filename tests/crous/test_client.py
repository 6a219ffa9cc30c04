"""Every operation of the CROUS client against the emulator, over real HTTP; then the token's
life, and the answers no honest API gives (a scripted server)."""

import datetime
import logging

import httpx
import pytest

from campuscard.integrations.crous.client import (
    BadAnswer,
    Conflict,
    CrousClient,
    Locked,
    NotAcceptable,
    NotFound,
    RightHolder,
    SmartCard,
    TokenCache,
    Unauthorized,
    Unavailable,
    Unprocessable,
    already_exists,
    format_datetime,
    parse_datetime,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, holders, smartcards

NOW = datetime.datetime.now(datetime.UTC)
EPPN = "alice@univ-a.example.org"
INE = "1234567890A"


def holder(identifier=EPPN, **changes):
    values = {"identifier": identifier, "first_name": "Alice", "last_name": "Martin",
              "email": "alice@example.org", "due_date": NOW + datetime.timedelta(days=30),
              "id_company_rate": 78, "id_rate": 99, "simple_birth_date": "2001-02-03",
              "ine": None, "rne_org_code": "0761904G"}
    return RightHolder(**(values | changes))


def smartcard(id_zdc=99990001, uid="04AABBCCDDEEFF"):
    return SmartCard(id_zdc=id_zdc, uid=uid, id_transmitter=0x1234, id_mapping=5,
                     zdc_creation_date=NOW, pix_ss="0001", pix_nn="0002", appl="AAPL")


@pytest.fixture
def registered(client):
    client.create_right_holder(holder())
    client.create_smartcard(EPPN, smartcard())
    return client


def test_a_right_holder_is_created_read_and_updated(client, emulator):
    with pytest.raises(NotFound) as missing:
        client.get_right_holder(EPPN)
    assert missing.value.code == "-42"
    client.create_right_holder(holder())
    read = client.get_right_holder(EPPN)
    assert (read.first_name, read.id_company_rate, read.rne_org_code) == ("Alice", 78, "0761904G")
    assert abs(read.due_date - (NOW + datetime.timedelta(days=30))) < datetime.timedelta(seconds=1)
    assert (read.account_status, read.blocking_status) == ("ACTIF", "NON_BLOQUE")
    client.update_right_holder(EPPN, holder(first_name="Alicia"))
    assert client.get_right_holder(EPPN).first_name == "Alicia"
    assert holders(emulator)[EPPN]["putCount"] == 1


def test_creating_an_existing_right_holder_is_422_minus_11(client):
    client.create_right_holder(holder())
    with pytest.raises(Unprocessable) as exists:
        client.create_right_holder(holder())
    assert exists.value.code == "-11" and already_exists(exists.value)


def test_a_due_date_in_the_past_is_422_minus_8(client):
    with pytest.raises(Unprocessable) as past:
        client.create_right_holder(holder(due_date=NOW - datetime.timedelta(days=1)))
    assert past.value.code == "-8"


def test_the_identifier_changes_and_the_smartcards_follow(registered, emulator):
    registered.change_identifier(EPPN, INE, "alice@example.org")
    assert registered.get_right_holder(INE).identifier == INE
    assert registered.get_smartcard(INE, 99990001).uid == "04AABBCCDDEEFF"
    with pytest.raises(NotFound):
        registered.get_right_holder(EPPN)


def test_a_closed_account_is_reopened(registered, emulator):
    emulator.emulator.store.execute("UPDATE holders SET closed = 1")
    assert registered.get_right_holder(EPPN).closed
    registered.unclose_right_holder(EPPN)
    assert registered.get_right_holder(EPPN).account_status == "ACTIF"


def test_a_smartcard_is_registered_opposed_and_revalidated(registered, emulator):
    read = registered.get_smartcard(EPPN, 99990001)
    assert (read.id_zdc, read.uid, read.id_transmitter, read.appl) == (
        99990001, "04AABBCCDDEEFF", 0x1234, "AAPL")
    registered.oppose_smartcard(EPPN, 99990001, "04aabbccddeeff", "DP")
    assert smartcards(emulator)[99990001]["reason"] == "DP"
    with pytest.raises(Unprocessable) as again:
        registered.oppose_smartcard(EPPN, 99990001, "04AABBCCDDEEFF", "DP")
    assert again.value.code == "-9"
    registered.revalidate_smartcard(EPPN, 99990001, "04AABBCCDDEEFF")
    card = smartcards(emulator)[99990001]
    assert (card["cancelDate"], card["oppositions"], card["revalidations"]) == ("", 1, 1)


def test_a_smartcard_patch_must_name_the_cards_csn(registered):
    with pytest.raises(Unprocessable) as wrong:
        registered.oppose_smartcard(EPPN, 99990001, "04000000000000", "DP")
    assert wrong.value.field == "uid"


def test_registering_a_known_smartcard_is_a_conflict(registered):
    with pytest.raises(Conflict) as twice:
        registered.create_smartcard(EPPN, smartcard())
    assert already_exists(twice.value)


def test_a_card_of_a_right_holder_deleted_for_gdpr_is_minus_31(registered, emulator):
    httpx.post(f"{emulator.url}/_emulator/rightholders/{EPPN}/forget")
    registered.create_right_holder(holder())
    with pytest.raises(Unprocessable) as gdpr:
        registered.create_smartcard(EPPN, smartcard())
    assert gdpr.value.code == "-31"


def test_a_locked_account_is_423(registered, emulator):
    httpx.post(f"{emulator.url}/_emulator/rightholders/{EPPN}/lock")
    with pytest.raises(Locked):
        registered.oppose_smartcard(EPPN, 99990001, "04AABBCCDDEEFF", "DV")
    with pytest.raises(Locked):
        registered.get_right_holder(EPPN)


def test_only_the_priority_establishment_updates_unless_it_extends(registered):
    with pytest.raises(NotAcceptable):
        registered.update_right_holder(EPPN, holder(rne_org_code="0141408E"))
    later = NOW + datetime.timedelta(days=90)
    registered.update_right_holder(EPPN, holder(rne_org_code="0141408E", due_date=later))
    assert registered.get_right_holder(EPPN).rne_org_code == "0141408E"


def test_tariff_rules_per_crous_and_uai(client, emulator):
    assert client.tariff_rules("12", "0761904G") == []
    rules = [{"statusCode": "etd", "indexMin": None, "indexMax": None, "idCompanyRate": 10,
              "idRate": 1}, {"statusCode": "prs", "indexMin": 0, "indexMax": 350,
                             "idCompanyRate": 20, "idRate": 7}]
    httpx.put(f"{emulator.url}/_emulator/rules/12/0761904G", json=rules)
    got = client.tariff_rules("12", "0761904g")
    assert [(r.status_code, r.index_max, r.id_company_rate, r.id_rate) for r in got] == [
        ("etd", None, 10, 1), ("prs", 350, 20, 7)]


# --- the token ----------------------------------------------------------------------------------

def test_one_token_serves_until_it_expires_then_is_renewed_once(client, emulator):
    client.create_right_holder(holder())
    for _ in range(5):
        client.get_right_holder(EPPN)
    assert emulator.emulator.counts["tokens_issued"] == 1
    emulator.emulator.expire_tokens()  # the API now answers 401 to the cached token
    assert client.get_right_holder(EPPN).identifier == EPPN
    assert emulator.emulator.counts["tokens_issued"] == 2


def test_a_token_expiring_soon_is_not_used(emulator):
    emulator.emulator.token_seconds = 10  # under the safety margin: fetched for every call
    with CrousClient(emulator.url, token_url=emulator.token_url, client_id=CLIENT_ID,
                     client_secret=CLIENT_SECRET, tokens=TokenCache()) as crous:
        crous.tariff_rules("12", "0761904G")
        crous.tariff_rules("12", "0761904G")
    assert emulator.emulator.counts["tokens_issued"] == 2


def test_wrong_client_credentials_are_unauthorized(emulator):
    with CrousClient(emulator.url, token_url=emulator.token_url, client_id=CLIENT_ID,
                     client_secret="not-it") as crous, pytest.raises(Unauthorized):
        crous.get_right_holder(EPPN)


def test_the_secret_and_the_identifiers_stay_out_of_the_log(client, caplog):
    caplog.set_level(logging.DEBUG, logger="campuscard.crous")
    client.create_right_holder(holder())
    client.get_right_holder(EPPN)
    with pytest.raises(NotFound) as missing:
        client.get_right_holder(INE)
    text = caplog.text + str(missing.value) + repr(client)
    assert "GET /rightholders/{id} -> 200" in caplog.text
    for secret in (CLIENT_SECRET, EPPN, INE, "alice@example.org", "Martin"):
        assert secret not in text


# --- answers no honest API gives ------------------------------------------------------------------

def scripted_client(scripted, timeout=2.0):
    return CrousClient(scripted.url, token_url=f"{scripted.url}/api/oauth/token",
                       client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout=timeout)


@pytest.mark.parametrize(("status", "body", "error"), [
    (200, b"<html>maintenance</html>", BadAnswer),
    (200, {"firstName": "no identifier"}, BadAnswer),
    (200, [], BadAnswer),
    (200, {"identifier": "x", "dueDate": "not a date"}, BadAnswer),
    (500, b"Internal Server Error", Unavailable),
    (503, {"errors": [{"code": "-1", "message": "maintenance"}]}, Unavailable),
    (302, b"", Unavailable),
])
def test_bad_answers_raise_typed_errors(scripted, status, body, error):
    scripted.answer((status, body))
    with scripted_client(scripted) as crous, pytest.raises(error):
        crous.get_right_holder(EPPN)


def test_a_slow_answer_times_out(scripted):
    scripted.answer((200, {"identifier": EPPN}, 3.0))
    with scripted_client(scripted, timeout=0.3) as crous, pytest.raises(Unavailable) as slow:
        crous.get_right_holder(EPPN)
    assert "timed out" in slow.value.message


def test_a_redirect_is_not_followed(scripted):
    scripted.answer((307, b""))
    with scripted_client(scripted) as crous, pytest.raises(Unavailable):
        crous.create_right_holder(holder())
    assert [method for method, _path in scripted.received] == ["POST"]


def test_dates_are_iso_utc_with_milliseconds():
    moment = datetime.datetime(2026, 7, 1, 12, 30, 5, 123456, tzinfo=datetime.UTC)
    assert format_datetime(moment) == "2026-07-01T12:30:05.123Z"
    for text in ("2026-07-01T12:30:05.123Z", "2026-07-01T12:30:05Z", "2026-07-01T14:30:05+02:00",
                 "2026-07-01T12:30:05"):
        assert parse_datetime(text).replace(microsecond=0) == moment.replace(microsecond=0)
