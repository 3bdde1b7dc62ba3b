"""Fathom recordings."""

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
    iso,
    required_datetime,
)

# Where the list endpoints and bulk exports put their records: GET /meetings -> items[].
WRAPPER_KEYS: tuple[str, ...] = ("items",)


def parse(payload: dict) -> NormalizedTranscript:
    # Fathom "new meeting content ready" webhook / GET /external/v1/meetings item:
    # recording_id, meeting_title/title, recording_start_time, recording_end_time,
    # recorded_by, calendar_invitees, transcript[] {speaker {display_name,
    # matched_calendar_invitee_email}, text, timestamp}.
    external_id = external_id_of(payload, "recording_id")
    start = required_datetime(payload, "recording_start_time")
    end = end_of(start, payload, "recording_end_time")
    recorded_by = as_dict(payload.get("recorded_by"))
    people = [(recorded_by.get("name"), recorded_by.get("email"))]
    people += [(i.get("name"), i.get("email")) for i in as_dicts(payload.get("calendar_invitees"))]
    segments = []
    for item in as_dicts(payload.get("transcript")):
        speaker = as_dict(item.get("speaker"))
        people.append((speaker.get("display_name"), speaker.get("matched_calendar_invitee_email")))
        segments.append((speaker.get("display_name"), item.get("text")))
    title = payload.get("meeting_title") or payload.get("title")
    return build(external_id, title, start, end, people, segments)


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "recording_id": s.external_id,
        "meeting_title": s.title,
        "recording_start_time": iso(s.started_at),
        "recording_end_time": iso(s.ended_at),
        "calendar_invitees": [{"name": n, "email": e} for n, e in s.people],
        "transcript": [{"speaker": {"display_name": s.speaker}, "text": s.text}],
    }
