"""Builders shared by the transcript tests: meetings with attendees, and payloads per source."""

from __future__ import annotations

from datetime import datetime, timedelta

from calendar_sync.models import EventAttendee
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory

BASE = datetime.fromisoformat("2026-03-10T15:00:00+00:00")


def meeting(owner, *, start=BASE, minutes=30, guests=("dana@northwind.example",), **extra):
    """A synced meeting on ``owner``'s calendar; the organizer is an attendee row too, as the sync writes it."""
    connection = owner.calendar_connections.first() or ConnectionFactory(user=owner)
    event = EventFactory(
        connection=connection,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        organizer_email=owner.email,
        **extra,
    )
    AttendeeFactory(
        event=event,
        email=owner.email,
        name="Sam Seller",
        is_organizer=True,
        is_internal=True,
        response=EventAttendee.Response.ORGANIZER,
    )
    # Internal marks as the sync sets them (workspace domains and the owner's own domain).
    internal = {*connection.workspace.internal_domains, owner.email.rsplit("@", 1)[-1]}
    for guest in guests:
        is_internal = guest.rsplit("@", 1)[-1] in internal
        AttendeeFactory(event=event, email=guest, name=guest.split("@")[0].title(), is_internal=is_internal)
    return event


def zoom_payload(*, uuid="zm-uuid-1", start=BASE, minutes=30, people=(), topic="Discovery call", text="Hello there."):
    return {
        "event": "recording.transcript_completed",
        "payload": {
            "object": {
                "uuid": uuid,
                "topic": topic,
                "start_time": start.isoformat().replace("+00:00", "Z"),
                "duration": minutes,
                "participants": [{"name": name, "user_email": email} for name, email in people],
                "transcript": f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nSam: {text}",
            }
        },
    }


def custom_payload(*, id="call-1", start=BASE, minutes=30, people=(), title="Discovery call", text="Hello there."):
    """A Custom source body (Ruby's own format)."""
    return {
        "id": id,
        "title": title,
        "started_at": start.isoformat().replace("+00:00", "Z"),
        "duration_minutes": minutes,
        "participants": [{"name": name, "email": email} for name, email in people],
        "transcript": [{"speaker": "Sam", "text": text}],
    }
