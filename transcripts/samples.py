"""The sample delivery on the Transcript sources page: a small body in each source's own shape.

It is built around one of the admin's own meetings (time and invitees), so the documented curl command
ends in a matched transcript within seconds instead of an orphan dated in the past.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from calendar_sync.models import CalendarEvent
from transcripts import sources
from transcripts.models import Transcript
from transcripts.selectors import visible_events
from transcripts.sources.base import Sample

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


def sample_body(source: str, meeting: CalendarEvent | None, *, now: datetime | None = None) -> str:
    """A one-line JSON body in the source's own shape (its module's `sample`); shell-safe inside single quotes."""
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
    sample = Sample(
        external_id=external_id,
        title=title,
        started_at=start,
        ended_at=end,
        minutes=minutes,
        people=people,
        speaker=speaker,
        text=TEXT,
    )
    body = sources.entry_for(source).module.sample(sample)
    # \u0027 keeps the JSON valid and the shell's single quotes closed whatever the names hold.
    return json.dumps(body, ensure_ascii=False).replace("'", "\\u0027")
