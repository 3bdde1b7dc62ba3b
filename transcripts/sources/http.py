"""The one HTTP helper every transcript-source module uses to call its vendor (design.md §7.13).

    request_json(method, url, *, allowed_base, headers=None, params=None, json=None, data=None, auth=None,
                 timeout=settings.VENDOR_HTTP_TIMEOUT, subdomains=False) -> dict
    request_bytes(...same...) -> tuple[bytes, str]          # (body, content type)
    check_url(url, *, allowed_base, subdomains=False) -> str  # raises before any call
    check_cursor(cursor, *, allowed_base) -> str             # an opaque cursor, or a link on an allowed host

`allowed_base` is a base URL from settings (ZOOM_API_URL, FIREFLIES_API_URL, …) or a tuple of them: the URL must be
https on the same host and port (with `subdomains=True`, a subdomain of it) and under its path, else
SourceError(kind="refused") is raised and nothing is sent. Redirects are followed only inside the allowed bases.
TLS is always verified (REQUESTS_CA_BUNDLE honoured); every call has a (connect, read) timeout.

No retry and no sleep here: a 429 is raised as "throttled" with `retry_after` and the platform waits (the worker
never sleeps; services/pulls.py and services/deliveries.py schedule the next attempt after it).

Errors, all protocol.SourceError: 401/403 -> "auth" (permanent); 404 -> "not_found" (permanent); 429 -> "throttled"
with `retry_after` from Retry-After (seconds, HTTP date or ISO time); 5xx, timeouts, connection errors ->
"unavailable" (transient); other 4xx and unreadable answers -> "protocol" (permanent). `vendor_message` is the
vendor's own words from the answer (message / error / error_description / errors[0].message), never a secret.

In sandbox mode (settings.TRANSCRIPT_SANDBOX, DEBUG only) the vendor hosts are answered in-process by
transcripts/sources/sandbox/transport.py, so the production code path is the same.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import os
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from transcripts.sources.protocol import SourceError, auth_error, protocol_error, unavailable
from transcripts.sources.sandbox import transport as sandbox_transport

MAX_REDIRECTS = 3
MAX_RETRY_AFTER = 24 * 3600.0
MAX_BYTES = 20 * 1024 * 1024


def refused(url: str) -> SourceError:
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc}" if parts.netloc else repr(url[:80])
    return SourceError("refused", None, f"address on {where} is not an allowed vendor host", permanent=True)


def _bases(allowed_base) -> tuple[str, ...]:
    return (allowed_base,) if isinstance(allowed_base, str) else tuple(allowed_base)


def _allowed(url: str, base: str, subdomains: bool) -> bool:
    u, b = urlsplit(url), urlsplit(base)
    if u.scheme != "https" or b.scheme != "https" or u.username or u.password:
        return False
    host, base_host = (u.hostname or "").lower(), (b.hostname or "").lower()
    same_host = host == base_host or (subdomains and host.endswith("." + base_host))
    return same_host and (u.port or 443) == (b.port or 443) and (u.path or "/").startswith(b.path.rstrip("/") + "/")


def check_url(url: str, *, allowed_base, subdomains: bool = False) -> str:
    if not isinstance(url, str) or not any(_allowed(url, base, subdomains) for base in _bases(allowed_base)):
        raise refused(str(url))
    return url


def check_cursor(cursor: str, *, allowed_base) -> str:
    """Vendors' page cursors are opaque tokens; one that is a link must point at an allowed vendor host."""
    cursor = str(cursor or "")
    if "://" in cursor or cursor.startswith("//"):
        check_url(cursor, allowed_base=allowed_base)
    return cursor


def session() -> requests.Session:
    s = requests.Session()
    if getattr(settings, "TRANSCRIPT_SANDBOX", False):
        sandbox_transport.mount(s)
    return s


def _verify():
    return os.environ.get("REQUESTS_CA_BUNDLE") or True


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        moment = None
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def vendor_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text if "html" not in response.headers.get("Content-Type", "") else ""
        return " ".join(text.split())[:300] or (response.reason or "")
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or errors[0])[:300]
        if isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
            return "; ".join(errors)[:300]  # Gong's ErrorResponse: {"requestId", "errors": ["Access denied"]}
        for key in ("message", "error_description", "error", "reason"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("code")
            if value:
                return str(value)[:300]
    return (response.reason or "")[:300]


def classify(response: requests.Response) -> SourceError | None:
    status = response.status_code
    if status < 400:
        return None
    message = vendor_message(response)
    if status in (401, 403):
        return auth_error(status, message)
    if status == 404:
        return SourceError("not_found", 404, message, permanent=True)
    if status == 429 or status >= 500:
        return unavailable(status, message, retry_after_seconds(response.headers.get("Retry-After")))
    return protocol_error(message or f"the vendor answered {status}", status)


def send(method: str, url: str, *, allowed_base, subdomains: bool = False, timeout=None, **kwargs):
    """One vendor call: host check, TLS, timeout, redirects inside the allowed hosts, errors classified."""
    check_url(url, allowed_base=allowed_base, subdomains=subdomains)
    timeout = timeout or settings.VENDOR_HTTP_TIMEOUT
    with session() as s:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = s.request(method, url, timeout=timeout, verify=_verify(), allow_redirects=False, **kwargs)
            except requests.Timeout:
                raise unavailable(None, "the vendor did not answer in time") from None
            except requests.RequestException as exc:
                raise unavailable(None, f"could not reach the vendor ({type(exc).__name__})") from None
            if len(response.content) > MAX_BYTES:
                raise protocol_error("the answer is larger than 20 MB")
            if response.is_redirect and response.headers.get("Location"):
                url = check_url(
                    urljoin(url, response.headers["Location"]), allowed_base=allowed_base, subdomains=subdomains
                )
                method, kwargs = "GET", {k: v for k, v in kwargs.items() if k in ("headers", "auth")}
                continue
            error = classify(response)
            if error is not None:
                raise error
            return response
    raise protocol_error("too many redirects")


def request_json(method: str, url: str, *, allowed_base, **kwargs) -> dict:
    response = send(method, url, allowed_base=allowed_base, **kwargs)
    try:
        body = jsonlib.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise protocol_error("the answer is not JSON", response.status_code) from None
    if not isinstance(body, dict):
        raise protocol_error("the answer is not a JSON object", response.status_code)
    return body


def request_bytes(method: str, url: str, *, allowed_base, **kwargs) -> tuple[bytes, str]:
    response = send(method, url, allowed_base=allowed_base, **kwargs)
    return response.content, response.headers.get("Content-Type", "")
