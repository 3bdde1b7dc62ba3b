"""A fake Microsoft Graph calendarView for tests, served through `responses` (the Microsoft boundary)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import responses
from django.conf import settings

_ids = itertools.count(1)


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def person(email: str, name: str = "", response: str = "accepted", kind: str = "required") -> dict:
    return {
        "type": kind,
        "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": name or email.split("@")[0].title(), "address": email},
    }


def graph_event(
    *,
    id: str | None = None,
    subject: str = "Customer call",
    start: datetime | None = None,
    minutes: int = 30,
    organizer: str = "sam@ruby-demo.example",
    attendees: list | None = None,
    sensitivity: str = "normal",
    join_url: str | None = None,
    location: str = "",
    preview: str = "",
    **extra,
) -> dict:
    """One event as Graph returns it with Prefer: outlook.timezone="UTC"."""
    start = start or (datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1))
    event = {
        "id": id or f"AAMkAG-test-{next(_ids)}",
        "iCalUId": f"ical-{id or 'x'}",
        "type": "singleInstance",
        "seriesMasterId": None,
        "subject": subject,
        "bodyPreview": preview,
        "start": {"dateTime": graph_time(start), "timeZone": "UTC"},
        "end": {"dateTime": graph_time(start + timedelta(minutes=minutes)), "timeZone": "UTC"},
        "originalStartTimeZone": "Pacific Standard Time",
        "isAllDay": False,
        "isCancelled": False,
        "sensitivity": sensitivity,
        "showAs": "busy",
        "isOnlineMeeting": bool(join_url),
        "onlineMeetingProvider": "teamsForBusiness" if join_url else "unknown",
        "onlineMeeting": {"joinUrl": join_url} if join_url else None,
        "location": {"displayName": location},
        "organizer": {"emailAddress": {"name": organizer.split("@")[0].title(), "address": organizer}},
        "attendees": [person("dana@northwind.example")] if attendees is None else attendees,
        "webLink": "https://outlook.office365.com/owa/?itemid=x&exvsurl=1&path=/calendar/item",
    }
    event.update(extra)
    return event


class FakeCalendar:
    """Serves `events` as calendarView pages of $top (or `max_page`), following $skip nextLinks.

    `script` holds canned responses served before the pages, e.g. [(429, {"Retry-After": "3"})].
    Every request is kept in `calls` (url, headers) so tests can check what Ruby asked for.
    """

    url = f"{settings.MICROSOFT_GRAPH_URL}/v1.0/me/calendarView"

    def __init__(self, rsps: responses.RequestsMock, events: list[dict] | None = None, *, max_page: int | None = None):
        self.events = list(events or [])
        self.max_page = max_page
        self.script: list[tuple[int, dict]] = []
        self.calls: list = []
        rsps.add_callback(responses.GET, self.url, callback=self._answer)

    def _answer(self, request):
        self.calls.append(request)
        if self.script:
            status, headers = self.script.pop(0)
            body = {"error": {"code": "TooManyRequests" if status == 429 else "Unavailable", "message": "x"}}
            if status == 401:
                body = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
            return status, headers, json.dumps(body)
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        top = int(query.get("$top", "10"))
        if self.max_page:
            top = min(top, self.max_page)
        skip = int(query.get("$skip", "0"))
        body = {"value": self.events[skip : skip + top]}
        if skip + top < len(self.events):
            query["$skip"] = str(skip + top)
            body["@odata.nextLink"] = f"{self.url}?{urlencode(query)}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    @property
    def tokens(self) -> list[str]:
        return [call.headers["Authorization"].removeprefix("Bearer ") for call in self.calls]
