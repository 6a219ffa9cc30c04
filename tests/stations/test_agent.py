"""The local reader agent over real HTTP: the station page's origin drives the reader, another
origin gets nothing."""

import threading

import httpx
import pytest

from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.softcard import SoftCard, SoftCardTransport
from campuscard.stations.agent import ReaderAgent, serve_agent

ORIGIN = "https://cards.example.org"


@pytest.fixture
def chip():
    return SoftCard(uid=bytes.fromhex("04112233445566"))


@pytest.fixture
def agent_url(chip):
    server = serve_agent(ReaderAgent(lambda: SoftCardTransport(chip)), ORIGIN + "/", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_page_reads_the_uid_and_relays_apdus(agent_url, chip):
    headers = {"Origin": ORIGIN}
    card = httpx.get(f"{agent_url}/card", headers=headers)
    assert card.status_code == 200 and card.json() == {"uid": "04112233445566"}
    assert card.headers["Access-Control-Allow-Origin"] == ORIGIN
    get_version = Desfire(SoftCardTransport(SoftCard(uid=chip.uid)))  # the expected answer
    apdu = "9060000000"
    answer = httpx.post(f"{agent_url}/transmit", json={"apdu": apdu}, headers=headers)
    expected = get_version.link.transport.transmit(bytes.fromhex(apdu)).hex().upper()
    assert answer.json() == {"answer": expected}


def test_another_origin_is_refused_and_the_reader_untouched(agent_url):
    for origin in ("https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        assert httpx.get(f"{agent_url}/card", headers=headers).status_code == 403
        refused = httpx.post(f"{agent_url}/transmit", json={"apdu": "9060000000"},
                             headers=headers)
        assert refused.status_code == 403
        assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = httpx.request("OPTIONS", f"{agent_url}/transmit",
                              headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 403


def test_the_preflight_allows_the_page_on_a_private_network(agent_url):
    preflight = httpx.request("OPTIONS", f"{agent_url}/transmit", headers={
        "Origin": ORIGIN, "Access-Control-Request-Private-Network": "true"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Private-Network"] == "true"


def test_no_card_connected_and_bad_apdus_are_clear_errors(agent_url):
    headers = {"Origin": ORIGIN}
    early = httpx.post(f"{agent_url}/transmit", json={"apdu": "9060000000"}, headers=headers)
    assert early.status_code == 409
    httpx.get(f"{agent_url}/card", headers=headers)
    bad = httpx.post(f"{agent_url}/transmit", json={"apdu": "zz"}, headers=headers)
    assert bad.status_code == 400


def test_the_software_reader_lays_blank_cards_and_keeps_them(tmp_path):
    from campuscard.stations.agent import SoftReader

    server = serve_agent(SoftReader(tmp_path / "cards"), ORIGIN, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url, headers = f"http://127.0.0.1:{server.server_port}", {"Origin": ORIGIN}
    try:
        assert httpx.get(f"{url}/info", headers=headers).json() == {"kind": "softcard"}
        assert httpx.get(f"{url}/card", headers=headers).status_code == 409  # none laid
        uid = httpx.post(f"{url}/blank", headers=headers).json()["uid"]
        assert httpx.get(f"{url}/card", headers=headers).json() == {"uid": uid}
        answer = httpx.post(f"{url}/transmit", json={"apdu": "9060000000"}, headers=headers)
        assert answer.json()["answer"].endswith("91AF")
        assert SoftCard.load(tmp_path / "cards" / f"{uid}.json").uid.hex().upper() == uid
        other = httpx.post(f"{url}/blank", headers=headers).json()["uid"]
        assert other != uid
    finally:
        server.shutdown()
        server.server_close()


def test_a_pcsc_reader_lays_no_blank_card(agent_url):
    assert httpx.post(f"{agent_url}/blank", headers={"Origin": ORIGIN}).status_code == 409
