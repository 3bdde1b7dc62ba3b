"""The one request loop of the pull vendors (Gong, Granola) — a stop-gap until the shared vendor helper
(transcripts/sources/http.py) lands; the two functions below are what it must keep doing.

- Only the configured vendor base is ever called: a URL (or a cursor that is a URL) on another host, scheme
  or port is refused before any request, so a credential never leaves for a host we did not choose.
- Every call has a timeout (settings.VENDOR_HTTP_TIMEOUT); TLS is verified (requests honours REQUESTS_CA_BUNDLE).
- 429: wait what Retry-After says (seconds or an HTTP date) and try again, within a small budget; beyond it,
  raise `throttled` with retry_after so the worker waits instead.
- 401/403 -> protocol.auth_error (permanent) with the vendor's own words; 5xx, timeouts and connection
  failures -> protocol.unavailable (transient); any other 4xx or a body that is not JSON -> protocol_error.
No user-facing sentences here: the SourceError carries status and the vendor's message.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings

from transcripts.sources.protocol import SourceError, auth_error, protocol_error, unavailable

MAX_ATTEMPTS = 3
MAX_WAIT_SECONDS = 30  # a longer Retry-After is handed to the worker as `throttled`

# Tests swap the sleeper so a Retry-After costs no wall time.
sleep: Callable[[float], None] = time.sleep


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else None)


def is_on_base(url: str, base_url: str) -> bool:
    """The URL is under the configured vendor base (https, same host and port)."""
    try:
        scheme, host, port = _origin(url)
        base = _origin(base_url)
    except ValueError:  # an unparsable port
        return False
    return scheme == "https" and (scheme, host, port) == base


def check_cursor(cursor: str, base_url: str) -> str:
    """Vendors' cursors are opaque tokens; one that is a link must point at the vendor itself."""
    cursor = cursor or ""
    if "://" in cursor and not is_on_base(cursor, base_url):
        raise protocol_error("the vendor sent a next-page link to another host; refused")
    return cursor


def retry_after_seconds(response: requests.Response) -> float | None:
    raw = (response.headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def vendor_message(response: requests.Response) -> str:
    """The vendor's own words from an error body: Gong {errors: [...]}, {message}, {error} or plain text."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:300]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e) for e in errors)[:300]
        for key in ("message", "error_description", "error", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key][:300]
    return (response.reason or "").strip()[:300]


def request_json(
    method: str,
    url: str,
    *,
    base_url: str,
    headers: dict,
    params: dict | None = None,
    json: dict | None = None,
    session: requests.Session | None = None,
    not_found_ok: bool = False,
) -> dict | None:
    """One vendor call, returning its JSON object (None for a 404 when `not_found_ok`). Raises SourceError."""
    if not is_on_base(url, base_url):
        raise protocol_error("refused to call a host other than the configured vendor host")
    session = session or requests.Session()
    headers = {"Accept": "application/json", **headers}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = session.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json,
                timeout=settings.VENDOR_HTTP_TIMEOUT,
                allow_redirects=False,  # a redirect could lead the credential to another host
            )
        except requests.Timeout:
            raise unavailable(None, "the vendor did not answer in time") from None
        except requests.RequestException:
            raise unavailable(None, "the vendor could not be reached") from None
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response)
            if attempt < MAX_ATTEMPTS and wait is not None and wait <= MAX_WAIT_SECONDS:
                sleep(wait)
                continue
            raise unavailable(429, vendor_message(response), retry_after=wait)
        if status in (401, 403):
            raise auth_error(status, vendor_message(response))
        if status == 404 and not_found_ok:
            return None
        if status >= 500:
            raise unavailable(status, vendor_message(response), retry_after=retry_after_seconds(response))
        if status >= 300:
            raise protocol_error(vendor_message(response) or f"HTTP {status}", status)
        try:
            data = response.json()
        except ValueError:
            raise protocol_error("the vendor sent a response that is not JSON", status) from None
        if not isinstance(data, dict):
            raise protocol_error("the vendor sent an unexpected response shape", status)
        return data
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["SourceError", "check_cursor", "is_on_base", "request_json", "retry_after_seconds"]
