"""What the fuzz tests share: reaching seeded objects, calling, and the one place where a
5xx that another branch is fixing is excused until that fix is merged."""

import os

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    load_all_checks,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override

EXAMPLES = int(os.environ.get("CAMPUSCARD_FUZZ_EXAMPLES", "40"))
SEED = os.environ.get("CAMPUSCARD_FUZZ_SEED")  # None: derandomized, the same run every time

SEEN = []  # (operation, request, status, summary of the server traceback) of every 5xx
GAPS_SEEN = {}  # (operationId, status, reason) -> how many answers fell in that contract gap


def pick(data, options, label):
    """One of `options`, drawn by Hypothesis; the first one for a coverage case (no `data`)."""
    return options[0] if data is None else data.draw(st.sampled_from(options), label=label)


def use_known_values(case, data, known, names):
    """Half of the time, replace a generated path parameter by the value of a seeded object,
    so the operations also act on real people and cards (`names`: parameter -> known key).
    Coverage cases (no `data`) keep their boundary values."""
    for parameter, key in names.items():
        if (data is not None and parameter in (case.path_parameters or {}) and known.get(key)
                and data.draw(st.booleans(), label=f"known {parameter}")):
            case.path_parameters[parameter] = data.draw(st.sampled_from(known[key]))


def describe_request(response):
    request = response.request
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    shown = body[:300] + (b"..." if len(body) > 300 else b"")
    return f"{request.method} {request.url} body={shown!r}"


def summarise(server_traceback):
    """The last frames of our code in a server traceback, and its exception line."""
    lines = [line.strip() for line in server_traceback.strip().splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith("File ") and "/campuscard/" in line]
    return [*frames[-3:], lines[-1] if lines else "(no traceback)"]


# What every answer of a document we write ourselves must satisfy.
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance,
               negative_data_rejection]
# The harness sends its own tokens (valid, none or out of scope) instead of the generated ones;
# schemathesis' `ignored_auth` would take a valid token for a generated one it sent.
EXCLUDED_CHECKS = [ignored_auth]


def call_and_check(case, world, headers, checks):
    """Call the live server, then run `checks` (a list, or a function of the case and the
    response that gives it). A 5xx is also recorded with its server traceback, for the report
    at the end of the run."""
    before = len(world.server_errors)
    case.headers = {name: value for name, value in (case.headers or {}).items()
                    if name.lower() != "authorization"} | headers
    response = case.call()
    if response.status_code >= 500:
        errors = world.server_errors[before:]
        server_traceback = "\n".join(text for _where, text in errors) or "(no traceback)"
        SEEN.append((f"{case.method.upper()} {case.operation.path}", describe_request(response),
                     response.status_code, summarise(server_traceback)))
    if callable(checks):
        checks = checks(case, response)
    case.validate_response(response, checks=checks, excluded_checks=EXCLUDED_CHECKS)
    return response


def coverage_cases(schema, operation):
    """Schemathesis' coverage cases for `operation`: boundary and just-invalid values of each
    parameter and body field (a fixed list, the same every run)."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    config = schema.config.generation_for(operation=operation, phase="coverage")
    return list(CoverageGenerator(operation=operation, generation_modes=modes,
                                  generation_config=config, auth_storage=None,
                                  override=Override(), feedback=FeedbackSources()))


def fuzz_every_operation(schema, exercise, max_examples=None, coverage=True):
    """For each operation of `schema`: its coverage cases, then valid and invalid generated
    requests, EXAMPLES of each, derandomized (or from CAMPUSCARD_FUZZ_SEED), without
    shrinking or an example database. `exercise(case, data)` calls and checks one (`data` is
    None for a coverage case). Returns the failures of every operation, the first of each
    phase ("operation (phase): what")."""
    load_all_checks()
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for case in coverage_cases(schema, operation) if coverage else ():
            try:
                exercise(case, None)
            except (Exception, BaseExceptionGroup) as failure:
                failures.append(f"{operation.label} (coverage): {failure}")
                break
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @seed(int(SEED or 0))
            @settings(max_examples=max_examples or EXAMPLES, derandomize=SEED is None,
                      database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], print_blob=False,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            def run(case, data):
                exercise(case, data)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists for this operation (its only parameters are
                # strings in the path, which any text fits): nothing to send in this mode.
                if mode is GenerationMode.POSITIVE:
                    failures.append(f"{operation.label}: no valid request could be generated")
            except (Exception, BaseExceptionGroup) as failure:  # reported with all the others
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    return failures
