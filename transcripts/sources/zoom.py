"""Zoom recordings and their transcripts."""

from __future__ import annotations

from transcripts.sources import base
from transcripts.sources.base import (
    AdapterError,
    NormalizedTranscript,
    Sample,
    as_dicts,
    build,
    end_of,
    external_id_of,
    get,
    iso,
    required_datetime,
    vtt_segments,
)

# Where the list endpoints and bulk exports put their records: GET /users/{id}/recordings -> meetings[].
WRAPPER_KEYS: tuple[str, ...] = ("meetings", "recordings")


def parse(payload: dict) -> NormalizedTranscript:
    # Zoom "recording.transcript_completed" webhook ({event, payload: {object}}) or a
    # GET /meetings/{id}/recordings item: uuid, topic, start_time (ISO), duration
    # (minutes), host_email; "transcript" is the downloaded TRANSCRIPT file (WebVTT with
    # "Name: words" cues), "participants" GET /past_meetings/{uuid}/participants.
    meeting = get(payload, "payload.object", payload)
    if not isinstance(meeting, dict):
        raise AdapterError("bad value for field 'payload.object': not a JSON object")
    # uuid identifies this occurrence; the numeric id repeats for recurring meetings.
    external_id = external_id_of(meeting, "uuid", "id")
    start = required_datetime(meeting, "start_time")
    end = end_of(start, meeting, None, "duration", 60)
    people = [(meeting.get("host_name"), meeting.get("host_email"))]
    people += [
        (p.get("name") or p.get("user_name"), p.get("user_email") or p.get("email"))
        for p in as_dicts(meeting.get("participants"))
    ]
    vtt = meeting.get("transcript") or payload.get("transcript")
    return build(external_id, meeting.get("topic"), start, end, people, vtt_segments(vtt))


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "uuid": s.external_id,
        "topic": s.title,
        "start_time": iso(s.started_at),
        "duration": s.minutes,
        "participants": [{"name": n, "user_email": e} for n, e in s.people],
        "transcript": f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n{s.speaker}: {s.text}",
    }
