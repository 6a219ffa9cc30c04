"""How CampusCard signs what it POSTs, and how a receiver checks it.

    X-CampusCard-Timestamp: <unix seconds when the request was sent>
    X-CampusCard-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>

The timestamp is signed with the body, so a request replayed later than the receiver's window
(300 s) is refused even though its signature is good; within the window, the Idempotency-Key
(the same on every retry of one event) lets the receiver apply it once. The header may carry
several comma-separated `v1=` values; one matching is enough.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-CampusCard-Timestamp"
SIGNATURE_HEADER = "X-CampusCard-Signature"
WINDOW_SECONDS = 300
SCHEME = "v1"


def sign(secret, timestamp, body):
    """The hex HMAC-SHA256 of `<timestamp>.<body>` (body as sent, in bytes)."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret, body, now=None):
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: f"{SCHEME}={sign(secret, timestamp, body)}"}


def verify(secret, headers, body, now=None, window=WINDOW_SECONDS):
    """True when `headers` (any mapping; names compared without case) sign `body` with
    `secret` and their timestamp is within `window` seconds of `now`."""
    timestamp, signature = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        return False
    expected = sign(secret, int(timestamp), body)
    offered = [part.strip()[len(SCHEME) + 1:] for part in signature.split(",")
               if part.strip().startswith(f"{SCHEME}=")]
    return any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in offered)


def _header(headers, name):
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value
