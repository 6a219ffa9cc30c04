"""The known gaps between the router's published document (esc-router-v2.json) and our router
service, each with its reason: the one list that the contract checker and the fuzz harness
(tests/fuzz) read. The document is copied verbatim and never edited; a gap is closed here
when the router publishes a document that covers it."""

# Operations our router serves that the stored capture does not describe (bulk import): the
# checker records them as "outside the document"; the fuzzer cannot generate them.
OUTSIDE_DOCUMENT = {
    ("GET", "/api/v2/cards/csv-config"): "getCsvConfig",
    ("POST", "/api/v2/cards/validate-csv"): "validateCsv",
}

# Statuses our router answers that the document does not list for the operation, by
# operationId. The fuzzer still requires no 5xx for them, but cannot check their schema.
UNDOCUMENTED_STATUSES = {
    "uploadStudentPicture": {
        400: "a file that is not a JPEG or PNG picture, of the wrong size, or a malformed ESI",
        401: "the document lists no key for the picture operations; the router requires one",
    },
    "getStudentPicture": {
        400: "a malformed PIC or ESI is refused",
    },
    "deleteStudentPicture": {
        400: "a malformed PIC or ESI is refused",
        401: "the document lists no key for the picture operations; the router requires one",
        404: "deleting the picture of an unknown person, or a person without a picture",
    },
    "getEscnList": {
        401: "the document lists no key for generate-escn; the router requires one",
        403: "numbers are generated for the key's own PIC only",
    },
    "getQRCode": {
        401: "the document lists no key for the QR code; the router requires one",
        403: "the QR code of a card issued by another organisation",
        404: "the QR code of an unknown card",
    },
    "delete": {
        400: "a malformed ESI is refused before looking for the person",
    },
    "delete_1": {
        400: "a malformed ESCN is refused before looking for the card",
    },
    "status": {
        429: "the public status is rate-limited per address (CAMPUSCARD_VERIFY_RATE_PER_MINUTE)",
    },
}

# Requests naming a person or card that is not the key's organisation's are probes, counted
# per key (CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE): over the rate they answer 429 SE-0429,
# which the document lists nowhere.
PROBE_LIMITED = ("findByExternalId", "update", "delete", "findByExternalId_1", "update_1",
                 "delete_1", "getQRCode", "getStudentPicture", "uploadStudentPicture",
                 "deleteStudentPicture")
for _operation in PROBE_LIMITED:
    UNDOCUMENTED_STATUSES.setdefault(_operation, {})[429] = (
        "probes for another organisation's persons or cards are rate-limited per key")

# Deletions the document answers 204 with a body (a JSON or */* string): a 204 has no body
# (RFC 9110 §15.3.5), so our router sends none, and no Content-Type.
NO_CONTENT_DOCUMENTED_WITH_A_BODY = {
    "delete": "204 documented with a JSON string body",
    "delete_1": "204 documented with a JSON string body",
    "deleteStudentPicture": "204 documented with a */* string body",
}

# Operations whose error answers the document lists with their success media type only
# (octet-stream, SVG, text): our router answers every refusal as a JSON ApiErrorMessage, whose
# schema the document does give. Their content type is not checked for 4xx; the checker
# validates such JSON bodies against that schema.
JSON_ERRORS_UNDER_OTHER_MEDIA_TYPES = {
    "getStudentPicture": "errors documented as application/octet-stream",
    "uploadStudentPicture": "errors documented as application/octet-stream",
    "deleteStudentPicture": "errors documented as application/octet-stream",
    "getQRCode": "errors documented as image/svg+xml or text/plain",
}

# Operations where our router takes, on purpose, inputs that the document's schema would
# refuse: the fuzzer does not require those refused (schemathesis' negative_data_rejection).
LENIENT_INPUTS = {
    "findAll": "paging: an empty page, size or direction is read as absent, a size above 10 "
               "is cut to 10 (as the real router does), a page past the end is an empty page "
               "(pages beyond core.params.MAX_PAGE are refused with 400)",
    "findAll_1": "paging, as for findAll",
    "getQRCode": "a missing Accept header (the document marks it required) gets the SVG",
}

# How a key reaches us. The document declares an `api_key` header scheme, but WSGI servers
# drop header names with an underscore: only `Authorization: Bearer <key>` reaches the router
# (the document also lists `Authorization` as a header parameter of most operations). The
# fuzzer sends its keys as `Authorization: Bearer` on every operation.
KEY_HEADER = "Authorization"


def undocumented_status_reason(operation_id, status):
    """Why `status` is a known gap for `operation_id`, or None."""
    return UNDOCUMENTED_STATUSES.get(operation_id, {}).get(status)


def lenient_input_reason(operation_id):
    """Why invalid inputs of `operation_id` may be accepted, or None."""
    return LENIENT_INPUTS.get(operation_id)


def no_content_reason(operation_id, status):
    """Why an empty 204 without Content-Type is a known gap for `operation_id`, or None."""
    return NO_CONTENT_DOCUMENTED_WITH_A_BODY.get(operation_id) if status == 204 else None


def json_error_reason(operation_id, status):
    """Why a JSON refusal with `status` is a known gap for `operation_id`, or None."""
    return JSON_ERRORS_UNDER_OTHER_MEDIA_TYPES.get(operation_id) if status >= 400 else None
