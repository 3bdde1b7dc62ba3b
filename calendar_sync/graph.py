"""Microsoft Graph over HTTP — the only module (with auth.py and the sandbox) that imports requests.

Plain functions, typed results, our own exceptions (design.md §7.3), all ProviderError with a `kind`:
- GraphAuthError (permanent): the access token was refused (401 after a refresh, 403).
- GraphTransientError: worth retrying later (timeouts, 5xx, throttling after our bounded retries).
- GraphError: anything else that is wrong (4xx, malformed JSON, a bad next-page link); not retried.
No sentence for people here (design.md §7.12): the services word each kind. One request loop (_send) classifies
status codes, honours Retry-After (bounded), applies the timeout and refuses any URL off the Graph host.
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

from calendar_sync.errors import ProviderError, spend_wait
from calendar_sync.sandbox.transport import mount_sandbox

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 503, 504}
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER_SECONDS = 60
# Removing a subscription happens in a user's request (Disconnect) and support actions: two attempts, short waits.
SUBSCRIPTION_ATTEMPTS = 2
SUBSCRIPTION_MAX_WAIT_SECONDS = 5

# Kinds (GraphError.kind).
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
BUSY = "busy"
REFUSED = "refused"
HTTP_ERROR = "http_error"
NOT_JSON = "not_json"
BAD_SHAPE = "bad_shape"
NO_EVENT_LIST = "no_event_list"
LINK_ELSEWHERE = "next_link_elsewhere"
LINK_REPEATED = "next_link_repeated"
TOO_MANY_EVENTS = "too_many_events"
TOO_LARGE = "too_large"


class GraphError(ProviderError):
    """A Graph call failed in a way retrying now will not fix. `detail` is Graph's own error message, if any."""


class GraphAuthError(GraphError):
    """The access token was refused (401/403): only a new sign-in helps."""

    permanent = True


class GraphTransientError(GraphError):
    """Timeout, connection failure, 5xx or throttling that outlasted our retries."""


# Tests and the benchmark swap the sleeper so backoff costs no wall time.
sleep: Callable[[float], None] = time.sleep


def http_session() -> requests.Session:
    """A requests session for identity and Graph calls. In sandbox mode the Microsoft hosts are
    served in-process by a transport adapter, so the production code path is the same."""
    session = requests.Session()
    if settings.MICROSOFT_SANDBOX:
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


def _send(
    method: str,
    url: str,
    *,
    access_token: str,
    params: dict | None = None,
    headers: dict | None = None,
    json: dict | None = None,
    session: requests.Session | None = None,
    attempts: int = MAX_ATTEMPTS,
    max_wait: float = MAX_RETRY_AFTER_SECONDS,
    done_statuses: frozenset[int] | None = None,
) -> tuple[requests.Response, int]:
    """The one request loop: send, retry throttling, 5xx and network failures up to `attempts` times (waiting
    what Retry-After asks, at most `max_wait`), and map every other failure to a typed error once.

    Returns (response, requests made). A response counts as done when its status is below 400, or in
    `done_statuses` when given. The Authorization header only ever goes to the Graph host."""
    if not _is_on_graph_host(url):
        raise GraphError(LINK_ELSEWHERE)
    session = session or http_session()
    all_headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json", **(headers or {})}
    for attempt in range(1, attempts + 1):
        try:
            response = session.request(
                method, url, params=params, headers=all_headers, json=json, timeout=settings.MICROSOFT_HTTP_TIMEOUT
            )
        except requests.RequestException as exc:
            if attempt == attempts:
                kind = TIMEOUT if isinstance(exc, requests.Timeout) else UNREACHABLE
                raise GraphTransientError(kind, requests_made=attempt) from exc
            delay = min(_retry_after_seconds(requests.Response(), attempt), max_wait)
            spend_wait(delay, requests_made=attempt)
            sleep(delay)
            continue
        status = response.status_code
        if done_statuses is not None and status in done_statuses:
            return response, attempt
        if status in RETRY_STATUSES or status >= 500:
            if attempt == attempts:
                code, _ = _error_from(response)
                raise GraphTransientError(BUSY, status=status, code=code, requests_made=attempt)
            delay = min(_retry_after_seconds(response, attempt), max_wait)
            log.info("graph throttled status=%s attempt=%s wait=%.1fs", status, attempt, delay)
            # Past the run's budget the run ends and is requeued with this wait, not slept in the worker.
            spend_wait(delay, requests_made=attempt)
            sleep(delay)
            continue
        if status in (401, 403):
            code, _ = _error_from(response)
            raise GraphAuthError(REFUSED, status=status, code=code, requests_made=attempt)
        if status >= 400 or done_statuses is not None:
            code, message = _error_from(response)
            raise GraphError(HTTP_ERROR, status=status, code=code, detail=message, requests_made=attempt)
        return response, attempt
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class GraphResponse:
    status: int
    data: dict
    requests_made: int  # including retries, for the SyncRun's request count


def get_json(
    url: str,
    *,
    access_token: str,
    params: dict | None = None,
    headers: dict | None = None,
    session: requests.Session | None = None,
) -> GraphResponse:
    """GET a Graph URL and return its JSON object, retrying throttling and transient 5xx a bounded
    number of times. Raises GraphAuthError / GraphTransientError / GraphError."""
    response, made = _send("GET", url, access_token=access_token, params=params, headers=headers, session=session)
    try:
        data = response.json()
    except ValueError as exc:
        raise GraphError(NOT_JSON, status=response.status_code, requests_made=made) from exc
    if not isinstance(data, dict):
        raise GraphError(BAD_SHAPE, status=response.status_code, requests_made=made)
    return GraphResponse(status=response.status_code, data=data, requests_made=made)


MAX_TEXT_BYTES = 5 * 1024 * 1024


def get_text(
    url: str, *, access_token: str, accept: str, params: dict | None = None, session: requests.Session | None = None
) -> str:
    """GET a Graph URL whose answer is text (a Teams transcript's text/vtt content), capped at MAX_TEXT_BYTES,
    through the one request loop. Raises GraphAuthError / GraphTransientError / GraphError."""
    response, made = _send(
        "GET", url, access_token=access_token, params=params, headers={"Accept": accept}, session=session
    )
    if len(response.content) > MAX_TEXT_BYTES:
        raise GraphError(TOO_LARGE, status=response.status_code, requests_made=made)
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
CALENDAR_VIEW_SELECT = tuple(
    "id,iCalUId,seriesMasterId,type,subject,start,end,originalStartTimeZone,isAllDay,location,bodyPreview,organizer,"
    "attendees,isOnlineMeeting,onlineMeeting,onlineMeetingProvider,sensitivity,showAs,isCancelled,webLink".split(",")
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
    one, or points away from the Graph host (refused by _send), raises GraphError: it would loop or leak the token.
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
            raise GraphError(NO_EVENT_LIST, requests_made=spent)
        pages += 1
        events += len(value)
        yield CalendarViewPage(events=value, requests_made=spent)
        next_link = response.data.get("@odata.nextLink")
        if not next_link:
            return
        if not isinstance(next_link, str):
            raise GraphError(LINK_ELSEWHERE)
        if next_link in seen:
            raise GraphError(LINK_REPEATED)
        if pages >= MAX_CALENDAR_PAGES or events >= MAX_CALENDAR_EVENTS:
            raise GraphError(TOO_MANY_EVENTS)
        seen.add(next_link)
        # The nextLink already carries every query parameter (and Graph's own paging token).
        url, params = next_link, None


# --- subscriptions (disconnect / push) ----------------------------------------------------

# me/events with every change type (subscription resource reference: "created, updated, deleted").
SUBSCRIPTION_RESOURCE = "me/events"
SUBSCRIPTION_CHANGE_TYPE = "created,updated,deleted"


@dataclass(frozen=True)
class Subscription:
    id: str
    expires_at: datetime  # what Graph granted (persist this), not what was asked for


def _parse_time(value) -> datetime | None:
    try:  # Graph writes seven fractional digits ("…45.9356913Z"); Python 3.11 reads them
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _subscription_call(method: str, subscription_id: str, body: dict | None, **kwargs) -> Subscription | None:
    """One subscription request through _send (two attempts, short waits): the Subscription Graph answered, or
    None for a DELETE (404 counts as done: already gone, the state we want)."""
    tail = f"/{requests.utils.quote(subscription_id, safe='')}" if subscription_id else ""
    done = frozenset({200, 202, 204, 404}) if method == "DELETE" else None
    response, made = _send(
        method, graph_url(f"/v1.0/subscriptions{tail}"), json=body, done_statuses=done,
        attempts=SUBSCRIPTION_ATTEMPTS, max_wait=SUBSCRIPTION_MAX_WAIT_SECONDS, **kwargs,
    )  # fmt: skip
    if method == "DELETE":
        return None
    try:
        data = response.json()
    except ValueError as exc:
        raise GraphError(NOT_JSON, status=response.status_code, requests_made=made) from exc
    expires = _parse_time(data.get("expirationDateTime")) if isinstance(data, dict) else None
    if expires is None or not isinstance(data.get("id"), str) or not data["id"]:
        raise GraphError(BAD_SHAPE, status=response.status_code, requests_made=made)
    return Subscription(id=data["id"], expires_at=expires)


def create_subscription(
    *, access_token: str, notification_url: str, lifecycle_url: str, client_state: str, expires_at: datetime, **kw
) -> Subscription:
    """POST /v1.0/subscriptions on me/events (201 Created). Graph first validates both URLs; a failed validation
    is a 400 (GraphError). Raises GraphAuthError / GraphTransientError / GraphError."""
    body = {
        "changeType": SUBSCRIPTION_CHANGE_TYPE,
        "notificationUrl": notification_url,
        "lifecycleNotificationUrl": lifecycle_url,
        "resource": SUBSCRIPTION_RESOURCE,
        "expirationDateTime": _graph_time(expires_at),
        "clientState": client_state,
    }
    return _subscription_call("POST", "", body, access_token=access_token, **kw)


def renew_subscription(*, access_token: str, subscription_id: str, expires_at: datetime, **kw) -> Subscription:
    """PATCH /v1.0/subscriptions/{id} with a new expirationDateTime (200 OK); renewing also reauthorizes. A 404
    (Graph removed it) is a GraphError with status 404. Raises like create_subscription."""
    body = {"expirationDateTime": _graph_time(expires_at)}
    return _subscription_call("PATCH", subscription_id, body, access_token=access_token, **kw)


def delete_subscription(*, access_token: str, subscription_id: str, **kw) -> None:
    """DELETE a change-notification subscription (204; 404 = already gone). Raises like create_subscription."""
    _subscription_call("DELETE", subscription_id, None, access_token=access_token, **kw)
