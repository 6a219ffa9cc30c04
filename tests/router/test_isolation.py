"""One organisation never reads or changes another's data.

B registers two persons: `only_b` (B's alone) and `shared` (registered by A too, each with its
own name), gives both a picture and a card. A, with its own key, then calls every endpoint with
every method on B's person and card and on the shared person. For each call:

- A's answer holds nothing B registered (names, emails, display names, card numbers, B's
  picture, how many organisations registered the person);
- B's answers (its persons, their pictures, its cards, their QR codes and public status) are
  byte for byte what they were before.
"""

import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.urls import get_resolver, resolve

from campuscard.router.models import Membership, Picture, RouterCard

from .conftest import Router, card_body, esi, jpeg, new_escn, person_body


def person_path(identifier):
    return f"/persons/{quote(identifier, safe=':@')}"


def picture_path(pic, identifier):
    return f"/organisations/{pic}/person/{quote(identifier, safe=':@')}/picture"


@dataclass
class World:
    a: Router
    b: Router
    pic_a: str
    pic_b: str
    only_b: str
    shared: str
    card_b: str
    card_b_shared: str
    card_a_shared: str
    est_a: object
    picture_b: bytes

    @property
    def secrets(self):
        """What B registered, which no answer to A may hold."""
        return ["Bob Secret", "bob@b.example", "Sam of B", "sam@b.example", "Card of Bob",
                "Card of Sam B", self.card_b, self.card_b_shared]


def created(response):
    assert response.status_code == 201, response.content
    return response


@pytest.fixture
def world(router_a, router_b, est_a, est_b, settings):
    settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE = 0  # tests/router/test_probes.py
    only_b, shared = esi("7000000001B"), esi("7000000002S")
    created(router_b.post("/persons", person_body(est_b.pic, only_b, "Bob Secret",
                                                  email="bob@b.example",
                                                  academicLevel="DOCTORATE")))
    created(router_b.post("/persons", person_body(est_b.pic, shared, "Sam of B",
                                                  email="sam@b.example",
                                                  academicLevel="MASTER")))
    created(router_a.post("/persons", person_body(est_a.pic, shared, "Sam of A")))
    picture_b = jpeg(200, 300, (10, 200, 10))
    for identifier in (only_b, shared):
        created(router_b.upload(picture_path(est_b.pic, identifier), picture_b))
    card_b, card_b_shared, card_a_shared = new_escn(est_b), new_escn(est_b), new_escn(est_a)
    created(router_b.post("/cards", card_body(est_b.pic, only_b, card_b,
                                              displayName="Card of Bob")))
    created(router_b.post("/cards", card_body(est_b.pic, shared, card_b_shared,
                                              displayName="Card of Sam B")))
    created(router_a.post("/cards", card_body(est_a.pic, shared, card_a_shared,
                                              displayName="Card of Sam A")))
    return World(router_a, router_b, est_a.pic, est_b.pic, only_b, shared, card_b,
                 card_b_shared, card_a_shared, est_a,
                 router_b.get(picture_path(est_b.pic, shared)).content)


def snapshot_of_b(w):
    """Every answer B reads about its persons and cards."""
    b, anonymous = w.b, Router(None)
    reads = {
        "persons": b.get("/persons"),
        "persons by name": b.get("/persons", {"search": "Sam", "sort": "fullName"}),
        "persons by date": b.get("/persons", {"sort": "createdAt", "direction": "DESC"}),
        "only_b": b.get(person_path(w.only_b)),
        "shared": b.get(person_path(w.shared)),
        "only_b picture": b.get(picture_path(w.pic_b, w.only_b)),
        "shared picture": b.get(picture_path(w.pic_b, w.shared)),
        "cards": b.get("/cards"),
        "cards by person": b.get("/cards", {"search": w.shared}),
        "card_b": b.get(f"/cards/{w.card_b}"),
        "card_b_shared": b.get(f"/cards/{w.card_b_shared}"),
        "card_b qr": b.get(f"/cards/{w.card_b_shared}/qr", Accept="text/plain"),
        "card_b status": anonymous.http.get(f"/esc-rest/api/v2/cards/{w.card_b_shared}/status"),
    }
    snapshot = {name: (r.status_code, r.content) for name, r in reads.items()}
    assert all(status == 200 for status, _content in snapshot.values()), snapshot
    return snapshot


def memberships_of_b(w):
    return list(Membership.objects.filter(organisation__pic=w.pic_b)
                .order_by("pk").values_list("person__esi", "full_name", "email",
                                            "academic_level", "updated_at"))


def csv_of(rows):
    columns = ["cardNumber", "personIdentifier", "issuerIdentifier", "cardType",
               "cardStatusType", "issuedAt", "expiresAt", "displayName"]
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def csv_row(w, identifier, escn=""):
    return {name: str(value) for name, value in
            card_body(w.pic_a, identifier, escn, displayName="Card").items()}


def own_view_of_shared(body):
    """A's view of the shared person: A's entry only."""
    assert body["identifier"].endswith("7000000002S")
    assert body.get("fullName") in ("Sam of A", "Mallory")
    assert body.get("organisationCount", 1) == 1
    [entry] = body["organisations"]
    assert entry["organisation"]["identifier"] != "999465982"
    assert entry["hasPicture"] is False  # B's picture is B's


def list_holds(identifiers):
    def check(w, response):
        found = [item["identifier"] if "identifier" in item else item["cardNumber"]
                 for item in response.json()["content"]]
        assert found == [identifier(w) for identifier in identifiers]
        for item in response.json()["content"]:
            if "organisations" in item:
                own_view_of_shared(item)
            elif "person" in item:
                own_view_of_shared(item["person"])
    return check


def is_own_view_of_shared(w, response):
    own_view_of_shared(response.json())


def card_of_shared(w, response):
    own_view_of_shared(response.json()["person"])


def no_row_is_clean(w, response):
    assert response.json(), "every row names what is not A's"


# (label, method, path(w), payload(w) or None, expected status, extra check or None)
CALLS = [
    # persons
    ("list persons", "get", lambda w: "/persons", None, 200,
     list_holds([lambda w: w.shared])),
    ("search B's name", "get", lambda w: "/persons", lambda w: {"search": "Bob"}, 200,
     list_holds([])),
    ("search B's name of the shared person", "get", lambda w: "/persons",
     lambda w: {"search": "of B"}, 200, list_holds([])),
    ("search B's email", "get", lambda w: "/persons", lambda w: {"search": "sam@b.example"},
     200, list_holds([])),
    ("search B's ESI", "get", lambda w: "/persons", lambda w: {"search": "7000000001B"}, 200,
     list_holds([])),
    ("sort by name", "get", lambda w: "/persons", lambda w: {"sort": "fullName"}, 200,
     list_holds([lambda w: w.shared])),
    ("register B's person", "post", lambda w: "/persons",
     lambda w: person_body(w.pic_a, w.only_b, "Mallory"), 201,
     lambda w, r: (r.json()["organisationCount"] == 1 and r.json()["fullName"] == "Mallory")
     or pytest.fail(str(r.json()))),
    ("register B's person with the top-level name only", "post", lambda w: "/persons",
     lambda w: {"identifier": w.only_b, "fullName": "Mallory",
                "personOrganisationUpdateViews": [{"organisationIdentifier": w.pic_a}]}, 201,
     None),
    ("register the shared person again", "post", lambda w: "/persons",
     lambda w: person_body(w.pic_a, w.shared, "Mallory"), 409, None),
    ("read B's person", "get", lambda w: person_path(w.only_b), None, 403, None),
    ("read the shared person", "get", lambda w: person_path(w.shared), None, 200,
     is_own_view_of_shared),
    ("update B's person", "put", lambda w: person_path(w.only_b),
     lambda w: person_body(w.pic_a, w.only_b, "Mallory"), 403, None),
    ("update the shared person", "put", lambda w: person_path(w.shared),
     lambda w: person_body(w.pic_a, w.shared, "Mallory", email="m@a.example"), 200,
     is_own_view_of_shared),
    ("update the shared person's top-level name", "put", lambda w: person_path(w.shared),
     lambda w: {"identifier": w.shared, "fullName": "Mallory",
                "personOrganisationUpdateViews": [{"organisationIdentifier": w.pic_a}]}, 200,
     is_own_view_of_shared),
    ("delete B's person", "delete", lambda w: person_path(w.only_b), None, 403, None),
    ("delete the shared person", "delete", lambda w: person_path(w.shared), None, 204, None),
    # pictures
    ("read B's picture of the shared person", "get",
     lambda w: picture_path(w.pic_b, w.shared), None, 403, None),
    ("store B's picture of the shared person", "upload",
     lambda w: picture_path(w.pic_b, w.shared), None, 403, None),
    ("delete B's picture of the shared person", "delete",
     lambda w: picture_path(w.pic_b, w.shared), None, 403, None),
    ("read B's picture of B's person", "get",
     lambda w: picture_path(w.pic_b, w.only_b), None, 403, None),
    ("read our picture of B's person", "get",
     lambda w: picture_path(w.pic_a, w.only_b), None, 403, None),
    ("store our picture of B's person", "upload",
     lambda w: picture_path(w.pic_a, w.only_b), None, 403, None),
    ("delete our picture of B's person", "delete",
     lambda w: picture_path(w.pic_a, w.only_b), None, 403, None),
    ("read our picture of the shared person", "get",
     lambda w: picture_path(w.pic_a, w.shared), None, 404, None),
    ("store our picture of the shared person", "upload",
     lambda w: picture_path(w.pic_a, w.shared), None, 201, None),
    ("delete our picture of the shared person", "delete",
     lambda w: picture_path(w.pic_a, w.shared), None, 404, None),
    # cards
    ("list cards", "get", lambda w: "/cards", None, 200,
     list_holds([lambda w: w.card_a_shared])),
    ("search B's card number", "get", lambda w: "/cards", lambda w: {"search": w.card_b}, 200,
     list_holds([])),
    ("search B's display name", "get", lambda w: "/cards", lambda w: {"search": "Card of B"},
     200, list_holds([])),
    ("search B's person", "get", lambda w: "/cards", lambda w: {"search": "7000000001B"}, 200,
     list_holds([])),
    ("issue a card to B's person", "post", lambda w: "/cards",
     lambda w: card_body(w.pic_a, w.only_b, new_escn(w.est_a)), 400, None),
    ("issue a card to the shared person", "post", lambda w: "/cards",
     lambda w: card_body(w.pic_a, w.shared, ""), 201, card_of_shared),
    ("issue a card with B's number", "post", lambda w: "/cards",
     lambda w: card_body(w.pic_a, w.shared, w.card_b), 400, None),
    ("read B's card", "get", lambda w: f"/cards/{w.card_b_shared}", None, 403, None),
    ("update B's card", "put", lambda w: f"/cards/{w.card_b_shared}",
     lambda w: card_body(w.pic_a, w.shared, w.card_b_shared, cardStatusType="INACTIVE"), 403,
     None),
    ("delete B's card", "delete", lambda w: f"/cards/{w.card_b_shared}", None, 403, None),
    ("QR of B's card", "get", lambda w: f"/cards/{w.card_b}/qr", None, 403, None),
    ("read our card of the shared person", "get", lambda w: f"/cards/{w.card_a_shared}", None,
     200, card_of_shared),
    ("update our card of the shared person", "put", lambda w: f"/cards/{w.card_a_shared}",
     lambda w: card_body(w.pic_a, w.shared, w.card_a_shared, cardStatusType="INACTIVE"), 200,
     card_of_shared),
    ("delete our card of the shared person", "delete",
     lambda w: f"/cards/{w.card_a_shared}", None, 204, None),
    ("QR of our card of the shared person", "get", lambda w: f"/cards/{w.card_a_shared}/qr",
     None, 200, None),
    # the rest
    ("numbers for B's PIC", "get", lambda w: "/cards/generate-escn",
     lambda w: {"prefix": 1, "pic": w.pic_b, "numberOfESCN": 2}, 403, None),
    ("numbers for our PIC", "get", lambda w: "/cards/generate-escn",
     lambda w: {"prefix": 1, "pic": w.pic_a, "numberOfESCN": 2}, 200, None),
    ("CSV configuration", "get", lambda w: "/cards/csv-config", None, 200, None),
    ("CSV creating cards for B's person and the shared one", "csv CREATE", lambda w: None,
     lambda w: csv_of([csv_row(w, w.only_b), csv_row(w, w.shared)]), 200,
     lambda w, r: [e["rowNumber"] for e in r.json()] == [2] or pytest.fail(str(r.json()))),
    ("CSV updating B's cards", "csv UPDATE", lambda w: None,
     lambda w: csv_of([csv_row(w, w.shared, w.card_b_shared), csv_row(w, w.only_b, w.card_b)]),
     200, no_row_is_clean),
    ("CSV deleting B's cards", "csv DELETE", lambda w: None,
     lambda w: csv_of([{"cardNumber": w.card_b}, {"cardNumber": w.card_b_shared}]), 200,
     no_row_is_clean),
]


def _without_links(response):
    """The answer's text, without the page links that echo A's own query."""
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            body.pop("links", None)
        return json.dumps(body, ensure_ascii=False)
    return response.content.decode("utf-8", "replace")


def call(w, method, path, payload):
    if method.startswith("csv "):
        return w.a.upload("/cards/validate-csv", payload, f"?operation={method[4:]}",
                          filename="cards.csv")
    if method == "upload":
        return w.a.upload(path, jpeg(200, 300, (200, 10, 10)))
    if method == "get":
        return w.a.get(path, payload)
    if method == "delete":
        return w.a.delete(path)
    return getattr(w.a, method)(path, payload)


@pytest.mark.parametrize(("label", "method", "path", "payload", "status", "check"), CALLS,
                         ids=[call[0] for call in CALLS])
def test_a_learns_nothing_of_b_and_changes_nothing_b_reads(world, label, method, path,
                                                           payload, status, check):
    before, b_entries = snapshot_of_b(world), memberships_of_b(world)
    b_cards = list(RouterCard.objects.filter(issuer__pic=world.pic_b).order_by("pk").values())
    b_pictures = list(Picture.objects.filter(membership__organisation__pic=world.pic_b)
                      .order_by("pk").values_list("jpeg", "updated_at"))

    response = call(world, method, path(world), payload(world) if payload else None)

    assert response.status_code == status, response.content
    text = _without_links(response)
    for secret in world.secrets:
        assert secret not in text, f"{label}: A's answer holds {secret!r}"
    assert world.picture_b not in response.content
    if check is not None:
        check(world, response)

    assert snapshot_of_b(world) == before, f"{label}: changed what B reads"
    assert memberships_of_b(world) == b_entries
    assert list(RouterCard.objects.filter(issuer__pic=world.pic_b).order_by("pk")
                .values()) == b_cards
    assert list(Picture.objects.filter(membership__organisation__pic=world.pic_b)
                .order_by("pk").values_list("jpeg", "updated_at")) == b_pictures


def test_every_endpoint_and_method_is_exercised():
    """The calls above cover each (route, method) of the router that takes a key."""
    routes = {"persons": {"GET", "POST"}, "person": {"GET", "PUT", "DELETE"},
              "picture": {"GET", "POST", "DELETE"}, "cards": {"GET", "POST"},
              "card": {"GET", "PUT", "DELETE"}, "card_qr": {"GET"},
              "generate_escn": {"GET"}, "csv_config": {"GET"}, "validate_csv": {"POST"}}
    served = {p.name for p in get_resolver("campuscard.router.urls").url_patterns if p.name}
    assert served - {"card_status"} == set(routes)
    seen = set()
    for _label, method, path, _payload, _status, _check in CALLS:
        verb = "POST" if method == "upload" or method.startswith("csv ") else method.upper()
        seen.add((_route_of(path(_Placeholders())), verb))
    expected = {(route, verb) for route, verbs in routes.items() for verb in verbs}
    assert expected == seen, sorted(expected ^ seen)


class _Placeholders:
    pic_a = pic_b = "999859608"
    only_b = shared = esi("1")
    card_b = card_b_shared = card_a_shared = "3e506370-826a-103d-bf76-066999859608"


def _route_of(path):
    if path is None:
        return "validate_csv"
    return resolve(f"/esc-rest/api/v2{path}").url_name
