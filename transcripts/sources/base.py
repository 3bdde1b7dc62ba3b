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
MAX_ID_CHARS = 255  # Transcript.external_id
MAX_TITLE_CHARS = 500  # Transcript.title
MAX_NAME_CHARS = 255
MAX_EMAIL_CHARS = 320
UNKNOWN_SPEAKER = "Unknown speaker"
# PostgreSQL stores no NUL in text or jsonb, and no encoder takes a lone surrogate. json.loads joins
# a valid pair into one code point, so any surrogate left in a str is unpaired.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT = re.compile(r"-?\d+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


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
        if isinstance(value, list) and _INT.fullmatch(key) and -len(value) <= int(key) < len(value):
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


def storable(value: str) -> str:
    """``value`` without what no database column can hold (NUL, unpaired surrogates)."""
    return _UNSTORABLE.sub("", value)


def _scalar_text(value) -> str:
    # Only scalars are text: a list or an object where a name belongs is no name.
    if value is None or isinstance(value, (dict, list, tuple, bool)):
        return ""
    if isinstance(value, int) and abs(value) > 10**50:
        return ""
    return storable(str(value))


def clean_text(value, limit: int | None = None) -> str:
    text = " ".join(_scalar_text(value).split())
    return text[:limit] if limit else text


def clean_email(value) -> str:
    email = _scalar_text(value).strip().lower()
    return email if "@" in email and len(email) <= MAX_EMAIL_CHARS and not any(c.isspace() for c in email) else ""


def external_id_of(record: dict, *paths: str) -> str:
    path = first_present(record, *paths)
    value = get(record, path)
    text = _scalar_text(value).strip()
    if isinstance(value, (dict, list, bool)) or not text:
        raise AdapterError(f"bad value for field '{path}': {_short(value)} is not an id")
    if len(text) > MAX_ID_CHARS:
        raise AdapterError(f"bad value for field '{path}': longer than {MAX_ID_CHARS} characters")
    return text


def _short(value) -> str:
    """A value for an error message: repr, cut short (a 5 MB field must not come back in a 400)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = "a number"
    text = storable(text)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_datetime(value, field: str) -> datetime:
    """ISO-8601 (Z or offset; naive means UTC) or epoch seconds/milliseconds, in UTC."""
    if isinstance(value, str) and len(value) < 40 and _NUMBER.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            # 1e11 seconds is the year 5138, while 1e11 milliseconds is 1973.
            seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
            return _in_range(datetime.fromtimestamp(seconds, tz=UTC), field)
        except (OverflowError, OSError, ValueError):
            raise AdapterError(f"bad value for field '{field}': {_short(value)} is out of range") from None
    # More than "YYYY-MM-DD": a bare date has no time of day, so it is refused.
    if isinstance(value, str) and 10 < len(value.strip()) <= 64:
        try:
            parsed = datetime.fromisoformat(value.strip())
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            # 0001-01-01T00:00:00+01:00 is before the first representable UTC moment.
            moment = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            moment = None
        if moment is not None:
            return _in_range(moment, field)
    raise AdapterError(f"bad value for field '{field}': {_short(value)} is not a date and time")


# Meetings happen between these; anything outside is a broken clock, and keeping a margin from
# datetime.min/max means start + duration and the matching tolerance never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(moment: datetime, field: str) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise AdapterError(f"bad value for field '{field}': {moment.isoformat()} is out of range")
    return moment


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
            duration = float(raw) if isinstance(raw, (int, float, str)) and not isinstance(raw, bool) else float("nan")
        except (TypeError, ValueError, OverflowError):
            duration = float("nan")
        if not 0 <= duration < 10 * 365 * 86400 / unit_seconds:  # also rejects NaN and infinity
            raise AdapterError(f"bad value for field '{field}': {_short(raw)} is not a valid duration")
        end = start + timedelta(seconds=duration * unit_seconds)
        if end >= LATEST:
            raise AdapterError(f"bad value for field '{field}': the meeting ends after the year 9000")
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
        name, email = clean_text(raw_name, MAX_NAME_CHARS), clean_email(raw_email)
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


_MAX_SPEAKER_CHARS = 80


def _strip_tags(line: str) -> str:
    """The text of a cue line without its <...> tags; one pass, linear in the line."""
    out: list[str] = []
    pos = 0
    while True:
        opening = line.find("<", pos)
        if opening < 0:
            out.append(line[pos:])
            break
        closing = line.find(">", opening + 1)
        if closing < 0:  # no tag after all: keep the text as it is
            out.append(line[pos:])
            break
        if closing == opening + 1:  # "<>" is text, not a tag
            out.append(line[pos : opening + 1])
            pos = opening + 1
            continue
        out.append(line[pos:opening])
        pos = closing + 1
    return "".join(out)


def _cue_line(line: str) -> tuple[str | None, str]:
    """(speaker or None, words) of one cue line: ``<v Name>words</v>`` or ``Name: words``."""
    if line.startswith("<v") and len(line) > 2 and (line[2] == "." or line[2].isspace()):
        closing = line.find(">")
        if closing > 0:
            tag = line[2:closing]
            if tag.startswith("."):  # <v.loud Name>: the classes end at the first space
                space = next((i for i, c in enumerate(tag) if c.isspace()), -1)
                tag = tag[space:] if space >= 0 else ""
            if tag[:1].isspace():
                words = line[closing + 1 :]
                if words.endswith("</v>"):
                    words = words[: -len("</v>")]
                return tag.strip(), words
    colon = line.find(":", 0, _MAX_SPEAKER_CHARS + 1)
    if colon > 0 and colon + 1 < len(line) and line[colon + 1].isspace():
        words = line[colon + 1 :].lstrip()
        if words:
            return line[:colon], words
    return None, line


def _vtt_blocks(vtt: str):
    """Cue blocks: runs of non-blank lines (what the WebVTT spec separates with a blank line)."""
    block: list[str] = []
    for raw in vtt.splitlines():
        line = raw.strip()
        if line:
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def vtt_segments(vtt) -> list[tuple[str, str]]:
    """(speaker, words) pairs from WebVTT: Teams ``<v Name>words``, Zoom ``Name: words``.

    A cue's continuation lines keep the speaker of the line before them. Linear in the input: plain
    string scanning, no backtracking regular expression (a 150 KB body must not stall a worker).
    """
    segments: list[tuple[str, str]] = []
    if not isinstance(vtt, str):
        return segments
    for lines in _vtt_blocks(vtt):
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE and STYLE blocks
        speaker = ""
        for line in lines[timing + 1 :]:
            named, words = _cue_line(line)
            if named is not None:
                speaker = named
            segments.append((speaker, _strip_tags(words)))
    return segments


def parse_total(parse, payload, label: str) -> NormalizedTranscript:
    """Run a source's ``parse`` so that any JSON value gives a transcript or an AdapterError.

    The sources check what they know to check; this is the backstop for what they did not foresee
    (a number where a list belongs, say): the one typed error, never a 500 or a dead task.
    """
    try:
        return parse(payload)
    except AdapterError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        raise AdapterError(f"not a valid {label} record ({type(exc).__name__})") from None


def build(external_id, title, start, end, people, segments) -> NormalizedTranscript:
    return NormalizedTranscript(
        external_id=external_id,
        title=clean_text(title, MAX_TITLE_CHARS),
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
