"""HMAC-SHA256 signatures on webhook deliveries (pure Python; the view and the sources page use it).

A sender signs the raw body with the source's secret:

    X-Ruby-Signature: sha256=<hex of HMAC-SHA256(secret, body)>

or, to be protected against replay, also sends the Unix time and signs "<timestamp>.<body>":

    X-Ruby-Timestamp: 1763770000
    X-Ruby-Signature: sha256=<hex of HMAC-SHA256(secret, "1763770000." + body)>

A timestamp more than five minutes away from our clock is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from transcripts.sources.protocol import SignatureError

__all__ = ["SignatureError", "new_secret", "sign", "verify"]

SIGNATURE_HEADER = "X-Ruby-Signature"
TIMESTAMP_HEADER = "X-Ruby-Timestamp"
MAX_SKEW_SECONDS = 5 * 60


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _signed_bytes(body: bytes, timestamp: str | None) -> bytes:
    return f"{timestamp}.".encode() + body if timestamp is not None else body


def sign(body: bytes, secret: str, timestamp: str | int | None = None) -> str:
    """The header value a sender puts in X-Ruby-Signature."""
    stamp = None if timestamp is None else str(timestamp)
    digest = hmac.new(secret.encode(), _signed_bytes(body, stamp), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(*, body: bytes, signature: str | None, timestamp: str | None, secrets_: list[str], now: float | None = None):
    """Raise SignatureError unless one of ``secrets_`` signed ``body`` (and the timestamp is fresh)."""
    usable = [s for s in secrets_ if s]
    if not usable:
        # Fail closed: a source without a secret must not accept anything.
        raise SignatureError("This source has no signing secret yet; a workspace admin must generate one.")
    if not signature:
        raise SignatureError(f"The {SIGNATURE_HEADER} header is missing.")
    if timestamp is not None:
        timestamp = timestamp.strip()
        # isdigit() alone takes "²", which int() refuses: ASCII digits only.
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise SignatureError(f"The {TIMESTAMP_HEADER} header must be a Unix time in seconds.")
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > MAX_SKEW_SECONDS:
            raise SignatureError(f"The {TIMESTAMP_HEADER} is more than 5 minutes away from our clock.")
    given = signature.strip()
    given = given.split("=", 1)[1] if given.lower().startswith("sha256=") else given
    matched = False
    for secret in usable:
        expected = sign(body, secret, timestamp).split("=", 1)[1]
        # compare_digest on every secret (no early exit), so timing says nothing about which one matched.
        matched |= hmac.compare_digest(expected.encode(), given.lower().encode())
    if not matched:
        raise SignatureError("The signature does not match the body.")
