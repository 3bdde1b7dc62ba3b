"""The sample delivery on the Transcript sources page: a small body in each source's own shape.

It is built around one of the admin's own meetings (time and invitees), so the documented curl command
ends in a matched transcript within seconds instead of an orphan dated in the past.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from calendar_sync.models import CalendarEvent
from transcripts.models import Transcript
from transcripts.selectors import visible_events

TEXT = "Thanks for joining — this is a test delivery sent from the Transcript sources page."


def sample_meeting(user, workspace) -> CalendarEvent | None:
    """The user's next meeting without a transcript (else the latest past one); None when there is none."""
    events = (
        visible_events(user, workspace)
        .filter(owner=user, is_cancelled=False, is_all_day=False)
        .exclude(Exists(Transcript.objects.filter(event=OuterRef("pk"))))
        .prefetch_related("attendees")
    )
    now = timezone.now()
    return events.filter(starts_at__gte=now).order_by("starts_at", "id").first() or (
        events.filter(starts_at__lt=now).order_by("-starts_at", "-id").first()
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sample_body(source: str, meeting: CalendarEvent | None, *, now: datetime | None = None) -> str:
    """A one-line JSON body the source's adapter accepts; shell-safe inside single quotes."""
    if meeting is not None:
        start, end, title = meeting.starts_at, meeting.ends_at, meeting.subject or "Test call"
        people = [(a.name or a.email, a.email) for a in meeting.attendees.all() if a.email]
        if meeting.organizer_email and meeting.organizer_email.lower() not in {e.lower() for _, e in people}:
            people.insert(0, (meeting.organizer_name or meeting.organizer_email, meeting.organizer_email))
        external_id = f"sample-{source}-{meeting.pk}"
    else:
        start = (now or timezone.now()).replace(second=0, microsecond=0)
        end, title, people, external_id = start + timedelta(minutes=30), "Test call", [], f"sample-{source}"
    minutes = max(1, round((end - start).total_seconds() / 60))
    speaker = people[0][0] if people else "Sam"
    body = {
        "zoom": lambda: {
            "uuid": external_id,
            "topic": title,
            "start_time": _iso(start),
            "duration": minutes,
            "participants": [{"name": n, "user_email": e} for n, e in people],
            "transcript": f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n{speaker}: {TEXT}",
        },
        "teams": lambda: {
            "id": external_id,
            "subject": title,
            "startDateTime": _iso(start),
            "endDateTime": _iso(end),
            "participants": {
                "attendees": [{"upn": e, "identity": {"user": {"displayName": n}}} for n, e in people],
            },
            "transcript": {"content": f"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v {speaker}>{TEXT}</v>"},
        },
        "fireflies": lambda: {
            "id": external_id,
            "title": title,
            "date": int(start.timestamp() * 1000),
            "duration": minutes,
            "meeting_attendees": [{"displayName": n, "email": e} for n, e in people],
            "sentences": [{"speaker_name": speaker, "text": TEXT}],
        },
        "fathom": lambda: {
            "recording_id": external_id,
            "meeting_title": title,
            "recording_start_time": _iso(start),
            "recording_end_time": _iso(end),
            "calendar_invitees": [{"name": n, "email": e} for n, e in people],
            "transcript": [{"speaker": {"display_name": speaker}, "text": TEXT}],
        },
        "granola": lambda: {
            "id": external_id,
            "title": title,
            "calendar_event": {
                "scheduled_start_time": _iso(start),
                "scheduled_end_time": _iso(end),
                "invitees": [{"email": e} for _, e in people],
            },
            "attendees": [{"name": n, "email": e} for n, e in people],
            "transcript": [{"speaker": {"name": speaker}, "text": TEXT}],
        },
        "gong": lambda: {
            "metaData": {"id": external_id, "title": title, "started": _iso(start), "duration": minutes * 60},
            "parties": [{"speakerId": str(i), "name": n, "emailAddress": e} for i, (n, e) in enumerate(people)],
            "transcript": [{"speakerId": "0", "sentences": [{"start": 1000, "end": 5000, "text": TEXT}]}],
        },
    }[source]()
    # \u0027 keeps the JSON valid and the shell's single quotes closed whatever the names hold.
    return json.dumps(body, ensure_ascii=False).replace("'", "\\u0027")
