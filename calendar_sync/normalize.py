"""Graph event JSON → a normalized event and its attendees (design.md §2), nothing stored here.

NormalizedEvent / NormalizedAttendee / MalformedEvent are what every calendar provider hands the sync engine;
normalize_event() is the Microsoft Graph reading of them (used by providers/graph.py).

Only what the product promises to read (product doc §8.2): subject, times, location, a preview of
the description capped at 255 characters (the full body is never requested nor kept), organizer,
attendees with their response. A malformed event raises MalformedEvent with a plain reason; the
sync skips that one event and goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from calendar_sync.models import CalendarEvent, EventAttendee

BODY_PREVIEW_MAX = 255
SUBJECT_MAX = 500
LOCATION_MAX = 500
NAME_MAX = 255
EMAIL_MAX = 320
URL_MAX = 2048
ID_MAX = 512

RESPONSES = frozenset(EventAttendee.Response.values)
ATTENDEE_TYPES = frozenset(EventAttendee.Type.values)
SENSITIVITIES = frozenset(CalendarEvent.Sensitivity.values)

# Graph answers in the zone we ask for (Prefer: outlook.timezone="UTC"); these cover the Windows
# names it uses when an event slips through in its own zone.
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "Tokyo Standard Time": "Asia/Tokyo",
    "India Standard Time": "Asia/Kolkata",
    "AUS Eastern Standard Time": "Australia/Sydney",
}

# Join links people paste into the location or the description when the meeting is not a Teams
# meeting Outlook knows about (Zoom, Google Meet, Webex, Teams links from another tenant).
_URL_RE = re.compile(r"https://[^\s<>\"')\]]+", re.IGNORECASE)
_PROVIDERS = (
    (CalendarEvent.OnlineProvider.TEAMS.value, re.compile(r"(^|\.)teams\.(microsoft|live)\.com$")),
    (CalendarEvent.OnlineProvider.ZOOM.value, re.compile(r"(^|\.)zoom\.(us|com)$")),
    (CalendarEvent.OnlineProvider.MEET.value, re.compile(r"^meet\.google\.com$")),
    (CalendarEvent.OnlineProvider.WEBEX.value, re.compile(r"(^|\.)webex\.com$")),
)
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")
# No database text column holds a NUL, and no encoder takes a lone surrogate (json.loads joins valid
# pairs, so any surrogate left in a str is unpaired): removed, so one odd subject cannot sink a sync.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
# Outlook's "no end date" and "since forever" come as 9999-12-31 / 0001-01-01 in the event's own zone,
# which has no UTC equivalent at the edge of Python's range; clamped to a range every later step
# (the window query, the matching tolerance) can add and subtract days in.
EARLIEST = datetime(1601, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, tzinfo=UTC)


class MalformedEvent(ValueError):
    """One event Graph sent cannot be stored; `reason` says why in plain words (for logs and the run)."""

    def __init__(self, reason: str, *, event_id: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


@dataclass(frozen=True)
class NormalizedAttendee:
    email: str
    name: str
    response: str
    attendee_type: str
    is_organizer: bool = False

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[-1] if "@" in self.email else ""


@dataclass
class NormalizedEvent:
    provider_event_id: str
    ical_uid: str
    series_master_id: str
    event_type: str
    subject: str
    starts_at: datetime
    ends_at: datetime
    is_all_day: bool
    location: str
    body_preview: str
    organizer_name: str
    organizer_email: str
    is_online: bool
    join_url: str
    online_provider: str
    sensitivity: str
    show_as: str
    is_cancelled: bool
    web_link: str
    attendees: list[NormalizedAttendee] = field(default_factory=list)

    @property
    def is_private(self) -> bool:
        return self.sensitivity in CalendarEvent.PRIVATE_SENSITIVITIES

    def model_fields(self) -> dict:
        """The CalendarEvent columns this event sets (everything but attendees)."""
        data = asdict(self)
        data.pop("attendees")
        return data

    def content_hash(self, *, internal_domains: frozenset[str] = frozenset()) -> str:
        """Stable digest of everything stored for the event, attendees (and who counts as internal)
        included, so an unchanged event is recognised on re-sync and written not at all."""
        # Built by hand, not with asdict(): this runs for every event of every sync.
        payload = [getattr(self, name) for name in _HASHED_FIELDS]
        payload[_HASHED_FIELDS.index("starts_at")] = self.starts_at.isoformat()
        payload[_HASHED_FIELDS.index("ends_at")] = self.ends_at.isoformat()
        payload.append(
            [
                [a.email, a.name, a.response, a.attendee_type, a.is_organizer, a.domain in internal_domains]
                for a in self.attendees
            ]
        )
        raw = json.dumps(payload, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()


_HASHED_FIELDS = [f for f in NormalizedEvent.__dataclass_fields__ if f != "attendees"]


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError
    return _UNSTORABLE_RE.sub("", value).strip()[:limit]


def _email(value) -> str:
    email = _text(value, EMAIL_MAX).lower()
    return email if "@" in email else ""


def _url(value) -> str:
    url = _text(value, URL_MAX + 1)
    # A truncated URL is a broken link: drop it rather than store half of it.
    if not url or len(url) > URL_MAX or not url.lower().startswith(("https://", "http://")):
        return ""
    return url


def _parse_time(raw, what: str) -> datetime:
    if not isinstance(raw, dict):
        raise MalformedEvent(f"missing {what} time")
    value = raw.get("dateTime")
    zone_name = raw.get("timeZone") or "UTC"
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"missing {what} time")
    try:
        # Graph sends seven fractional digits ("2026-11-23T15:00:00.0000000"); Python takes six.
        parsed = datetime.fromisoformat(_FRACTION_RE.sub(r"\1", value.strip()).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"unreadable {what} time")
    if parsed.tzinfo is None:
        zone_key = WINDOWS_ZONES.get(zone_name, zone_name) if isinstance(zone_name, str) else ""
        try:
            zone = zoneinfo.ZoneInfo(zone_key)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise MalformedEvent(f"unknown time zone for the {what} time")
        parsed = parsed.replace(tzinfo=zone)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59 west of UTC, 0001-01-01T00:00:00 east of it
        return LATEST if parsed.year > 5000 else EARLIEST
    return min(max(moment, EARLIEST), LATEST)


def online_provider_for(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for name, pattern in _PROVIDERS:
        if pattern.search(host):
            return name
    return CalendarEvent.OnlineProvider.OTHER.value


def find_join_url(*texts: str) -> str:
    """The first Teams/Zoom/Meet/Webex link in the given texts, or ""."""
    for text in texts:
        for match in _URL_RE.finditer(text or ""):
            url = match.group(0).rstrip(".,;:")
            if len(url) <= URL_MAX and online_provider_for(url) != CalendarEvent.OnlineProvider.OTHER:
                return url
    return ""


def _attendee(raw, *, is_organizer: bool = False) -> NormalizedAttendee:
    if not isinstance(raw, dict):
        raise MalformedEvent("an attendee is not an object")
    address = raw.get("emailAddress") or {}
    if not isinstance(address, dict):
        raise MalformedEvent("an attendee has no readable email address")
    try:
        email = _email(address.get("address"))
        name = _text(address.get("name"), NAME_MAX)
    except TypeError:
        raise MalformedEvent("an attendee has no readable email address")
    if is_organizer:
        response, kind = EventAttendee.Response.ORGANIZER.value, EventAttendee.Type.REQUIRED.value
    else:
        status = raw.get("status") or {}
        response = status.get("response") if isinstance(status, dict) else None
        response = response if response in RESPONSES else EventAttendee.Response.NONE.value
        kind = raw.get("type") if raw.get("type") in ATTENDEE_TYPES else EventAttendee.Type.REQUIRED.value
    return NormalizedAttendee(
        email=email, name=name or email, response=response, attendee_type=kind, is_organizer=is_organizer
    )


def normalize_event(raw) -> NormalizedEvent:
    """Turn one Graph event into a NormalizedEvent, or raise MalformedEvent."""
    if not isinstance(raw, dict):
        raise MalformedEvent("the event is not an object")
    event_id = raw.get("id")
    if isinstance(event_id, str) and _UNSTORABLE_RE.search(event_id):
        raise MalformedEvent("the event id holds characters no database can store")
    if not isinstance(event_id, str) or not event_id.strip():
        raise MalformedEvent("the event has no id")
    if len(event_id) > ID_MAX:
        raise MalformedEvent("the event id is too long", event_id=event_id[:40])
    try:
        starts_at = _parse_time(raw.get("start"), "start")
        ends_at = _parse_time(raw.get("end"), "end")
        if ends_at < starts_at:
            raise MalformedEvent("the event ends before it starts")
        organizer = _attendee(raw["organizer"], is_organizer=True) if raw.get("organizer") else None
        raw_attendees = raw.get("attendees") or []
        if not isinstance(raw_attendees, list):
            raise MalformedEvent("the attendee list is not a list")
        attendees: list[NormalizedAttendee] = [organizer] if organizer else []
        seen = {organizer.email} if organizer and organizer.email else set()
        for item in raw_attendees:
            attendee = _attendee(item)
            # Graph lists the organizer among the attendees too, sometimes; one row per person.
            if attendee.email and attendee.email in seen:
                continue
            if attendee.email:
                seen.add(attendee.email)
            attendees.append(attendee)
        location_raw = raw.get("location") or {}
        location = _text(location_raw.get("displayName"), LOCATION_MAX) if isinstance(location_raw, dict) else ""
        preview = _text(raw.get("bodyPreview"), BODY_PREVIEW_MAX)
        online = raw.get("onlineMeeting") or {}
        join_url = _url(online.get("joinUrl")) if isinstance(online, dict) else ""
        if not join_url:
            join_url = find_join_url(location, _text(raw.get("bodyPreview"), 4000))
        sensitivity = raw.get("sensitivity")
        if sensitivity not in SENSITIVITIES:
            sensitivity = CalendarEvent.Sensitivity.NORMAL.value
        return NormalizedEvent(
            provider_event_id=event_id,
            ical_uid=_text(raw.get("iCalUId"), ID_MAX),
            series_master_id=_text(raw.get("seriesMasterId"), ID_MAX),
            event_type=_text(raw.get("type"), 32),
            subject=_text(raw.get("subject"), SUBJECT_MAX),
            starts_at=starts_at,
            ends_at=ends_at,
            is_all_day=bool(raw.get("isAllDay")),
            location=location,
            body_preview=preview,
            organizer_name=organizer.name if organizer else "",
            organizer_email=organizer.email if organizer else "",
            is_online=bool(raw.get("isOnlineMeeting")) or bool(join_url),
            join_url=join_url,
            online_provider=online_provider_for(join_url) if join_url else "",
            sensitivity=sensitivity,
            show_as=_text(raw.get("showAs"), 24),
            is_cancelled=bool(raw.get("isCancelled")),
            web_link=_url(raw.get("webLink")),
            attendees=attendees,
        )
    except MalformedEvent as exc:
        exc.event_id = event_id[:40]
        raise
    except (TypeError, AttributeError):
        raise MalformedEvent("a field has an unexpected type", event_id=event_id[:40])
    except (ValueError, OverflowError) as exc:  # the backstop: one odd event is skipped, never the sync
        raise MalformedEvent(f"a field has an impossible value ({type(exc).__name__})", event_id=event_id[:40])
