"""exchangelib CalendarItem -> NormalizedEvent: the EWS reading of the provider-neutral event (issue 13).

The item is restated in the shape normalize.normalize_event() reads, so both providers share one set of rules
(length caps, join-link detection, organizer/attendee de-duplication, private sensitivities) and the engine's
filters see exactly the same values. Exchange Server has no join URL property: the link is found in the
location or the body text, as for links pasted into an Outlook invitation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from calendar_sync.normalize import MalformedEvent, NormalizedEvent, normalize_event

# EWS value -> the Graph value normalize_event() understands.
RESPONSES = {
    "Accept": "accepted",
    "Tentative": "tentativelyAccepted",
    "Decline": "declined",
    "NoResponseReceived": "notResponded",
    "Organizer": "organizer",
    "Unknown": "none",
}
SHOW_AS = {
    "Free": "free",
    "Tentative": "tentative",
    "Busy": "busy",
    "OOF": "oof",
    "WorkingElsewhere": "workingElsewhere",
    "NoData": "unknown",
}
ITEM_TYPES = {
    "Single": "singleInstance",
    "Occurrence": "occurrence",
    "Exception": "exception",
    "RecurringMaster": "seriesMaster",
}
# Only so much body text is searched for a join link; the stored preview is capped at 255 by normalize.
BODY_SCAN_MAX = 4000


def _when(value, *, end: bool) -> dict:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise MalformedEvent(f"the {'end' if end else 'start'} time has no time zone")
        # Via the timestamp: exchangelib's EWSDateTime refuses a stdlib tzinfo in astimezone().
        return {"dateTime": datetime.fromtimestamp(value.timestamp(), tz=UTC).isoformat(), "timeZone": "UTC"}
    if isinstance(value, date):
        # exchangelib states all-day items as dates with the end day included; Ruby stores midnight to midnight.
        day = date(value.year, value.month, value.day) + timedelta(days=1 if end else 0)
        return {"dateTime": datetime.combine(day, time(0), tzinfo=UTC).isoformat(), "timeZone": "UTC"}
    raise MalformedEvent(f"missing {'end' if end else 'start'} time")


def _person(mailbox) -> dict:
    return {"name": getattr(mailbox, "name", None), "address": getattr(mailbox, "email_address", None)}


def _attendees(item) -> list[dict]:
    rows = []
    for field_name, kind in (
        ("required_attendees", "required"),
        ("optional_attendees", "optional"),
        ("resources", "resource"),
    ):
        for attendee in getattr(item, field_name, None) or []:
            mailbox = getattr(attendee, "mailbox", None)
            if mailbox is None:
                raise MalformedEvent("an attendee has no mailbox")
            rows.append(
                {
                    "type": kind,
                    "status": {"response": RESPONSES.get(getattr(attendee, "response_type", None), "none")},
                    "emailAddress": _person(mailbox),
                }
            )
    return rows


def _body_text(item) -> str:
    text = getattr(item, "text_body", None) or ""
    if not isinstance(text, str):
        raise MalformedEvent("the body is not text")
    return " ".join(text[:BODY_SCAN_MAX].split())


def graph_shape(item) -> dict:
    """The item as the Graph-shaped dict normalize_event() reads. Raises MalformedEvent."""
    item_type = ITEM_TYPES.get(getattr(item, "type", None) or "Single", "singleInstance")
    uid = getattr(item, "uid", None) or ""
    organizer = getattr(item, "organizer", None)
    sensitivity = (getattr(item, "sensitivity", None) or "Normal").lower()
    return {
        "id": getattr(item, "id", None),
        "iCalUId": uid,
        # Occurrences of one series share the master's UID in EWS; it stands for the series here.
        "seriesMasterId": uid if item_type in ("occurrence", "exception") else "",
        "type": item_type,
        "subject": getattr(item, "subject", None),
        "bodyPreview": _body_text(item),
        "start": _when(getattr(item, "start", None), end=False),
        "end": _when(getattr(item, "end", None), end=True),
        "isAllDay": bool(getattr(item, "is_all_day", False)),
        "isCancelled": bool(getattr(item, "is_cancelled", False)),
        "isOnlineMeeting": bool(getattr(item, "is_online_meeting", False)),
        "sensitivity": sensitivity,
        "showAs": SHOW_AS.get(getattr(item, "legacy_free_busy_status", None), "unknown"),
        "location": {"displayName": getattr(item, "location", None)},
        "organizer": {"emailAddress": _person(organizer)} if organizer is not None else None,
        "attendees": _attendees(item),
    }


def normalize_item(item) -> NormalizedEvent:
    """One entry of exchangelib's calendar view as a NormalizedEvent, or MalformedEvent with the reason. An entry
    the server could not return comes as an exception instance from exchangelib; it is skipped with its code."""
    if isinstance(item, Exception):
        raise MalformedEvent(f"the server could not return this item ({type(item).__name__})")
    event_id = getattr(item, "id", None)
    try:
        shaped = graph_shape(item)
    except MalformedEvent as exc:
        exc.event_id = (event_id or "")[:40]
        raise
    except (TypeError, AttributeError, ValueError):
        raise MalformedEvent("a field has an unexpected type", event_id=str(event_id or "")[:40])
    return normalize_event(shaped)
