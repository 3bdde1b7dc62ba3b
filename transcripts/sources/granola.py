"""Granola notes with their transcripts."""

from __future__ import annotations

from transcripts.sources import base
from transcripts.sources.base import (
    NormalizedTranscript,
    Sample,
    as_dict,
    as_dicts,
    build,
    end_of,
    external_id_of,
    first_present,
    iso,
    required_datetime,
)

# Where the list endpoints and bulk exports put their records: GET /v1/notes -> notes[].
WRAPPER_KEYS: tuple[str, ...] = ("notes",)


def parse(payload: dict) -> NormalizedTranscript:
    # Granola public API note (GET /v1/notes/{id}?include=transcript): id, title, owner,
    # attendees, calendar_event {event_title, scheduled_start_time, scheduled_end_time,
    # invitees}, transcript[] {speaker {source: microphone|speaker, name,
    # diarization_label}, text, start_time, end_time}. A note with no calendar event falls
    # back to the transcript's first/last timestamps (assumed ISO-8601).
    external_id = external_id_of(payload, "id")
    start = required_datetime(
        payload,
        first_present(payload, "calendar_event.scheduled_start_time", "transcript.0.start_time"),
    )
    end = end_of(
        start,
        payload,
        first_present(payload, "calendar_event.scheduled_end_time", "transcript.-1.end_time"),
    )
    owner, event = as_dict(payload.get("owner")), as_dict(payload.get("calendar_event"))
    people = [(owner.get("name"), owner.get("email"))]
    people += [(a.get("name"), a.get("email")) for a in as_dicts(payload.get("attendees"))]
    people += [("", i.get("email")) for i in as_dicts(event.get("invitees"))]
    segments = []
    for item in as_dicts(payload.get("transcript")):
        speaker = as_dict(item.get("speaker"))
        mine = owner.get("name") if speaker.get("source") == "microphone" else ""
        segments.append(
            (
                speaker.get("name") or mine or speaker.get("diarization_label"),
                item.get("text"),
            )
        )
    title = payload.get("title") or event.get("event_title")
    return build(external_id, title, start, end, people, segments)


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "id": s.external_id,
        "title": s.title,
        "calendar_event": {
            "scheduled_start_time": iso(s.started_at),
            "scheduled_end_time": iso(s.ended_at),
            "invitees": [{"email": e} for _, e in s.people],
        },
        "attendees": [{"name": n, "email": e} for n, e in s.people],
        "transcript": [{"speaker": {"name": s.speaker}, "text": s.text}],
    }
