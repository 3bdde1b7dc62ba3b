"""The sandbox's calendar: a realistic week for the demo, served as Graph would serve it.

calendar_view(identity, url) answers GET /v1.0/me/calendarView for the sandbox transport. The week is
generated deterministically from the identity's email (its domain is the internal domain) and anchored
to today's date, so a re-sync on the same day sees the same events and writes nothing. It covers what
the sync must handle: external and internal-only meetings, a private appointment, Teams and Zoom
meetings (one Zoom link only in the location and preview), a Google Meet link in the preview, a
cancelled meeting, an all-day event, a recurring series' occurrences, several original time zones, a
declined attendee, a meeting with two customer companies (ambiguous account), and several pages. One Teams
meeting is yesterday's (day -1): a sync from now never sees it; the demo syncs it once so that an ended Teams
meeting with a transcript (sandbox/teams.py) is there to fetch.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils import timezone

from calendar_sync.models import SandboxEventChange

# Graph may return fewer events than asked for; the sandbox serves small pages so the demo exercises
# @odata.nextLink (Graph's own default page is 10).
SANDBOX_MAX_PAGE_SIZE = 6

WINDOWS_TO_IANA = {
    "Pacific Standard Time": "America/Los_Angeles",
    "Eastern Standard Time": "America/New_York",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Tokyo Standard Time": "Asia/Tokyo",
    "UTC": "UTC",
}

EXTERNAL = {
    "dana": ("Dana Whitfield", "dana@northwind.example"),
    "lee": ("Lee Park", "lee@northwind.example"),
    "kim": ("Kim Alvarez", "kim@contoso.example"),
    "alex": ("Alex Moreau", "alex@contoso.example"),
    "ravi": ("Ravi Menon", "ravi@fabrikam.example"),
}

TEAMS = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{key}%40thread.v2/0?context=%7b%22Tid%22%3a%22sandbox%22%7d"
)
ZOOM = "https://us02web.zoom.us/j/8{num}"

LONG_AGENDA = (
    "Agenda: 1) recap of the pilot results across the three regional teams, 2) security questionnaire "
    "status and open items from the last review, 3) pricing for the enterprise tier and the multi-year "
    "discount, 4) rollout plan for Q1 including training sessions, data migration and the success "
    "criteria we agreed on, 5) next steps and owners. Please review the attached deck beforehand."
)


# Teams meetings whose online meeting has a transcript once they have ended (sandbox/teams.py).
TRANSCRIBED_SUBJECTS = {"Northwind — pilot recap"}


def _spec(identity: dict, today: date) -> list[dict]:
    """The week's events as compact specs; day 0 is today (UTC), times are in the event's own zone."""
    email = identity["email"].lower()
    domain = email.rsplit("@", 1)[-1]
    local = email.split("@", 1)[0]
    colleague = ("Morgan Lee", f"morgan@{domain}")
    manager = ("Priya Shah", f"priya@{domain}")
    seed = int(hashlib.sha256(email.encode()).hexdigest()[:8], 16)
    shift = seed % 2  # two people in the demo do not get the very same hours
    specs = [
        {
            "key": "northwind-discovery",
            "subject": "Northwind — discovery call",
            "day": 1,
            "at": time(9 + shift, 0),
            "minutes": 45,
            "tz": "Pacific Standard Time",
            "attendees": [("dana", "accepted"), ("lee", "tentativelyAccepted"), (colleague, "accepted")],
            "teams": True,
            "preview": "Discovery with Northwind's operations team. " + LONG_AGENDA,
        },
        {
            "key": "northwind-recap",
            "subject": "Northwind — pilot recap",
            "day": -1,
            "at": time(16, 0),
            "minutes": 30,
            "tz": "UTC",
            "attendees": [("dana", "accepted"), ("lee", "accepted")],
            "teams": True,
            "preview": "Recap of the pilot's first weeks with Dana and Lee.",
        },
        {
            "key": "contoso-pricing",
            "subject": "Contoso pricing review",
            "day": 2,
            "at": time(14, 0),
            "minutes": 60,
            "tz": "Eastern Standard Time",
            "attendees": [("kim", "accepted"), ("alex", "declined")],
            "zoom_join": True,
            "preview": "Walk Kim through the enterprise tier. Alex cannot make it.",
        },
        {
            # Straight after the pricing review, same length, Kim on both: a transcript recorded across
            # the two fits either equally well, so the demo shows an "ambiguous" match to resolve.
            "key": "contoso-security",
            "subject": "Contoso security questionnaire",
            "day": 2,
            "at": time(15, 0),
            "minutes": 60,
            "tz": "Eastern Standard Time",
            "attendees": [("kim", "accepted")],
            "teams": True,
            "preview": "Kim's security team sends their questionnaire; we go through it together.",
        },
        {
            "key": "fabrikam-intro",
            "subject": "Intro: Fabrikam x Ruby",
            "day": 3,
            "at": time(10, 30),
            "minutes": 30,
            "tz": "GMT Standard Time",
            "attendees": [("ravi", "accepted")],
            "zoom_location": True,
            "preview": "Ravi asked for a short intro. Join Zoom Meeting {zoom} Meeting ID: 8{num}",
        },
        {
            "key": "fabrikam-onsite",
            "subject": "Fabrikam on-site visit",
            "day": 4,
            "all_day": True,
            "tz": "W. Europe Standard Time",
            "attendees": [("ravi", "accepted")],
            "location": "Fabrikam HQ, Berlin",
            "show_as": "oof",
        },
        {
            "key": "partner-call",
            "subject": "Joint call: Northwind & Contoso integration",
            "day": 2,
            "at": time(16, 0),
            "minutes": 45,
            "tz": "UTC",
            "attendees": [("dana", "accepted"), ("kim", "accepted")],
            "teams": True,
            "preview": "Both customers want the same connector; one call to agree the scope.",
        },
        {
            "key": "contoso-qbr",
            "subject": "Canceled: Contoso QBR",
            "day": 5,
            "at": time(11, 0),
            "minutes": 60,
            "tz": "Eastern Standard Time",
            "attendees": [("kim", "declined")],
            "teams": True,
            "cancelled": True,
            "preview": "Moved to next quarter.",
        },
        {
            "key": "lunch-dana",
            "subject": "Lunch with Dana",
            "day": 3,
            "at": time(12, 0),
            "minutes": 90,
            "tz": "Pacific Standard Time",
            "attendees": [("dana", "accepted")],
            "sensitivity": "private",
            "location": "Blue Door Café",
        },
        {
            "key": "tokyo-sync",
            "subject": "Fabrikam APAC rollout check-in",
            "day": 5,
            "at": time(9, 0),
            "minutes": 30,
            "tz": "Tokyo Standard Time",
            "attendees": [("ravi", "accepted")],
            "organizer": "ravi",
            "preview": "Join with Google Meet https://meet.google.com/abc-defg-hij",
        },
        {
            "key": "pipeline-review",
            "subject": "Weekly pipeline review",
            "day": 1,
            "at": time(8, 0),
            "minutes": 60,
            "tz": "GMT Standard Time",
            "attendees": [(manager, "accepted"), (colleague, "accepted")],
            "teams": True,
        },
        {
            "key": "one-on-one",
            "subject": "1:1 with Priya",
            "day": 4,
            "at": time(15, 0),
            "minutes": 30,
            "tz": "GMT Standard Time",
            "attendees": [(manager, "accepted")],
        },
        {
            "key": "dentist",
            "subject": "Dentist",
            "day": 6,
            "at": time(8, 30),
            "minutes": 60,
            "tz": "GMT Standard Time",
            "attendees": [],
            "sensitivity": "private",
            "show_as": "oof",
        },
        {
            "key": "focus",
            "subject": "Focus time",
            "day": 2,
            "at": time(8, 0),
            "minutes": 120,
            "tz": "UTC",
            "attendees": [],
        },
    ]
    # A daily series: Graph's calendarView expands it into occurrences sharing a seriesMasterId.
    for day in range(0, 7):
        if (today + timedelta(days=day)).weekday() >= 5:
            continue
        specs.append(
            {
                "key": f"northwind-pilot-{day}",
                "series": "northwind-pilot",
                "subject": "Northwind pilot daily check-in",
                "day": day,
                "at": time(15, 30),
                "minutes": 15,
                "tz": "UTC",
                "attendees": [("lee", "accepted")],
                "teams": True,
            }
        )
    for spec in specs:
        spec["owner"] = (identity.get("name") or local, email)
    return specs


def _person(who) -> tuple[str, str]:
    return EXTERNAL[who] if isinstance(who, str) else who


def _id(email: str, key: str, prefix: str = "AAMkAGsandbox") -> str:
    return prefix + hashlib.sha256(f"{email}|{key}".encode()).hexdigest()[:40]


def _graph_event(spec: dict, today: date) -> dict:
    owner_name, owner_email = spec["owner"]
    zone = zoneinfo.ZoneInfo(WINDOWS_TO_IANA[spec["tz"]])
    day = today + timedelta(days=spec["day"])
    if spec.get("all_day"):
        # All-day events span midnight to midnight; with Prefer: outlook.timezone="UTC" Graph states them in UTC.
        start = datetime.combine(day, time(0), tzinfo=UTC)
        end = start + timedelta(days=1)
    else:
        start = datetime.combine(day, spec["at"], tzinfo=zone).astimezone(UTC)
        end = start + timedelta(minutes=spec["minutes"])
    num = int(hashlib.sha256(spec["key"].encode()).hexdigest()[:9], 16) % 10**9
    zoom = ZOOM.format(num=num)
    organizer = _person(spec["organizer"]) if spec.get("organizer") else (owner_name, owner_email)
    attendees = [
        {
            "type": "required",
            "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": _person(who)[0], "address": _person(who)[1]},
        }
        for who, response in spec["attendees"]
    ]
    if spec["attendees"]:
        # Graph lists the mailbox owner among the attendees of meetings they were invited to.
        if spec.get("organizer"):
            attendees.append(
                {
                    "type": "required",
                    "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"name": owner_name, "address": owner_email},
                }
            )
        if spec["key"] == "pipeline-review":
            attendees.append(
                {
                    "type": "resource",
                    "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"name": "Room 4.01", "address": f"room-401@{owner_email.rsplit('@', 1)[-1]}"},
                }
            )
    join_url = ""
    if spec.get("teams"):
        join_url = TEAMS.format(key=_id(owner_email, spec.get("series", spec["key"]), "")[:24])
    elif spec.get("zoom_join"):
        join_url = zoom
    location = spec.get("location", "")
    if spec.get("teams"):
        location = location or "Microsoft Teams Meeting"
    elif spec.get("zoom_location"):
        location = zoom
    elif spec.get("zoom_join"):
        location = "Zoom"
    event_id = _id(owner_email, spec["key"])
    preview = spec.get("preview", "").format(zoom=zoom, num=num)
    event = {
        "@odata.etag": 'W/"' + _id(owner_email, spec["key"], "")[:16] + '"',
        "id": event_id,
        "iCalUId": "040000008200E00074C5B7101A82E008" + _id(owner_email, spec.get("series", spec["key"]), "")[:32],
        "type": "occurrence" if spec.get("series") else "singleInstance",
        "seriesMasterId": _id(owner_email, spec["series"]) if spec.get("series") else None,
        "subject": spec["subject"],
        "bodyPreview": preview,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "originalStartTimeZone": spec["tz"],
        "originalEndTimeZone": spec["tz"],
        "isAllDay": bool(spec.get("all_day")),
        "isCancelled": bool(spec.get("cancelled")),
        "sensitivity": spec.get("sensitivity", "normal"),
        "showAs": spec.get("show_as", "busy"),
        "isOnlineMeeting": bool(join_url),
        "onlineMeetingProvider": "teamsForBusiness" if spec.get("teams") else "unknown",
        "onlineMeeting": {"joinUrl": join_url} if join_url else None,
        "location": {"displayName": location, "locationType": "default"},
        "organizer": {"emailAddress": {"name": organizer[0], "address": organizer[1]}},
        "attendees": attendees,
        "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}&exvsurl=1&path=/calendar/item",
    }
    return event


def week_for(identity: dict, *, today: date | None = None) -> list[dict]:
    """Every sandbox event of the identity's week, in start order (recurring series expanded), with the meetings
    changed on the sandbox page ("Change a meeting") as changed."""
    today = today or timezone.now().astimezone(UTC).date()
    events = [_graph_event(spec, today) for spec in _spec(identity, today)]
    changed = dict(
        SandboxEventChange.objects.filter(
            tenant_id=identity.get("tid", ""), object_id=identity.get("oid", "")
        ).values_list("event_id", "subject")
    )
    for event in events:
        if event["id"] in changed:
            event["subject"] = changed[event["id"]]
            event["@odata.etag"] = 'W/"' + hashlib.sha256(changed[event["id"]].encode()).hexdigest()[:16] + '"'
    return sorted(events, key=lambda e: (e["start"]["dateTime"], e["id"]))


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    return status, {"error": {"code": code, "message": message}}, {}


def calendar_view(identity: dict, url: str) -> tuple[int, dict, dict]:
    """GET /v1.0/me/calendarView: (status, JSON body, headers), paged with @odata.nextLink ($skip)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    start = _parse_time(query.get("startDateTime", ""))
    end = _parse_time(query.get("endDateTime", ""))
    if start is None or end is None:
        return _error(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by startDateTime and endDateTime.",
        )
    try:
        top = int(query.get("$top", "10"))
        skip = int(query.get("$skip", "0"))
    except ValueError:
        return _error(400, "BadRequest", "Invalid $top or $skip.")
    page_size = max(1, min(top, SANDBOX_MAX_PAGE_SIZE))

    def overlaps(event: dict) -> bool:
        return _parse_time(event["start"]["dateTime"][:19]) < end and _parse_time(event["end"]["dateTime"][:19]) > start

    events = [e for e in week_for(identity) if overlaps(e)]
    selected = [f.strip() for f in query.get("$select", "").split(",") if f.strip()]
    page = events[skip : skip + page_size]
    if selected:
        keep = {"id", "@odata.etag", *selected}
        page = [{k: v for k, v in e.items() if k in keep} for e in page]
    body: dict = {
        "@odata.context": f"{parts.scheme}://{parts.netloc}/v1.0/$metadata#users('me')/calendarView",
        "value": page,
    }
    if skip + page_size < len(events):
        query["$skip"] = str(skip + page_size)
        body["@odata.nextLink"] = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return 200, body, {"Content-Type": "application/json"}
