"""What every transcript source shares: the normalized transcript and the parsing helpers.

Pure Python: no Django, no network. A source's ``parse`` takes one decoded JSON record (a webhook body or
one item of an API/bulk export) and returns a ``NormalizedTranscript``; anything wrong with the essentials
(id, start time, end time or duration) raises ``AdapterError`` with a message naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


_MISSING = object()


def get(record, path: str, default=_MISSING):
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


def first_present(record, *paths: str) -> str:
    """The first of ``paths`` present in ``record``, else the first (so errors name it)."""
    return next((path for path in paths if get(record, path, None) is not None), paths[0])


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def clean_text(value) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def clean_email(value) -> str:
    email = str(value or "").strip().lower()
    return email if "@" in email else ""


def external_id_of(record: dict, *paths: str) -> str:
    path = first_present(record, *paths)
    value = get(record, path)
    if isinstance(value, (dict, list, bool)) or not str(value).strip():
        raise AdapterError(f"bad value for field '{path}': {value!r} is not an id")
    return str(value).strip()


def parse_datetime(value, field: str) -> datetime:
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


def required_datetime(record: dict, path: str) -> datetime:
    return parse_datetime(get(record, path), path)


def end_of(
    start: datetime,
    record: dict,
    end_path: str | None,
    duration_path: str | None = None,
    unit_seconds: float = 1,
) -> datetime:
    """End from ``end_path`` if present, else start + ``duration_path`` x ``unit_seconds``."""
    if end_path and (duration_path is None or get(record, end_path, None) is not None):
        field = end_path
        end = required_datetime(record, end_path)
    elif duration_path:
        field = duration_path
        raw = get(record, duration_path)
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


def participants_of(people: Iterable[tuple[object, object]]) -> tuple[Participant, ...]:
    """De-duplicate by email (or by name when there is no email), keeping first-seen order.

    A later entry fills in whatever the first one lacked, so a name-only speaker and an
    emailed attendee with the same name become one participant.
    """
    entries: list[list[str]] = []
    by_email: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for raw_name, raw_email in people:
        name, email = clean_text(raw_name), clean_email(raw_email)
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


def transcript_text(segments: Iterable[tuple[object, object]]) -> str:
    """Join (speaker, words) pairs as "Speaker: words" lines, merging consecutive turns.

    Capped at MAX_TEXT_CHARS; reading stops once the cap is passed.
    """
    turns: list[tuple[str, list[str]]] = []
    size = 0
    for raw_speaker, raw_words in segments:
        words = clean_text(raw_words)
        if not words:
            continue
        speaker = clean_text(raw_speaker) or UNKNOWN_SPEAKER
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


def vtt_segments(vtt) -> list[tuple[str, str]]:
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


def build(external_id, title, start, end, people, segments) -> NormalizedTranscript:
    return NormalizedTranscript(
        external_id=external_id,
        title=clean_text(title),
        started_at=start,
        ended_at=end,
        participants=participants_of(people),
        text=transcript_text(segments),
    )


def unwrap(document, wrapper_keys: tuple[str, ...]):
    """The list under the first documented wrapper key present, or ``document`` itself."""
    if isinstance(document, dict):
        for key in wrapper_keys:
            if isinstance(document.get(key), list):
                return document[key]
    return document


def split(document, wrapper_keys: tuple[str, ...]) -> list[dict]:
    """Per-meeting records of a bulk export: one object, a list, or a list under a wrapper key."""
    records = unwrap(document, wrapper_keys)
    records = [records] if isinstance(records, dict) else records
    if not isinstance(records, list):
        raise AdapterError("expected a JSON object or a list of objects")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise AdapterError(f"record {index + 1} is not a JSON object")
    return list(records)


@dataclass(frozen=True)
class Sample:
    """The meeting a sample delivery is built around (the Transcript sources page's curl command)."""

    external_id: str
    title: str
    started_at: datetime
    ended_at: datetime
    minutes: int
    people: list[tuple[str, str]]  # (name, email)
    speaker: str
    text: str


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
