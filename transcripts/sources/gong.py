"""Gong calls with their transcripts."""

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
)

# Where the list endpoints and bulk exports put their records: POST /v2/calls/extensive -> calls[].
WRAPPER_KEYS: tuple[str, ...] = ("calls",)


def parse(payload: dict) -> NormalizedTranscript:
    # Gong POST /v2/calls/extensive item: metaData {id, title, started (ISO), duration
    # (seconds)}, parties[] {speakerId, name, emailAddress}; "transcript" is the call's
    # POST /v2/calls/transcript entry ([{speakerId, sentences[{start, end, text}]}] or the
    # whole {callId, transcript}). Also takes the automation-rule webhook {callData, isTest}
    # and a flat GET /v2/calls item (id, started, duration).
    payload = get(payload, "callData", payload)
    if not isinstance(payload, dict):
        raise AdapterError("bad value for field 'callData': not a JSON object")
    prefix = "metaData." if isinstance(payload.get("metaData"), dict) else ""
    external_id = external_id_of(payload, prefix + "id")
    start = required_datetime(payload, prefix + "started")
    end = end_of(start, payload, None, prefix + "duration")
    parties = as_dicts(payload.get("parties"))
    people = [(p.get("name"), p.get("emailAddress")) for p in parties]
    names = {str(p["speakerId"]): p.get("name") for p in parties if p.get("speakerId") is not None}
    transcript = payload.get("transcript")
    if isinstance(transcript, dict):
        transcript = transcript.get("transcript")
    segments = [
        (names.get(str(monologue.get("speakerId")), ""), sentence.get("text"))
        for monologue in as_dicts(transcript)
        for sentence in as_dicts(monologue.get("sentences"))
    ]
    return build(external_id, get(payload, prefix + "title", ""), start, end, people, segments)


def split(document) -> list[dict]:
    records = base.split(document, WRAPPER_KEYS)
    if isinstance(document, dict) and isinstance(document.get("callTranscripts"), list):
        # An export holding both API answers: attach each call's transcript by call id.
        by_call = {str(t.get("callId")): t.get("transcript") for t in as_dicts(document["callTranscripts"])}
        for index, record in enumerate(records):
            call_id = str(get(record, "metaData.id", ""))
            if not record.get("transcript") and call_id in by_call:
                records[index] = {**record, "transcript": by_call[call_id]}
    return records


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "metaData": {"id": s.external_id, "title": s.title, "started": iso(s.started_at), "duration": s.minutes * 60},
        "parties": [{"speakerId": str(i), "name": n, "emailAddress": e} for i, (n, e) in enumerate(s.people)],
        "transcript": [{"speakerId": "0", "sentences": [{"start": 1000, "end": 5000, "text": s.text}]}],
    }
