"""Bulk import: GET /cards/csv-config and the dry run POST /cards/validate-csv."""

import pytest

from campuscard.router.models import RouterCard, RouterPerson

from .conftest import assert_error, card_body, days, esi, new_escn, person_body

COLUMNS = ["cardNumber", "personIdentifier", "issuerIdentifier", "processorIdentifier",
           "cardType", "cardStatusType", "issuedAt", "expiresAt", "displayName"]


def csv_file(rows, columns=COLUMNS, delimiter=","):
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row.get(name, "") for name in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def row(pic, identifier, escn, **changes):
    return {name: value or "" for name, value in card_body(pic, identifier, escn).items()
            } | changes


def check(router, data, operation="CREATE"):
    return router.upload("/cards/validate-csv", data, f"?operation={operation}",
                         filename="cards.csv")


def errors_of(response):
    assert response.status_code == 200, response.content
    return [(e["rowNumber"], e["fieldName"], e["errorMessage"]) for e in response.json()]


def test_the_configuration_maps_every_column_to_its_index(router_a):
    config = router_a.get("/cards/csv-config").json()
    assert sorted(config, key=config.get) == COLUMNS
    assert sorted(config.values()) == list(range(len(COLUMNS)))


def test_a_good_file_has_no_errors_and_nothing_is_written(router_a, est_a, alice):
    rows = [row(est_a.pic, alice, new_escn(est_a)), row(est_a.pic, alice, "")]
    assert errors_of(check(router_a, csv_file(rows))) == []
    assert not RouterCard.objects.exists()


def test_every_fault_of_every_row_is_reported(router_a, est_a, alice):
    rows = [row(est_a.pic, alice, new_escn(est_a)),
            row(est_a.pic, alice, "nope", cardType="SMART"),
            row(est_a.pic, esi("404"), new_escn(est_a), expiresAt="31/12/2030")]
    errors = errors_of(check(router_a, csv_file(rows)))
    assert [(number, field) for number, field, _message in errors] == [
        (3, "cardNumber"), (3, "cardType"), (4, "personIdentifier"), (4, "expiresAt")]
    assert all(message for _number, _field, message in errors)
    assert not RouterCard.objects.exists() and RouterPerson.objects.count() == 1


def test_existing_and_repeated_numbers_are_reported(router_a, est_a, alice, card_a):
    twice = new_escn(est_a)
    rows = [row(est_a.pic, alice, card_a), row(est_a.pic, alice, twice),
            row(est_a.pic, alice, twice.upper())]
    errors = errors_of(check(router_a, csv_file(rows)))
    assert [(n, f) for n, f, _m in errors] == [(2, "cardNumber"), (4, "cardNumber")]
    assert "already exists" in errors[0][2] and "row 3" in errors[1][2]


def test_an_update_needs_cards_of_ours(router_a, router_b, est_a, est_b, alice, card_a):
    router_b.post("/persons", person_body(est_b.pic, esi("3000000003C")))
    card_b = router_b.post("/cards", card_body(est_b.pic, esi("3000000003C"),
                                               new_escn(est_b))).json()["cardNumber"]
    rows = [row(est_a.pic, alice, card_a, cardStatusType="INACTIVE"),
            row(est_a.pic, alice, new_escn(est_a)), row(est_a.pic, alice, ""),
            row(est_a.pic, alice, card_b)]
    errors = errors_of(check(router_a, csv_file(rows), "UPDATE"))
    assert [(n, f) for n, f, _m in errors] == [(3, "cardNumber"), (4, "cardNumber"),
                                               (5, "cardNumber")]
    assert "No card" in errors[0][2] and "required" in errors[1][2]
    assert "PIC" in errors[2][2]  # B's number cannot be one of A's cards
    assert RouterCard.objects.get(escn=card_a).status == "ACTIVE"


def test_a_delete_file_needs_the_number_only(router_a, router_b, est_a, est_b, alice, card_a):
    data = csv_file([{"cardNumber": card_a}, {"cardNumber": new_escn(est_a)}],
                    columns=["cardNumber"])
    errors = errors_of(check(router_a, data, "DELETE"))
    assert [(n, f) for n, f, _m in errors] == [(3, "cardNumber")]
    assert RouterCard.objects.filter(escn=card_a).exists()
    assert [(n, f) for n, f, _m in errors_of(check(router_b, data, "DELETE"))] == [
        (2, "cardNumber"), (3, "cardNumber")]


def test_a_cards_of_another_organisation_cannot_be_deleted_from_a_file(router_b, card_a):
    data = csv_file([{"cardNumber": card_a}], columns=["cardNumber"])
    [(number, field, message)] = errors_of(check(router_b, data, "DELETE"))
    assert (number, field) == (2, "cardNumber") and "PIC" in message


@pytest.mark.parametrize(("columns", "field", "words"), [
    (COLUMNS[1:], "cardNumber", "needed for UPDATE"),
    ([*COLUMNS, "cardUid"], "cardUid", "Unknown column"),
    ([*COLUMNS, "cardType"], "cardType", "twice"),
])
def test_header_faults_are_reported_on_row_1(router_a, est_a, alice, columns, field, words):
    data = csv_file([row(est_a.pic, alice, new_escn(est_a))], columns=columns)
    errors = errors_of(check(router_a, data, "UPDATE"))
    assert (1, field) in [(n, f) for n, f, _m in errors]
    assert any(words in message for n, f, message in errors if f == field)


def test_an_empty_file_says_so(router_a):
    [(number, field, message)] = errors_of(check(router_a, b"", "DELETE"))
    assert (number, field) == (1, None) and "empty" in message


def test_a_row_of_the_wrong_width_is_reported(router_a, est_a, alice):
    data = csv_file([row(est_a.pic, alice, new_escn(est_a))]) + b"a,b,c\n"
    [(number, field, message)] = errors_of(check(router_a, data))
    assert (number, field) == (3, None) and "3 values" in message


def test_semicolons_a_byte_order_mark_and_blank_lines_are_fine(router_a, est_a, alice):
    data = csv_file([row(est_a.pic, alice, new_escn(est_a))], delimiter=";")
    assert errors_of(check(router_a, b"\xef\xbb\xbf" + data + b"\n\n")) == []


def test_a_quoted_value_over_two_lines_keeps_row_numbers_right(router_a, est_a, alice):
    good = row(est_a.pic, alice, new_escn(est_a), displayName='"Alice\nMartin"')
    bad = row(est_a.pic, alice, "nope")
    errors = errors_of(check(router_a, csv_file([good, bad])))
    assert [(n, f) for n, f, _m in errors] == [(4, "cardNumber")]


@pytest.mark.parametrize(("data", "words"), [
    ("cardNumber\nélève\n".encode("latin-1"), "UTF-8"),
    (b"cardNumber\n\"unclosed\n", "well-formed"),
    (b"cardNumber\x00\n", "binary"),
])
def test_an_unreadable_file_is_a_bad_request(router_a, data, words):
    assert words in assert_error(check(router_a, data, "DELETE"), 400, "ER-0400")


def test_a_file_and_an_operation_are_needed(router_a):
    assert_error(check(router_a, b"cardNumber\n", "MERGE"), 400)
    assert_error(router_a.upload("/cards/validate-csv", b"cardNumber\n", "?operation=DELETE",
                                 field="csv"), 400)


def test_a_large_file_is_checked_in_a_few_queries(router_a, est_a, alice,
                                                  django_assert_max_num_queries):
    rows = [row(est_a.pic, alice, new_escn(est_a)) for _ in range(300)]
    with django_assert_max_num_queries(6):  # the key, and the persons and cards preloaded
        assert errors_of(check(router_a, csv_file(rows))) == []


def test_the_bulk_endpoints_need_a_key(anonymous):
    assert_error(anonymous.get("/cards/csv-config"), 401)
    assert_error(check(anonymous, b"cardNumber\n", "DELETE"), 401)


def test_dates_in_rows_are_iso(router_a, est_a, alice):
    data = csv_file([row(est_a.pic, alice, "", expiresAt=days(10).strftime("%d/%m/%Y"))])
    assert [f for _n, f, _m in errors_of(check(router_a, data))] == ["expiresAt"]


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE"])
def test_a_row_expiring_before_it_is_issued_is_an_error(router_a, est_a, alice, card_a,
                                                        operation):
    number = card_a if operation == "UPDATE" else ""
    rows = [row(est_a.pic, alice, number),
            row(est_a.pic, alice, number if operation == "CREATE" else card_a,
                issuedAt=days(5).isoformat(), expiresAt=days(4).isoformat())]
    errors = errors_of(check(router_a, csv_file(rows), operation))
    assert [(n, f) for n, f, _m in errors] == [(3, "expiresAt")]
    assert "before the issue date" in errors[0][2]
