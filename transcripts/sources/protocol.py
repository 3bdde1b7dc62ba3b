"""The contract between Ruby and a transcript source module (transcripts/sources/<source>.py).

Every source module has `parse(record) -> NormalizedTranscript`, `split(document)` and `sample(s)`. A module that
talks to its vendor also declares how its transcripts arrive and what credentials it needs, and implements the
functions of its mode. Vendor clients raise only the `SourceError` kinds below: they carry what happened (status,
the vendor's own message, how long to wait) and no sentence for the user; the service and the page word them.

Modes
- PUSH: the vendor calls /webhooks/transcripts/<source>/<token>/. The module implements
  `verify(*, headers, body, credentials, now) -> None` (raise SignatureError; headers is a case-insensitive mapping),
  `handshake(*, payload, credentials) -> dict | None` (a challenge answered with 200 JSON instead of a delivery, e.g.
  Zoom's endpoint.url_validation; None for an ordinary delivery), `check(*, payload) -> bool` (cheap shape check in
  the request, no vendor call: raise AdapterError when the JSON is not this vendor's shape (answered 400); return
  False for a genuine vendor event Ruby does not act on (answered 200 "ignored", nothing stored)),
  `delivery_key(*, headers, payload) -> str` (the
  vendor's id of this delivery, for dedupe; "" when it has none), and `fetch(*, payload, credentials) -> list[dict]`
  (run by the worker: download what the webhook only points at and return records for `parse`; may return the
  payload itself when the webhook carries everything).
- PULL: Ruby asks the vendor on a schedule and on "Fetch now". The module implements
  `pull(*, credentials, since, cursor) -> PullPage` (one page of finished meetings created after `since`, continuing
  from `cursor`; records are ready for `parse`). `since` is a timezone-aware UTC datetime (14 days back on the first
  run, then the newest `PullPage.newest` seen); `cursor` is "" for a first page, else the previous page's cursor.
  The platform (services/pulls.py) saves the cursor after every page, runs every `pull_interval_minutes` and on
  "Fetch now", ingests and matches the records (a record without text is refused with the reason), and turns a
  SourceError into state (auth -> "needs attention") or the card's last error (anything else; tried next run).
- CALENDAR: found from a synced calendar event (Teams: the online meeting of the event's join URL).
Every vendor module with credentials implements `test_connection(*, credentials) -> str` (one call to the vendor;
returns a short factual summary such as the account name; raises SourceError).

Declarations every vendor module has: `MODE` (a Mode), `CREDENTIAL_FIELDS` (a tuple of CredentialField, in the
order the card shows them; () for none), optionally `HELP` (one sentence for the card: where to set it up) and
`CARD_TEMPLATE` (a template included in the source's card, with `card` in its context, e.g. a per-user consent
button).
Vendor HTTP goes through transcripts/sources/http.py only (hosts, TLS, timeouts, Retry-After, error kinds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    PUSH = "push"
    PULL = "pull"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class CredentialField:
    name: str  # key in the stored credentials dict
    label: str  # the vendor's own words for it, as shown in the vendor's UI
    help: str = ""  # where to find it in the vendor's UI, and its constraints
    secret: bool = True  # never shown again once saved
    min_length: int = 0
    max_length: int = 512
    required: bool = True  # an optional field may stay empty (e.g. Fathom's API key, used only by Test connection)


@dataclass(frozen=True)
class PullPage:
    records: list[dict]
    cursor: str = ""  # "" when this was the last page
    # The newest creation time seen, so the next run can ask from there (ISO 8601, UTC); "" when none.
    newest: str = ""


@dataclass
class SourceError(Exception):
    """A vendor call failed. `permanent` errors (401/403, a deleted resource) put the source in "needs attention";
    transient ones (timeouts, 5xx, 429) are retried with backoff."""

    kind: str  # "auth" | "unavailable" | "throttled" | "protocol" | "not_found" | "unsupported" | "refused" (host)
    status: int | None = None  # the HTTP status, when there was one
    vendor_message: str = ""  # the vendor's own words, trimmed; never a secret
    retry_after: float | None = None  # seconds the vendor asked us to wait
    permanent: bool = field(default=False)

    def __str__(self) -> str:
        status = f" {self.status}" if self.status else ""
        return f"{self.kind}{status}: {self.vendor_message}".strip()


def auth_error(status: int | None, message: str = "") -> SourceError:
    return SourceError("auth", status, message[:300], permanent=True)


def unavailable(status: int | None = None, message: str = "", retry_after: float | None = None) -> SourceError:
    return SourceError("unavailable" if status != 429 else "throttled", status, message[:300], retry_after)


def protocol_error(message: str, status: int | None = None) -> SourceError:
    return SourceError("protocol", status, message[:300], permanent=True)


class SignatureError(Exception):
    """A push delivery's signature is missing, wrong or stale: the webhook answers 401 and stores nothing.
    Its message is the plain-words reason sent back to the vendor (never a secret)."""
