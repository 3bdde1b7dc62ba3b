"""Granola notes with their transcripts: parsing, and pulling them from Granola's public API (MODE = PULL).

Facts from https://docs.granola.ai/introduction, /api-reference/list-notes and /api-reference/get-note
(/work/tools/vendors.md §5): Bearer API key; GET /v1/notes (created_after, cursor, page_size 1–30) answers
{notes, hasMore, cursor}; GET /v1/notes/{note_id}?include=transcript (note_id ^not_[a-zA-Z0-9]{14}$; 404 for
a note without its summary and transcript yet); 429 when over 25 requests / 5 s (Retry-After not documented).
Granola has no webhooks.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from django.conf import settings

from transcripts.sources import base, http
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
from transcripts.sources.protocol import CredentialField, Mode, PullPage, SourceError, protocol_error

MODE = Mode.PULL
CREDENTIAL_FIELDS: tuple[CredentialField, ...] = (
    CredentialField(
        "api_key",
        "API key",
        help="In the Granola desktop app: Settings → Connectors → API keys → Create new key (Business plan).",
    ),
)
PAGE_SIZE = 30  # Granola's maximum
NOTE_ID = re.compile(r"^not_[a-zA-Z0-9]{14}$")

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


# --- the API (PULL) ---------------------------------------------------------------------------


def _call(path: str, credentials: dict, *, not_found_ok: bool = False, **kwargs) -> dict | None:
    """One Granola GET through the vendor helper (host, TLS, timeout, error kinds); None for a 404 when
    `not_found_ok` (a note without its summary and transcript yet)."""
    base_url = settings.GRANOLA_API_URL
    headers = {"Accept": "application/json", "Authorization": f"Bearer {credentials.get('api_key', '')}"}
    try:
        return http.request_json("GET", f"{base_url}{path}", allowed_base=base_url, headers=headers, **kwargs)
    except SourceError as exc:
        if not_found_ok and exc.kind == "not_found":
            return None
        raise


def test_connection(*, credentials: dict) -> str:
    """GET /v1/notes with page_size=1: proves the key without reading more than one note's title."""
    data = _call("/v1/notes", credentials, params={"page_size": 1}) or {}
    if not isinstance(data.get("notes"), list):
        raise protocol_error("Granola's answer has no list of notes")
    return "Granola accepted the API key" + (" (notes visible)" if data["notes"] else " (no notes yet)")


def pull(*, credentials: dict, since: datetime | str, cursor: str = "") -> PullPage:
    """One page of notes created after `since`, each fetched with its transcript (records for `parse`).

    A note Granola answers 404 for has no summary or transcript yet: it is left for a later run (the list
    only shows notes that have both, so this is a race, not a loss).
    """
    cursor = http.check_cursor(cursor, allowed_base=settings.GRANOLA_API_URL)
    params: dict = {"created_after": iso(since) if isinstance(since, datetime) else since, "page_size": PAGE_SIZE}
    if cursor:
        params["cursor"] = cursor
    data = _call("/v1/notes", credentials, params=params) or {}
    listed = data.get("notes")
    if not isinstance(listed, list):
        raise protocol_error("Granola's answer has no list of notes")
    records, created = [], []
    for item in as_dicts(listed):
        note_id = str(item.get("id") or "")
        if not NOTE_ID.match(note_id):
            raise protocol_error(f"Granola listed a note id that is not one: {note_id[:40]!r}")
        if item.get("created_at"):
            created.append(str(item["created_at"]))
        note = _call(
            f"/v1/notes/{quote(note_id, safe='')}", credentials, params={"include": "transcript"}, not_found_ok=True
        )
        if note is not None:
            records.append(note)
    next_cursor = str(data.get("cursor") or "") if data.get("hasMore") else ""
    next_cursor = http.check_cursor(next_cursor, allowed_base=settings.GRANOLA_API_URL)
    return PullPage(records=records, cursor=next_cursor, newest=_newest(created))


def _newest(values: list[str]) -> str:
    moments = []
    for value in values:
        try:
            moments.append(base.parse_datetime(value, "created_at"))
        except base.AdapterError:
            continue
    return iso(max(moments)) if moments else ""
