"""The refusals of the router service. Each becomes an `ApiErrorMessage {code, message}`.

Codes the router's clients are known to act on: ER-0001 (not found), ER-0002 (card already
exists), ER-0019 (person already exists for this organisation), SE-0000 (access denied).
The others (ER-0400, SE-0401, ER-0405, SE-0429, ER-0500) are ours: the published contract
names no code for those cases.

A refusal raised with `probe=True` answers a caller who named a person or card that is not
its own (unknown, or another organisation's): those are counted per key (router.ratelimit),
so that no key can sweep identifiers to learn which exist.
"""

CARD_EXISTS = "ER-0002"
PERSON_EXISTS = "ER-0019"


class RouterProblem(Exception):
    status = 500
    code = "ER-0500"

    def __init__(self, message, code=None, *, probe=False):
        super().__init__(str(message))
        self.message = str(message)
        self.probe = probe
        if code is not None:
            self.code = code


class BadRequest(RouterProblem):
    status = 400
    code = "ER-0400"


class Unauthenticated(RouterProblem):
    status = 401
    code = "SE-0401"


class AccessDenied(RouterProblem):
    status = 403
    code = "SE-0000"


class NotFound(RouterProblem):
    status = 404
    code = "ER-0001"


class MethodNotAllowed(RouterProblem):
    status = 405
    code = "ER-0405"


class AlreadyExists(RouterProblem):
    status = 409


class TooManyRequests(RouterProblem):
    """Answered with a Retry-After header of `retry_after` seconds."""

    status = 429
    code = "SE-0429"

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after
