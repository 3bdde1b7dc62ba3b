"""Per-source adapters turning call-recorder payloads into one normalized transcript.

Pure Python: no Django, no network. Each adapter takes one decoded JSON record
(a webhook body or one item of an API/bulk export) and returns a
``NormalizedTranscript``; anything wrong with the essentials (id, start time,
end time or duration) raises ``AdapterError`` with a message naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_TEXT_CHARS = 1_000_000
UNKNOWN_SPEAKER = "Unknown speaker"


@dataclass(frozen=True)
class Participant:
    name: str  # "" when unknown
    email: str  # lower-cased, "" when unknown


@dataclass(frozen=True)
class NormalizedTranscript:
    external_id: str
    title: str
    started_at: datetime  # timezone-aware, UTC
    ended_at: datetime  # timezone-aware, UTC
    participants: tuple[Participant, ...]
    text: str


class AdapterError(ValueError):
    """A payload cannot be normalized; the message names the field in plain words."""


# --------------------------------------------------------------------------- helpers

_MISSING = object()


def _get(record, path: str, default=_MISSING):
    """Look up a dotted path such as "metaData.started" or "transcript.-1.end_time".

    Empty strings and nulls count as absent.

    Raises AdapterError naming the path when it is absent and no default is given.
    """
    value = record
    for key in path.split("."):
        if isinstance(value, list) and re.fullmatch(r"-?\d+", key) and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and value.get(key) not in (None, ""):
            value = value[key]
        else:
            if default is _MISSING:
                raise AdapterError(f"missing field '{path}'")
            return default
    return value


def _first_present(record, *paths: str) -> str:
    """The first of ``paths`` present in ``record``, else the first (so errors name it)."""
    return next((path for path in paths if _get(record, path, None) is not None), paths[0])


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _email(value) -> str:
    email = str(value or "").strip().lower()
    return email if "@" in email else ""


def _external_id(record: dict, *paths: str) -> str:
    path = _first_present(record, *paths)
    value = _get(record, path)
    if isinstance(value, (dict, list, bool)) or not str(value).strip():
        raise AdapterError(f"bad value for field '{path}': {value!r} is not an id")
    return str(value).strip()


def _datetime(value, field: str) -> datetime:
    """ISO-8601 (Z or offset; naive means UTC) or epoch seconds/milliseconds, in UTC."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # 1e11 seconds is the year 5138, while 1e11 milliseconds is 1973.
        seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise AdapterError(f"bad value for field '{field}': {value!r} is out of range") from None
    # More than "YYYY-MM-DD": a bare date has no time of day, so it is refused.
    if isinstance(value, str) and len(value.strip()) > 10:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    raise AdapterError(f"bad value for field '{field}': {value!r} is not a date and time")


def _required_datetime(record: dict, path: str) -> datetime:
    return _datetime(_get(record, path), path)


def _end(
    start: datetime,
    record: dict,
    end_path: str | None,
    duration_path: str | None = None,
    unit_seconds: float = 1,
) -> datetime:
    """End from ``end_path`` if present, else start + ``duration_path`` x ``unit_seconds``."""
    if end_path and (duration_path is None or _get(record, end_path, None) is not None):
        field = end_path
        end = _required_datetime(record, end_path)
    elif duration_path:
        field = duration_path
        raw = _get(record, duration_path)
        try:
            duration = float(raw) if not isinstance(raw, bool) else float("nan")
        except (TypeError, ValueError):
            duration = float("nan")
        if not 0 <= duration < 10 * 365 * 86400 / unit_seconds:  # also rejects NaN
            raise AdapterError(f"bad value for field '{field}': {raw!r} is not a valid duration")
        end = start + timedelta(seconds=duration * unit_seconds)
    else:
        raise AdapterError("no end time or duration field is configured")
    if end < start:
        raise AdapterError(f"bad value for field '{field}': the meeting ends before it starts")
    return end


def _participants(people: Iterable[tuple[object, object]]) -> tuple[Participant, ...]:
    """De-duplicate by email (or by name when there is no email), keeping first-seen order.

    A later entry fills in whatever the first one lacked, so a name-only speaker and an
    emailed attendee with the same name become one participant.
    """
    entries: list[list[str]] = []
    by_email: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for raw_name, raw_email in people:
        name, email = _text(raw_name), _email(raw_email)
        if not name and not email:
            continue
        entry = by_email.get(email) if email else None
        if entry is None and name:
            same_name = by_name.get(name.casefold())
            if same_name is not None and not (email and same_name[1]):
                entry = same_name
        if entry is None:
            entry = [name, email]
            entries.append(entry)
        else:
            entry[0] = entry[0] or name
            entry[1] = entry[1] or email
        if entry[1]:
            by_email.setdefault(entry[1], entry)
        if entry[0]:
            by_name.setdefault(entry[0].casefold(), entry)
    return tuple(Participant(name=name, email=email) for name, email in entries)


def _transcript_text(segments: Iterable[tuple[object, object]]) -> str:
    """Join (speaker, words) pairs as "Speaker: words" lines, merging consecutive turns.

    Capped at MAX_TEXT_CHARS; reading stops once the cap is passed.
    """
    turns: list[tuple[str, list[str]]] = []
    size = 0
    for raw_speaker, raw_words in segments:
        words = _text(raw_words)
        if not words:
            continue
        speaker = _text(raw_speaker) or UNKNOWN_SPEAKER
        if turns and turns[-1][0] == speaker:
            turns[-1][1].append(words)
        else:
            turns.append((speaker, [words]))
            size += len(speaker) + 3
        size += len(words) + 1
        if size > MAX_TEXT_CHARS:
            break
    text = "\n".join(f"{speaker}: {' '.join(words)}" for speaker, words in turns)
    return text[:MAX_TEXT_CHARS]


_VTT_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?\s+([^>]*)>(.*?)(?:</v>)?$")
_VTT_SPEAKER = re.compile(r"^([^:]{1,80}):\s+(.*)$")


def _vtt_segments(vtt) -> list[tuple[str, str]]:
    """(speaker, words) pairs from WebVTT: Teams ``<v Name>words``, Zoom ``Name: words``.

    A cue's continuation lines keep the speaker of the line before them.
    """
    segments: list[tuple[str, str]] = []
    if not isinstance(vtt, str):
        return segments
    for block in re.split(r"\r?\n\s*\r?\n", vtt):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE and STYLE blocks
        speaker = ""
        for line in lines[timing + 1 :]:
            voice, named = _VTT_VOICE.match(line), _VTT_SPEAKER.match(line)
            if voice:
                speaker, words = voice.group(1), voice.group(2)
            elif named:
                speaker, words = named.group(1), named.group(2)
            else:
                words = line
            segments.append((speaker, re.sub(r"<[^>]+>", "", words)))
    return segments


def _build(external_id, title, start, end, people, segments) -> NormalizedTranscript:
    return NormalizedTranscript(
        external_id=external_id,
        title=_text(title),
        started_at=start,
        ended_at=end,
        participants=_participants(people),
        text=_transcript_text(segments),
    )


# --------------------------------------------------------------------------- adapters


def zoom(payload: dict) -> NormalizedTranscript:
    # Zoom "recording.transcript_completed" webhook ({event, payload: {object}}) or a
    # GET /meetings/{id}/recordings item: uuid, topic, start_time (ISO), duration
    # (minutes), host_email; "transcript" is the downloaded TRANSCRIPT file (WebVTT with
    # "Name: words" cues), "participants" GET /past_meetings/{uuid}/participants.
    meeting = _get(payload, "payload.object", payload)
    if not isinstance(meeting, dict):
        raise AdapterError("bad value for field 'payload.object': not a JSON object")
    # uuid identifies this occurrence; the numeric id repeats for recurring meetings.
    external_id = _external_id(meeting, "uuid", "id")
    start = _required_datetime(meeting, "start_time")
    end = _end(start, meeting, None, "duration", 60)
    people = [(meeting.get("host_name"), meeting.get("host_email"))]
    people += [
        (p.get("name") or p.get("user_name"), p.get("user_email") or p.get("email"))
        for p in _dicts(meeting.get("participants"))
    ]
    vtt = meeting.get("transcript") or payload.get("transcript")
    return _build(external_id, meeting.get("topic"), start, end, people, _vtt_segments(vtt))


def teams(payload: dict) -> NormalizedTranscript:
    # Microsoft Graph onlineMeeting (id, subject, startDateTime, endDateTime, participants
    # {organizer, attendees[]: {upn, identity.user.displayName}}), with its callTranscript
    # under "transcript" (WebVTT "content", <v Name> cues) and the meetingAttendanceReport's
    # attendanceRecords (emailAddress, identity.displayName).
    external_id = _external_id(payload, "id")
    start = _required_datetime(payload, "startDateTime")
    end = _end(start, payload, "endDateTime")
    roster = _dict(payload.get("participants"))
    people = [
        (_get(info, "identity.user.displayName", ""), info.get("upn"))
        for info in [_dict(roster.get("organizer")), *_dicts(roster.get("attendees"))]
    ]
    records = payload.get("attendanceRecords") or _get(payload, "attendanceReport.attendanceRecords", [])
    people += [(_get(r, "identity.displayName", ""), r.get("emailAddress")) for r in _dicts(records)]
    transcript = payload.get("transcript")
    vtt = transcript.get("content") if isinstance(transcript, dict) else transcript
    return _build(external_id, payload.get("subject"), start, end, people, _vtt_segments(vtt))


def fireflies(payload: dict) -> NormalizedTranscript:
    # Fireflies GraphQL `transcript` object (bare or as {data: {transcript}}): id, title,
    # date (ms epoch), duration (minutes), meeting_attendees {displayName, email, name},
    # organizer_email, participants (emails), speakers {name},
    # sentences {speaker_name, text}.
    record = _get(payload, "data.transcript", payload)
    if not isinstance(record, dict):
        raise AdapterError("bad value for field 'data.transcript': not a JSON object")
    external_id = _external_id(record, "id")
    start = _required_datetime(record, "date")
    end = _end(start, record, None, "duration", 60)
    people = [(a.get("displayName") or a.get("name"), a.get("email")) for a in _dicts(record.get("meeting_attendees"))]
    emails = [record.get("organizer_email"), *(record.get("participants") or [])]
    people += [("", part) for email in emails if isinstance(email, str) for part in email.split(",")]
    people += [(s.get("name"), "") for s in _dicts(record.get("speakers"))]
    segments = [(s.get("speaker_name"), s.get("text") or s.get("raw_text")) for s in _dicts(record.get("sentences"))]
    return _build(external_id, record.get("title"), start, end, people, segments)


def fathom(payload: dict) -> NormalizedTranscript:
    # Fathom "new meeting content ready" webhook / GET /external/v1/meetings item:
    # recording_id, meeting_title/title, recording_start_time, recording_end_time,
    # recorded_by, calendar_invitees, transcript[] {speaker {display_name,
    # matched_calendar_invitee_email}, text, timestamp}.
    external_id = _external_id(payload, "recording_id")
    start = _required_datetime(payload, "recording_start_time")
    end = _end(start, payload, "recording_end_time")
    recorded_by = _dict(payload.get("recorded_by"))
    people = [(recorded_by.get("name"), recorded_by.get("email"))]
    people += [(i.get("name"), i.get("email")) for i in _dicts(payload.get("calendar_invitees"))]
    segments = []
    for item in _dicts(payload.get("transcript")):
        speaker = _dict(item.get("speaker"))
        people.append((speaker.get("display_name"), speaker.get("matched_calendar_invitee_email")))
        segments.append((speaker.get("display_name"), item.get("text")))
    title = payload.get("meeting_title") or payload.get("title")
    return _build(external_id, title, start, end, people, segments)


def granola(payload: dict) -> NormalizedTranscript:
    # Granola public API note (GET /v1/notes/{id}?include=transcript): id, title, owner,
    # attendees, calendar_event {event_title, scheduled_start_time, scheduled_end_time,
    # invitees}, transcript[] {speaker {source: microphone|speaker, name,
    # diarization_label}, text, start_time, end_time}. A note with no calendar event falls
    # back to the transcript's first/last timestamps (assumed ISO-8601).
    external_id = _external_id(payload, "id")
    start = _required_datetime(
        payload,
        _first_present(payload, "calendar_event.scheduled_start_time", "transcript.0.start_time"),
    )
    end = _end(
        start,
        payload,
        _first_present(payload, "calendar_event.scheduled_end_time", "transcript.-1.end_time"),
    )
    owner, event = _dict(payload.get("owner")), _dict(payload.get("calendar_event"))
    people = [(owner.get("name"), owner.get("email"))]
    people += [(a.get("name"), a.get("email")) for a in _dicts(payload.get("attendees"))]
    people += [("", i.get("email")) for i in _dicts(event.get("invitees"))]
    segments = []
    for item in _dicts(payload.get("transcript")):
        speaker = _dict(item.get("speaker"))
        mine = owner.get("name") if speaker.get("source") == "microphone" else ""
        segments.append(
            (
                speaker.get("name") or mine or speaker.get("diarization_label"),
                item.get("text"),
            )
        )
    title = payload.get("title") or event.get("event_title")
    return _build(external_id, title, start, end, people, segments)


def gong(payload: dict) -> NormalizedTranscript:
    # Gong POST /v2/calls/extensive item: metaData {id, title, started (ISO), duration
    # (seconds)}, parties[] {speakerId, name, emailAddress}; "transcript" is the call's
    # POST /v2/calls/transcript entry ([{speakerId, sentences[{start, end, text}]}] or the
    # whole {callId, transcript}). Also takes the automation-rule webhook {callData, isTest}
    # and a flat GET /v2/calls item (id, started, duration).
    payload = _get(payload, "callData", payload)
    if not isinstance(payload, dict):
        raise AdapterError("bad value for field 'callData': not a JSON object")
    prefix = "metaData." if isinstance(payload.get("metaData"), dict) else ""
    external_id = _external_id(payload, prefix + "id")
    start = _required_datetime(payload, prefix + "started")
    end = _end(start, payload, None, prefix + "duration")
    parties = _dicts(payload.get("parties"))
    people = [(p.get("name"), p.get("emailAddress")) for p in parties]
    names = {str(p["speakerId"]): p.get("name") for p in parties if p.get("speakerId") is not None}
    transcript = payload.get("transcript")
    if isinstance(transcript, dict):
        transcript = transcript.get("transcript")
    segments = [
        (names.get(str(monologue.get("speakerId")), ""), sentence.get("text"))
        for monologue in _dicts(transcript)
        for sentence in _dicts(monologue.get("sentences"))
    ]
    return _build(external_id, _get(payload, prefix + "title", ""), start, end, people, segments)


SOURCES: dict[str, Callable[[dict], NormalizedTranscript]] = {
    "zoom": zoom,
    "teams": teams,
    "fireflies": fireflies,
    "fathom": fathom,
    "granola": granola,
    "gong": gong,
}

SOURCE_LABELS: dict[str, str] = {
    "zoom": "Zoom",
    "teams": "Microsoft Teams",
    "fireflies": "Fireflies",
    "fathom": "Fathom",
    "granola": "Granola",
    "gong": "Gong",
}

# Where each source's list endpoints / bulk exports put their records.
WRAPPER_KEYS: dict[str, tuple[str, ...]] = {
    "zoom": ("meetings", "recordings"),  # GET /users/{id}/recordings -> meetings[]
    "teams": ("value",),  # Graph collections
    "fireflies": ("data", "transcripts"),  # GraphQL {data: {transcripts: [...]}}
    "fathom": ("items",),  # GET /meetings -> items[]
    "granola": ("notes",),  # GET /v1/notes -> notes[]
    "gong": ("calls",),  # POST /v2/calls/extensive -> calls[]
}


def _adapter(source: str) -> Callable[[dict], NormalizedTranscript]:
    try:
        return SOURCES[source]
    except (KeyError, TypeError):
        known = ", ".join(SOURCES)
        raise AdapterError(f"unknown source {source!r}; expected one of: {known}") from None


def normalize(source: str, payload: dict) -> NormalizedTranscript:
    adapter = _adapter(source)
    if not isinstance(payload, dict):
        raise AdapterError(f"a {SOURCE_LABELS[source]} record must be a JSON object")
    return adapter(payload)


def _unwrap(source: str, document):
    """The list under a documented wrapper key, or ``document`` itself."""
    # Fireflies GraphQL answers: {data: {transcripts: [...]}} or {data: {transcript: {}}}.
    data = document.get("data") if isinstance(document, dict) else None
    if source == "fireflies" and isinstance(data, dict):
        if isinstance(data.get("transcripts"), list):
            return data["transcripts"]
        if isinstance(data.get("transcript"), dict):
            return [data["transcript"]]
    if isinstance(document, dict):
        for key in WRAPPER_KEYS[source]:
            if isinstance(document.get(key), list):
                return document[key]
    return document


def split_records(source: str, document) -> list[dict]:
    """Per-meeting records of a bulk export: one object, a list, or a documented wrapper."""
    _adapter(source)
    records = _unwrap(source, document)
    records = [records] if isinstance(records, dict) else records
    if not isinstance(records, list):
        raise AdapterError("expected a JSON object or a list of objects")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise AdapterError(f"record {index + 1} is not a JSON object")
    records = list(records)
    if source == "gong" and isinstance(document, dict) and isinstance(document.get("callTranscripts"), list):
        # An export holding both API answers: attach each call's transcript by call id.
        by_call = {str(t.get("callId")): t.get("transcript") for t in _dicts(document["callTranscripts"])}
        for index, record in enumerate(records):
            call_id = str(_get(record, "metaData.id", ""))
            if not record.get("transcript") and call_id in by_call:
                records[index] = {**record, "transcript": by_call[call_id]}
    return records
