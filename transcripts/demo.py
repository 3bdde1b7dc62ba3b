"""Demo transcripts for `make run`, derived from the meetings synced into the workspace.

Two transcripts (a Zoom and a Fireflies one, in each source's own payload shape, so the sources' parsers
run) match synced external meetings; a third straddles two meetings that fit it equally well and
stays "ambiguous" for a newcomer to resolve. Each is checked against the matcher before it is
ingested, so the demo shows what it promises whatever the sandbox week holds.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from calendar_sync.models import EventAttendee
from ruby_site.models import Workspace
from transcripts.matching import EventIndex, EventInfo, match_one
from transcripts.services.ingest import transcript_ingest
from transcripts.services.matching import event_infos


def _demo_id(kind: str, *events: EventInfo) -> str:
    key = "|".join([kind, *(e.ical_uid or str(e.id) for e in events)])
    return f"demo-{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def _zoom_payload(event: EventInfo, people: list[dict]) -> dict:
    start = event.starts_at + timedelta(minutes=2)  # the host joined a little late
    minutes = round((event.ends_at - start).total_seconds() / 60)
    lines = [
        f"{i + 1}\n00:00:{i * 7 + 1:02d}.000 --> 00:00:{i * 7 + 6:02d}.000\n{p['name']}: {text}"
        for i, (p, text) in enumerate(zip(people, _LINES, strict=False))
    ]
    return {
        "event": "recording.transcript_completed",
        "payload": {
            "object": {
                "uuid": _demo_id("zoom", event),
                "topic": event.subject or "Zoom meeting",
                "start_time": start.isoformat().replace("+00:00", "Z"),
                "duration": minutes,
                "host_email": people[0]["email"],
                "host_name": people[0]["name"],
                "participants": [{"name": p["name"], "user_email": p["email"]} for p in people],
                "transcript": "WEBVTT\n\n" + "\n\n".join(lines),
            }
        },
    }


def _fireflies_payload(kind: str, events: list[EventInfo], start, end, people: list[dict], title: str) -> dict:
    return {
        "data": {
            "transcript": {
                "id": _demo_id(kind, *events),
                "title": title,
                "date": int(start.timestamp() * 1000),
                "duration": round((end - start).total_seconds() / 60, 2),
                "organizer_email": people[0]["email"],
                "meeting_attendees": [{"displayName": p["name"], "email": p["email"]} for p in people],
                "sentences": [
                    {"speaker_name": p["name"], "text": text} for p, text in zip(people, _LINES[::-1], strict=False)
                ],
            }
        }
    }


_LINES = [
    "Thanks for making the time today.",
    "Happy to. We want to see how the pilot would work for the regional teams.",
    "Security review is the next step on our side.",
    "Let's book a follow-up for next week with procurement.",
    "Sounds good, I'll send the notes after this call.",
]


def load_demo_transcripts(*, workspace: Workspace) -> int:
    """Ingest the demo transcripts for the meetings in ``workspace``; returns how many were stored.

    Idempotent: the same meetings give the same external ids and payloads, so a second call writes nothing.
    """
    internal = {d.lower() for d in workspace.internal_domains or []}
    infos = [e for e in event_infos(workspace.pk) if e.emails]
    names = {
        (email or "").lower(): name
        for email, name in EventAttendee.objects.filter(event_id__in=[e.id for e in infos])
        .exclude(name="")
        .values_list("email", "name")
    }
    index = EventIndex(infos)

    def external(event: EventInfo) -> bool:
        return any(email.split("@")[-1] not in internal for email in event.emails)

    def people_of(emails) -> list[dict]:
        # Internal people first: the host of the recording.
        ordered = sorted(emails, key=lambda e: (e.split("@")[-1] not in internal, e))
        return [{"name": names.get(e, e.split("@")[0].title()), "email": e} for e in ordered]

    seen_uids: set[str] = set()
    meetings = []
    # Coming meetings first: the sandbox's one ended Teams meeting gets its transcript from Teams itself.
    now = timezone.now()
    for event in sorted(infos, key=lambda e: (e.ends_at <= now < e.ends_at + timedelta(days=2), e.starts_at, e.id)):
        if external(event) and (event.ical_uid or str(event.id)) not in seen_uids:
            seen_uids.add(event.ical_uid or str(event.id))
            meetings.append(event)

    stored = 0
    used: set[int] = set()
    for kind in ("zoom", "fireflies"):
        for event in meetings:
            if event.id in used:
                continue
            people = people_of(event.emails)
            if kind == "zoom":
                payload = _zoom_payload(event, people)
                start = event.starts_at + timedelta(minutes=2)
                end = event.ends_at
            else:
                start, end = event.starts_at, event.ends_at - timedelta(minutes=3)
                payload = _fireflies_payload(kind, [event], start, end, people, event.subject or "Fireflies meeting")
            result = match_one(started_at=start, ended_at=end, participants=people, index=index)
            if result.status == "matched" and result.best.event.id == event.id:
                transcript_ingest(workspace=workspace, source=kind, payload=payload)
                used.add(event.id)
                stored += 1
                break

    # Two meetings of the same length, with someone in common: a recording straddling both fits
    # each equally well, which is exactly the case Ruby must not guess.
    for i, first in enumerate(meetings):
        for second in meetings[i + 1 :]:
            common = first.emails & second.emails
            length = first.ends_at - first.starts_at
            if not common or abs((second.ends_at - second.starts_at) - length) > timedelta(minutes=1):
                continue
            start, end = first.ends_at - length / 2, second.starts_at + length / 2
            if end <= start:
                continue
            people = people_of(common)
            result = match_one(started_at=start, ended_at=end, participants=people, index=index)
            if result.status != "ambiguous":
                continue
            payload = _fireflies_payload(
                "ambiguous", [first, second], start, end, people, "Call notes (which meeting was this?)"
            )
            transcript_ingest(workspace=workspace, source="fireflies", payload=payload)
            return stored + 1
    return stored
