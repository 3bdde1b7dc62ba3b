"""The Custom source's X-Ruby-Signature (kept here for the pages and tests that name it; the code is the module's)."""

from __future__ import annotations

from transcripts.sources.custom import (
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    new_secret,
    sign,
    verify_signature,
)
from transcripts.sources.protocol import SignatureError

verify = verify_signature

__all__ = [
    "MAX_SKEW_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "new_secret",
    "sign",
    "verify",
]
