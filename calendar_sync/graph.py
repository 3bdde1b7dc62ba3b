"""Microsoft Graph over HTTP — the only module (with auth.py and the sandbox) that imports requests.

Plain functions, typed results, our own exceptions (design.md §7.3):
- GraphAuthError: permanent for this token (401 after a refresh, 403); the caller refreshes once or gives up.
- GraphTransientError: worth retrying later (timeouts, 5xx, throttling after our bounded retries).
- GraphError: anything else that is wrong (4xx, malformed JSON); not retried.
Every call has a timeout. Throttling (429/503/504) honours Retry-After, bounded.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 503, 504}
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER_SECONDS = 60


class GraphError(Exception):
    """A Graph call failed in a way retrying will not fix. The message is safe to show and log."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "", requests_made: int = 0):
        super().__init__(message)
        self.status = status
        self.code = code
        # HTTP requests spent before giving up, so a SyncRun counts failed attempts too.
        self.requests_made = requests_made


class GraphAuthError(GraphError):
    """The access token was refused (401/403)."""


class GraphTransientError(GraphError):
    """Timeout, connection failure, 5xx or throttling that outlasted our retries."""


# Tests and the benchmark swap the sleeper so backoff costs no wall time.
sleep: Callable[[float], None] = time.sleep


def http_session() -> requests.Session:
    """A requests session for identity and Graph calls. In sandbox mode the Microsoft hosts are
    served in-process by a transport adapter, so the production code path is the same."""
    session = requests.Session()
    if settings.MICROSOFT_SANDBOX:
        from calendar_sync.sandbox.transport import mount_sandbox

        mount_sandbox(session)
    return session


def graph_url(path: str) -> str:
    return f"{settings.MICROSOFT_GRAPH_URL}{path}"


def _origin_and_path(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else None)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port, parts.path


def _is_on_graph_host(url: str) -> bool:
    """A link under the configured Graph base. Host names are case-insensitive and ":443" is the
    https default, so a Graph (or a stand-in) that spells its own address that way is still itself."""
    try:
        scheme, host, port, path = _origin_and_path(url)
        base_scheme, base_host, base_port, base_path = _origin_and_path(settings.MICROSOFT_GRAPH_URL)
    except ValueError:  # an unparsable port
        return False
    return (scheme, host, port) == (base_scheme, base_host, base_port) and path.startswith(base_path + "/")


def _retry_after_seconds(response: requests.Response, attempt: int) -> float:
    raw = response.headers.get("Retry-After", "").strip()
    if raw:
        if raw.isdigit():
            return min(float(raw), MAX_RETRY_AFTER_SECONDS)
        try:
            when = email.utils.parsedate_to_datetime(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, min((when - datetime.now(UTC)).total_seconds(), MAX_RETRY_AFTER_SECONDS))
        except (TypeError, ValueError):
            pass
    # No usable Retry-After: exponential backoff with jitter (1s, 2s, 4s … ± 50%).
    return min(2 ** (attempt - 1), MAX_RETRY_AFTER_SECONDS) * random.uniform(0.5, 1.5)


def _error_from(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
        error = body.get("error", {}) if isinstance(body, dict) else {}
        return str(error.get("code", "")), str(error.get("message", ""))[:300]
    except ValueError:
        return "", ""


@dataclass
class GraphResponse:
    status: int
    data: dict
    requests_made: int  # including retries, for the SyncRun's request count


def _get(
    url: str,
    *,
    access_token: str,
    params: dict | None,
    headers: dict | None,
    session: requests.Session | None,
    accept: str,
) -> tuple[requests.Response, int]:
    """The one GET loop: a successful response and the requests it took, retrying throttling and transient
    5xx a bounded number of times. Raises GraphAuthError / GraphTransientError / GraphError."""
    session = session or http_session()
    all_headers = {"Authorization": f"Bearer {access_token}", "Accept": accept, **(headers or {})}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = session.get(url, params=params, headers=all_headers, timeout=settings.MICROSOFT_HTTP_TIMEOUT)
        except requests.Timeout as exc:
            if attempt == MAX_ATTEMPTS:
                raise GraphTransientError("Microsoft Graph did not answer in time.", requests_made=attempt) from exc
            sleep(_retry_after_seconds(requests.Response(), attempt))
            continue
        except requests.RequestException as exc:
            if attempt == MAX_ATTEMPTS:
                raise GraphTransientError("Microsoft Graph could not be reached.", requests_made=attempt) from exc
            sleep(_retry_after_seconds(requests.Response(), attempt))
            continue
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            if attempt == MAX_ATTEMPTS:
                code, _ = _error_from(response)
                raise GraphTransientError(
                    f"Microsoft Graph is busy or unavailable (HTTP {response.status_code}); try again later.",
                    status=response.status_code,
                    code=code,
                    requests_made=attempt,
                )
            delay = _retry_after_seconds(response, attempt)
            log.info("graph throttled status=%s attempt=%s wait=%.1fs", response.status_code, attempt, delay)
            sleep(delay)
            continue
        if response.status_code in (401, 403):
            code, message = _error_from(response)
            raise GraphAuthError(
                f"Microsoft Graph refused the access token (HTTP {response.status_code} {code}).",
                status=response.status_code,
                code=code,
                requests_made=attempt,
            )
        if response.status_code >= 400:
            code, message = _error_from(response)
            raise GraphError(
                f"Microsoft Graph answered HTTP {response.status_code} {code}: {message}".strip(),
                status=response.status_code,
                code=code,
                requests_made=attempt,
            )
        return response, attempt
    raise AssertionError("unreachable")  # pragma: no cover


def get_json(
    url: str,
    *,
    access_token: str,
    params: dict | None = None,
    headers: dict | None = None,
    session: requests.Session | None = None,
) -> GraphResponse:
    """GET a Graph URL and return its JSON object. Raises GraphAuthError / GraphTransientError / GraphError."""
    response, attempt = _get(
        url, access_token=access_token, params=params, headers=headers, session=session, accept="application/json"
    )
    try:
        data = response.json()
    except ValueError as exc:
        raise GraphError(
            "Microsoft Graph sent a response that is not JSON.", status=response.status_code, requests_made=attempt
        ) from exc
    if not isinstance(data, dict):
        raise GraphError(
            "Microsoft Graph sent an unexpected response shape.", status=response.status_code, requests_made=attempt
        )
    return GraphResponse(status=response.status_code, data=data, requests_made=attempt)


MAX_TEXT_BYTES = 5 * 1024 * 1024


def get_text(
    url: str, *, access_token: str, accept: str, params: dict | None = None, session: requests.Session | None = None
) -> str:
    """GET a Graph URL whose answer is text (a Teams transcript's text/vtt content), capped at MAX_TEXT_BYTES.
    Only URLs under MICROSOFT_GRAPH_URL. Raises GraphAuthError / GraphTransientError / GraphError."""
    if not _is_on_graph_host(url):
        raise GraphError("Refused to call an address outside Microsoft Graph.")
    response, attempt = _get(
        url, access_token=access_token, params=params, headers=None, session=session, accept=accept
    )
    if len(response.content) > MAX_TEXT_BYTES:
        raise GraphError("Microsoft Graph sent more text than Ruby keeps.", requests_made=attempt)
    if "charset=" not in response.headers.get("Content-Type", "").lower():
        # WebVTT is UTF-8 by definition; requests would guess ISO-8859-1 for a text/* type without a charset.
        return response.content.decode("utf-8", errors="replace")
    return response.text


# --- identity (connect) -------------------------------------------------------------------

ME_FIELDS = "id,displayName,mail,userPrincipalName"


def get_me(access_token: str, *, session: requests.Session | None = None) -> dict:
    """The signed-in Microsoft user: id, displayName, mail (often empty on personal accounts) and
    userPrincipalName. Raises GraphAuthError / GraphTransientError / GraphError."""
    params = {"$select": ME_FIELDS}
    data = get_json(graph_url("/v1.0/me"), access_token=access_token, params=params, session=session).data
    return {key: data.get(key) or "" for key in ("id", "displayName", "mail", "userPrincipalName")}


# --- calendarView (sync) ------------------------------------------------------------------

# Only what normalize.py stores: never `body` (product doc §8.3: a short preview only).
CALENDAR_VIEW_SELECT = (
    "id",
    "iCalUId",
    "seriesMasterId",
    "type",
    "subject",
    "start",
    "end",
    "originalStartTimeZone",
    "isAllDay",
    "location",
    "bodyPreview",
    "organizer",
    "attendees",
    "isOnlineMeeting",
    "onlineMeeting",
    "onlineMeetingProvider",
    "sensitivity",
    "showAs",
    "isCancelled",
    "webLink",
)
# Graph's default page is 10 events; ask for its maximum so a week is one or a few requests.
CALENDAR_PAGE_SIZE = 1000
# A runaway nextLink chain (a Graph bug or a hostile proxy) must end. No real week comes near these.
MAX_CALENDAR_EVENTS = 50_000
MAX_CALENDAR_PAGES = 5_000


@dataclass
class CalendarViewPage:
    events: list[dict]
    requests_made: int  # HTTP requests for this page, including retries and a 401 refresh


def _graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_calendar_view(
    *,
    access_token: str,
    start: datetime,
    end: datetime,
    page_size: int = CALENDAR_PAGE_SIZE,
    session: requests.Session | None = None,
    refresh_token: Callable[[], str] | None = None,
):
    """Yield the default calendar's events in [start, end) page by page (recurring series expanded
    into occurrences by Graph), in UTC, following every @odata.nextLink.

    refresh_token: called once on the first 401 to get a fresh access token; the same page is then
    retried once. A second 401 (or a 403) raises GraphAuthError. A nextLink that repeats an earlier
    one, or points away from the Graph host, raises GraphError (it would loop or leak the token).
    """
    session = session or http_session()
    headers = {"Prefer": f'outlook.timezone="UTC", odata.maxpagesize={page_size}'}
    url: str = graph_url("/v1.0/me/calendarView")
    params: dict | None = {
        "startDateTime": _graph_time(start),
        "endDateTime": _graph_time(end),
        "$select": ",".join(CALENDAR_VIEW_SELECT),
        "$top": str(page_size),
    }
    seen: set[str] = set()
    refreshed = False
    pages = events = 0
    while True:
        spent = 0
        while True:
            try:
                response = get_json(url, access_token=access_token, params=params, headers=headers, session=session)
            except GraphAuthError as exc:
                spent += exc.requests_made
                if exc.status == 401 and refresh_token is not None and not refreshed:
                    refreshed = True
                    log.info("graph calendarView 401; refreshing the access token once")
                    access_token = refresh_token()
                    continue
                exc.requests_made = spent
                raise
            except GraphError as exc:
                exc.requests_made += spent
                raise
            spent += response.requests_made
            break
        value = response.data.get("value")
        if not isinstance(value, list):
            raise GraphError("Microsoft Graph sent a calendar page without a list of events.", requests_made=spent)
        pages += 1
        events += len(value)
        yield CalendarViewPage(events=value, requests_made=spent)
        next_link = response.data.get("@odata.nextLink")
        if not next_link:
            return
        if not isinstance(next_link, str) or not _is_on_graph_host(next_link):
            raise GraphError("Microsoft Graph sent a next-page link to an unexpected address; the sync stopped.")
        if next_link in seen:
            raise GraphError("Microsoft Graph repeated a next-page link; the sync stopped to avoid a loop.")
        if pages >= MAX_CALENDAR_PAGES or events >= MAX_CALENDAR_EVENTS:
            raise GraphError("Microsoft Graph sent far more events than a week can hold; the sync stopped.")
        seen.add(next_link)
        # The nextLink already carries every query parameter (and Graph's own paging token).
        url, params = next_link, None


# --- subscriptions (disconnect / push) ----------------------------------------------------


def delete_subscription(*, access_token: str, subscription_id: str, session: requests.Session | None = None) -> None:
    """DELETE a change-notification subscription. 404 counts as done: Graph already expired or removed
    it, which is the state we want. Raises GraphAuthError / GraphTransientError / GraphError."""
    session = session or http_session()
    url = graph_url(f"/v1.0/subscriptions/{requests.utils.quote(subscription_id, safe='')}")
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    # Called from a user's request (Disconnect) and support actions: two attempts, short waits.
    attempts = 2
    for attempt in range(1, attempts + 1):
        try:
            response = session.delete(url, headers=headers, timeout=settings.MICROSOFT_HTTP_TIMEOUT)
        except requests.RequestException as exc:
            if attempt == attempts:
                raise GraphTransientError("Microsoft Graph could not be reached to remove the subscription.") from exc
            sleep(min(_retry_after_seconds(requests.Response(), attempt), 5))
            continue
        if response.status_code in (200, 202, 204, 404):
            return
        code, message = _error_from(response)
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            if attempt == attempts:
                raise GraphTransientError(
                    f"Microsoft Graph is busy or unavailable (HTTP {response.status_code}); the subscription "
                    "was not removed and will expire on its own.",
                    status=response.status_code,
                    code=code,
                )
            sleep(min(_retry_after_seconds(response, attempt), 5))
            continue
        if response.status_code in (401, 403):
            raise GraphAuthError(
                f"Microsoft Graph refused the access token (HTTP {response.status_code} {code}).",
                status=response.status_code,
                code=code,
            )
        raise GraphError(
            f"Microsoft Graph answered HTTP {response.status_code} {code}: {message}".strip(),
            status=response.status_code,
            code=code,
        )
