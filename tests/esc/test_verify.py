"""The public verify page /v/<ESCN> and its JSON: valid or not, status, expiry, issuer; nothing
about the holder unless the card's issuer shows the name on the card; rate-limited per client
address."""

import datetime

import pytest
from django.utils import timezone

from campuscard.esc.escn import generate_escn
from campuscard.router.models import Organisation, RouterCard, RouterPerson

pytestmark = pytest.mark.usefixtures("start_of_a_minute")

PIC = "999859608"
HOLDER = "Alice Martin"


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(pic=PIC, name="Université A")


def router_card(organisation, status="ACTIVE", days_left=100):
    person = RouterPerson.objects.create(esi=f"urn:schac:personalUniqueCode:int:esi:fr:"
                                             f"{RouterPerson.objects.count():011d}")
    today = timezone.localdate()
    return RouterCard.objects.create(
        escn=str(generate_escn("066", PIC)), person=person, issuer=organisation, status=status,
        card_type="SMART_NO_CDZ", display_name=HOLDER, issued_at=today - datetime.timedelta(
            days=200), expires_at=today + datetime.timedelta(days=days_left))


def test_an_active_card_is_valid(client, organisation):
    card = router_card(organisation)
    page = client.get(f"/v/{card.escn}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Valid" in text and "Université A" in text and PIC in text
    assert HOLDER not in text and card.person.esi not in text
    data = client.get(f"/v/{card.escn}.json").json()
    assert data == {"escn": card.escn, "valid": True, "status": "ACTIVE",
                    "expiresAt": card.expires_at.isoformat(),
                    "issuer": {"name": "Université A", "pic": PIC},
                    "message": "This European Student Card is valid."}


def test_an_inactive_card_is_not_valid(client, organisation):
    card = router_card(organisation, status="INACTIVE")
    data = client.get(f"/v/{card.escn}.json").json()
    assert (data["valid"], data["status"]) == (False, "INACTIVE")
    assert "Not valid" in client.get(f"/v/{card.escn}").content.decode()


def test_a_card_past_its_expiry_is_expired_whatever_its_status(client, organisation):
    card = router_card(organisation, days_left=-1)
    data = client.get(f"/v/{card.escn}.json").json()
    assert (data["valid"], data["status"]) == (False, "EXPIRED")


def test_a_card_valid_until_today_is_still_valid(client, organisation):
    card = router_card(organisation, days_left=0)
    assert client.get(f"/v/{card.escn}.json").json()["valid"] is True


def test_an_unknown_card_says_so(client, organisation):
    escn = str(generate_escn("066", PIC))
    response = client.get(f"/v/{escn}.json")
    assert response.status_code == 404
    assert response.json()["status"] == "UNKNOWN"
    assert "Unknown card" in client.get(f"/v/{escn}").content.decode()


@pytest.mark.parametrize("escn", ["nonsense", "3e506370-826a-403d-bf76-001000000001",
                                  "3e506370-826a-103d-bf76-00100000000a"])
def test_a_malformed_number_is_refused_clearly(client, organisation, escn):
    response = client.get(f"/v/{escn}.json")
    assert response.status_code == 404
    assert response.json()["status"] == "MALFORMED"
    assert "not a European Student Card Number" in client.get(f"/v/{escn}").content.decode()


def test_the_page_speaks_french(client, organisation):
    card = router_card(organisation)
    page = client.get(f"/v/{card.escn}", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Valide" in page


def test_checks_are_rate_limited_per_address(client, organisation, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 3
    card = router_card(organisation)
    for _ in range(3):
        assert client.get(f"/v/{card.escn}.json").status_code == 200
    limited = client.get(f"/v/{card.escn}.json")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert client.get(f"/v/{card.escn}").status_code == 429
    other = client.get(f"/v/{card.escn}.json", REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200


def test_the_name_on_the_card_is_shown_only_when_its_issuer_chose_so(client, organisation):
    card = router_card(organisation)
    assert "displayName" not in client.get(f"/v/{card.escn}.json").json()
    organisation.show_holder_name = True
    organisation.save()
    data = client.get(f"/v/{card.escn}.json").json()
    assert data["displayName"] == HOLDER
    page = client.get(f"/v/{card.escn}").content.decode()
    assert "Name on the card" in page and HOLDER in page
    assert "shows nothing about the card holder" not in page
    assert card.person.esi not in page  # the name printed on the card, nothing more
