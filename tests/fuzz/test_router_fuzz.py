"""Schemathesis against our router service under /esc-rest, from the router's published
document (tests/contract/esc-router-v2.json): never a 5xx; and every answer as the document
says (status, content type, body), but for the gaps listed in tests/contract/gaps.py."""

import pytest
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)

from tests.contract.checker import WITHDRAWN
from tests.contract.gaps import (
    KEY_HEADER,
    json_error_reason,
    lenient_input_reason,
    no_content_reason,
    undocumented_status_reason,
)
from tests.fuzz.harness import (
    CONFORMANCE,
    GAPS_SEEN,
    call_and_check,
    fuzz_every_operation,
    pick,
    use_known_values,
)

pytestmark = pytest.mark.fuzz

def operation_id(case):
    return case.operation.definition.raw["operationId"]


def checks_for(case, response):
    """Every conformance check, but where the answer falls in a known gap of the document."""
    status, operation = response.status_code, operation_id(case)
    if reason := undocumented_status_reason(operation, status):
        count_gap(operation, status, reason)
        return [not_a_server_error]
    checks = list(CONFORMANCE)
    if reason := json_error_reason(operation, status):
        count_gap(operation, status, reason)
        checks.remove(content_type_conformance)
    if reason := no_content_reason(operation, status):
        count_gap(operation, status, reason)
        checks.remove(content_type_conformance)
        checks.remove(response_schema_conformance)
    if status < 400 and (reason := lenient_input_reason(operation)):
        checks.remove(negative_data_rejection)
    return checks


def count_gap(operation, status, reason):
    GAPS_SEEN[operation, status, reason] = GAPS_SEEN.get((operation, status, reason), 0) + 1


def test_router_answers_as_its_published_document_says(router_schema, world):
    keys = list(world.router_keys.values())

    def exercise(case, data):
        if operation_id(case) in WITHDRAWN:
            return
        use_known_values(case, data, world.known,
                         {"escn": "router_escn", "esi": "esi", "id": "pic"})
        key = pick(data, [*keys, keys[0], None], "key")
        headers = {KEY_HEADER: f"Bearer {key}"} if key else {}
        call_and_check(case, world, headers, checks=checks_for)

    failures = fuzz_every_operation(router_schema, exercise)
    assert not failures, "\n\n".join(failures)
