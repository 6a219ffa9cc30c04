"""Our answers against the router's published contract (tests/contract): bodies, status codes
and media types, for successes and for the documented refusals."""

from urllib.parse import quote

import pytest

from tests.contract.checker import Contract

from .conftest import Router, card_body, esi, jpeg, new_escn, person_body


@pytest.fixture(scope="module")
def contract():
    return Contract.load()


class CheckedRouter(Router):
    """A Router whose every answer is checked against the contract."""

    def __init__(self, key, contract):
        super().__init__(key)
        self.contract = contract
        self.statuses = []

    def _checked(self, method, path, response):
        self.contract.check(method, "/api/v2" + path.split("?")[0], response.status_code,
                            response.get("Content-Type", ""), response.content)
        self.statuses.append(response.status_code)
        return response

    def get(self, path, params=None, **headers):
        return self._checked("GET", path, super().get(path, params, **headers))

    def post(self, path, body, **headers):
        return self._checked("POST", path, super().post(path, body, **headers))

    def put(self, path, body, **headers):
        return self._checked("PUT", path, super().put(path, body, **headers))

    def delete(self, path, **headers):
        return self._checked("DELETE", path, super().delete(path, **headers))

    def upload(self, path, data, params="", filename="upload.bin", field="file"):
        return self._checked("POST", path, super().upload(path, data, params, filename, field))


@pytest.fixture
def checked_a(key_a, contract):
    return CheckedRouter(key_a, contract)


@pytest.fixture
def checked_b(key_b, contract):
    return CheckedRouter(key_b, contract)


def test_persons_and_pictures_answer_as_the_contract_says(checked_a, checked_b, est_a):
    identifier = esi("1000000001A")
    person = f"/persons/{quote(identifier, safe=':@')}"
    picture = f"/organisations/{est_a.pic}/person/{quote(identifier, safe=':@')}/picture"
    body = person_body(est_a.pic, identifier, email="a@example.org", academicLevel="MASTER")
    checked_a.post("/persons", body)
    checked_a.post("/persons", body)  # 409
    checked_a.post("/persons", body | {"identifier": "nope"})  # 400
    checked_a.get(person)
    checked_a.put(person, body)
    checked_a.get("/persons", {"size": 50})
    checked_a.get(f"/persons/{quote(esi('404'), safe=':@')}")  # 404
    checked_b.get(person)  # 403
    checked_a.upload(picture, jpeg(400, 600), "?resize=true")
    checked_a.get(picture)
    checked_b.upload(picture, jpeg(200, 300))  # 403
    checked_a.delete(picture)
    checked_a.get(picture)  # 404
    checked_a.delete(person)
    assert checked_a.statuses == [201, 409, 400, 200, 200, 200, 404, 201, 200, 204, 404, 204]
    assert checked_b.statuses == [403, 403]


def test_cards_answer_as_the_contract_says(checked_a, checked_b, router_a, est_a, alice):
    escn = checked_a.get("/cards/generate-escn", {"prefix": 66, "pic": est_a.pic}).json()[0]
    checked_a.get("/cards/generate-escn", {"prefix": 66, "pic": est_a.pic,
                                           "numberOfESCN": 101})  # 400
    body = card_body(est_a.pic, alice, escn, processorIdentifier="FR1")
    checked_a.post("/cards", body)
    checked_a.post("/cards", body)  # 409
    checked_a.post("/cards", body | {"cardType": "NFC"})  # 400
    checked_a.post("/cards", card_body(est_a.pic, alice, None))
    checked_a.get(f"/cards/{escn}")
    checked_a.put(f"/cards/{escn}", body | {"cardStatusType": "INACTIVE"})
    checked_a.get("/cards")
    checked_a.get(f"/cards/{escn}/qr", Accept="image/svg+xml")
    checked_a.get(f"/cards/{escn}/qr", Accept="text/plain")
    checked_a.get(f"/cards/{escn}/qr", {"size": "XL"}, Accept="image/svg+xml")  # 400
    anonymous = CheckedRouter(None, checked_a.contract)  # the public status needs no key
    anonymous.get(f"/cards/{escn}/status")
    anonymous.get(f"/cards/{new_escn(est_a)}/status")  # 404
    anonymous.get("/cards/not-an-escn/status")  # 404
    checked_b.get(f"/cards/{escn}")  # 403
    checked_b.delete(f"/cards/{escn}")  # 403
    checked_a.get(f"/cards/{new_escn(est_a)}")  # 404
    checked_a.get("/cards/not-an-escn")  # 400
    checked_a.delete(f"/cards/{escn}")
    assert checked_a.statuses == [200, 400, 201, 409, 400, 201, 200, 200, 200, 200, 200, 400,
                                  404, 400, 204]
    assert anonymous.statuses == [200, 404, 404] and checked_b.statuses == [403, 403]


def test_the_unauthorised_answer_is_documented_where_a_key_is_required(contract, db):
    anonymous = CheckedRouter(None, contract)
    anonymous.get("/cards")
    anonymous.post("/persons", {})
    assert anonymous.statuses == [401, 401]
