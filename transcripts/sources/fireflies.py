"""Fireflies transcripts (GraphQL API)."""

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
    required_datetime,
)

# Where the list endpoints and bulk exports put their records: GraphQL {data: {transcripts: [...]}}.
WRAPPER_KEYS: tuple[str, ...] = ("data", "transcripts")


def parse(payload: dict) -> NormalizedTranscript:
    # Fireflies GraphQL `transcript` object (bare or as {data: {transcript}}): id, title,
    # date (ms epoch), duration (minutes), meeting_attendees {displayName, email, name},
    # organizer_email, participants (emails), speakers {name},
    # sentences {speaker_name, text}.
    record = get(payload, "data.transcript", payload)
    if not isinstance(record, dict):
        raise AdapterError("bad value for field 'data.transcript': not a JSON object")
    external_id = external_id_of(record, "id")
    start = required_datetime(record, "date")
    end = end_of(start, record, None, "duration", 60)
    people = [
        (a.get("displayName") or a.get("name"), a.get("email")) for a in as_dicts(record.get("meeting_attendees"))
    ]
    emails = [record.get("organizer_email"), *(record.get("participants") or [])]
    people += [("", part) for email in emails if isinstance(email, str) for part in email.split(",")]
    people += [(s.get("name"), "") for s in as_dicts(record.get("speakers"))]
    segments = [(s.get("speaker_name"), s.get("text") or s.get("raw_text")) for s in as_dicts(record.get("sentences"))]
    return build(external_id, record.get("title"), start, end, people, segments)


def split(document) -> list[dict]:
    # GraphQL answers: {data: {transcripts: [...]}} or {data: {transcript: {...}}}.
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict):
        if isinstance(data.get("transcripts"), list):
            return base.split(data["transcripts"], ())
        if isinstance(data.get("transcript"), dict):
            return base.split(data["transcript"], ())
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "id": s.external_id,
        "title": s.title,
        "date": int(s.started_at.timestamp() * 1000),
        "duration": s.minutes,
        "meeting_attendees": [{"displayName": n, "email": e} for n, e in s.people],
        "sentences": [{"speaker_name": s.speaker, "text": s.text}],
    }
