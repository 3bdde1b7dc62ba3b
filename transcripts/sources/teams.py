"""Microsoft Teams meetings (Graph onlineMeeting + callTranscript)."""

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
    get,
    iso,
    required_datetime,
    vtt_segments,
)

# Where the list endpoints and bulk exports put their records: Graph collections.
WRAPPER_KEYS: tuple[str, ...] = ("value",)


def parse(payload: dict) -> NormalizedTranscript:
    # Microsoft Graph onlineMeeting (id, subject, startDateTime, endDateTime, participants
    # {organizer, attendees[]: {upn, identity.user.displayName}}), with its callTranscript
    # under "transcript" (WebVTT "content", <v Name> cues) and the meetingAttendanceReport's
    # attendanceRecords (emailAddress, identity.displayName).
    external_id = external_id_of(payload, "id")
    start = required_datetime(payload, "startDateTime")
    end = end_of(start, payload, "endDateTime")
    roster = as_dict(payload.get("participants"))
    people = [
        (get(info, "identity.user.displayName", ""), info.get("upn"))
        for info in [as_dict(roster.get("organizer")), *as_dicts(roster.get("attendees"))]
    ]
    records = payload.get("attendanceRecords") or get(payload, "attendanceReport.attendanceRecords", [])
    people += [(get(r, "identity.displayName", ""), r.get("emailAddress")) for r in as_dicts(records)]
    transcript = payload.get("transcript")
    vtt = transcript.get("content") if isinstance(transcript, dict) else transcript
    return build(external_id, payload.get("subject"), start, end, people, vtt_segments(vtt))


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "id": s.external_id,
        "subject": s.title,
        "startDateTime": iso(s.started_at),
        "endDateTime": iso(s.ended_at),
        "participants": {
            "attendees": [{"upn": e, "identity": {"user": {"displayName": n}}} for n, e in s.people],
        },
        "transcript": {"content": f"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v {s.speaker}>{s.text}</v>"},
    }
