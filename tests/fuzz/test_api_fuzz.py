"""Schemathesis against our own /api, from its own live /api/openapi.json: no 5xx, and every
answer (status, content type, headers, body) as the document declares it."""

import pytest

from tests.fuzz.harness import (
    CONFORMANCE,
    call_and_check,
    fuzz_every_operation,
    pick,
    use_known_values,
)

pytestmark = pytest.mark.fuzz


def test_api_answers_as_documented(api_schema, world):
    def exercise(case, data):
        use_known_values(case, data, world.known,
                         {"eppn": "eppn", "card_id": "card_id", "escn": "escn"})
        token = pick(data, [*world.api_tokens, world.api_tokens[0], None], "token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        call_and_check(case, world, headers, checks=CONFORMANCE)

    failures = fuzz_every_operation(api_schema, exercise)
    assert not failures, "\n\n".join(failures)
