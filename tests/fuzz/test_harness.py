"""The harness itself: it fails on what it must catch, and excuses only what it is told."""

import pytest
import schemathesis

from tests.contract.gaps import (
    json_error_reason,
    lenient_input_reason,
    undocumented_status_reason,
)
from tests.fuzz.conftest import fuzz_config
from tests.fuzz.harness import (
    CONFORMANCE,
    call_and_check,
    fuzz_every_operation,
    pick,
)

pytestmark = pytest.mark.fuzz


def test_the_gaps_name_their_reason_and_nothing_else():
    assert "generate-escn" in undocumented_status_reason("getEscnList", 401)
    assert undocumented_status_reason("getEscnList", 200) is None
    assert undocumented_status_reason("findByExternalId_1", 400) is None
    assert json_error_reason("getQRCode", 404) and json_error_reason("getQRCode", 200) is None
    assert lenient_input_reason("findAll_1") and lenient_input_reason("create_1") is None


def _schema_declaring(world, responses):
    """Our /api document with its person operation declaring only `responses`."""
    live = schemathesis.openapi.from_url(f"{world.base_url}/api/openapi.json",
                                         config=fuzz_config())
    document = live.raw_schema
    document["paths"] = {"/api/people/{eppn}": document["paths"]["/api/people/{eppn}"]}
    operation = document["paths"]["/api/people/{eppn}"]["get"]
    operation["responses"] = {status: operation["responses"][status] for status in responses}
    schema = schemathesis.openapi.from_dict(document, config=fuzz_config())
    schema.config.update(base_url=world.base_url)
    return schema


def _exercise(world):
    def exercise(case, data):
        token = pick(data, [world.api_tokens[0], None], "token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        call_and_check(case, world, headers, checks=CONFORMANCE)
    return exercise


def test_an_undocumented_status_fails_the_run(world):
    schema = _schema_declaring(world, ["200", "404"])  # no 401, which it answers
    failures = fuzz_every_operation(schema, _exercise(world), max_examples=10, coverage=False)
    assert failures and all("Undocumented status code" in f for f in failures)
    assert "401" in failures[0]
