"""Gong calls with their transcripts: parsing, and pulling them from Gong's API (MODE = PULL).

Facts from Gong's published OpenAPI "Gong API" V2 and https://help.gong.io/apidocs/introduction-2
(/work/tools/vendors.md §4): Basic auth with Base64(access key:access key secret); POST /v2/calls/extensive
(filter.fromDateTime, contentSelector.exposedFields.parties, records.cursor "returned only when there are more
records", 404 "No calls found for the specified period"); POST /v2/calls/transcript (filter.callIds, monologues
by speakerId); GET /v2/users as the cheap test call; 429 with Retry-After in seconds.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from django.conf import settings

from transcripts.sources import base, http
from transcripts.sources.base import (
    AdapterError,
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
)
from transcripts.sources.protocol import CredentialField, Mode, PullPage, SourceError, protocol_error

MODE = Mode.PULL
CREDENTIAL_FIELDS: tuple[CredentialField, ...] = (
    CredentialField(
        "access_key",
        "Access key",
        help="A Gong technical administrator creates it on Gong's API page (app.gong.io/company/api-authentication).",
    ),
    CredentialField(
        "access_key_secret", "Access key secret", help="Created together with the access key on the same page."
    ),
)
# Gong's transcript endpoint takes call ids; ask for one page of calls' transcripts at a time.
MAX_TRANSCRIPT_PAGES = 20
# Gong transcribes after the call; a recent call without a transcript is asked about again, an older one is
# delivered as it is (its parse says there is no text).
TRANSCRIPT_LAG = timedelta(hours=24)

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
    # speakerId links a transcript monologue to the party who spoke; a party without a name shows its email.
    names = {
        str(p["speakerId"]): p.get("name") or p.get("emailAddress") for p in parties if p.get("speakerId") is not None
    }
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


# --- the API (PULL) ---------------------------------------------------------------------------


def _headers(credentials: dict) -> dict:
    key, secret = str(credentials.get("access_key", "")), str(credentials.get("access_key_secret", ""))
    token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _call(method: str, path: str, credentials: dict, *, not_found_ok: bool = False, **kwargs) -> dict | None:
    """One Gong call through the vendor helper (host, TLS, timeout, error kinds); None for a 404 when
    `not_found_ok` — Gong's "No calls found for the specified period"."""
    base_url = settings.GONG_API_URL
    headers = {"Accept": "application/json", **_headers(credentials)}
    try:
        return http.request_json(method, f"{base_url}{path}", allowed_base=base_url, headers=headers, **kwargs)
    except SourceError as exc:
        if not_found_ok and exc.kind == "not_found":
            return None
        raise


def _cursor(data: dict) -> str:
    return http.check_cursor(str(as_dict(data.get("records")).get("cursor") or ""), allowed_base=settings.GONG_API_URL)


def test_connection(*, credentials: dict) -> str:
    """GET /v2/users (one page): proves the key pair and says how many users it sees."""
    data = _call("GET", "/v2/users", credentials) or {}
    total = as_dict(data.get("records")).get("totalRecords")
    if total is None:
        total = len(as_dicts(data.get("users")))
    return f"Gong accepted the access key ({total} users visible)"


def _transcripts(call_ids: list[str], credentials: dict) -> dict[str, list]:
    """POST /v2/calls/transcript for these calls, following its cursor; {call id: monologues}."""
    found: dict[str, list] = {}
    cursor = ""
    for _ in range(MAX_TRANSCRIPT_PAGES):
        body: dict = {"filter": {"callIds": call_ids}}
        if cursor:
            body["cursor"] = cursor
        data = _call("POST", "/v2/calls/transcript", credentials, json=body, not_found_ok=True) or {}
        for item in as_dicts(data.get("callTranscripts")):
            found[str(item.get("callId"))] = item.get("transcript") or []
        cursor = _cursor(data)
        if not cursor:
            return found
    raise protocol_error("Gong kept sending transcript pages; stopped")


def pull(*, credentials: dict, since: datetime | str, cursor: str = "", now: datetime | None = None) -> PullPage:
    """One page of calls started from `since` (with their parties), each with its transcript attached.

    Records are {metaData, parties, transcript} — what `parse` reads. A 404 is Gong's "no calls found for
    the specified period": an empty page, not an error. A call of the last TRANSCRIPT_LAG without a transcript
    yet is left out, and `newest` stays at or before it.
    """
    cursor = http.check_cursor(cursor, allowed_base=settings.GONG_API_URL)
    body: dict = {
        "filter": {"fromDateTime": iso(since) if isinstance(since, datetime) else since},
        "contentSelector": {"exposedFields": {"parties": True}},
    }
    if cursor:
        body["cursor"] = cursor  # "All other request inputs should remain the same."
    data = _call("POST", "/v2/calls/extensive", credentials, json=body, not_found_ok=True)
    if data is None:
        return PullPage(records=[])
    calls = as_dicts(data.get("calls"))
    ids = [str(get(c, "metaData.id", "")) for c in calls if get(c, "metaData.id", "")]
    transcripts = _transcripts(ids, credentials) if ids else {}
    records, started, waiting = [], [], []
    recent = (now or datetime.now(UTC)) - TRANSCRIPT_LAG
    for call in calls:
        moment = _started(call)
        transcript = transcripts.get(str(get(call, "metaData.id", "")), [])
        if not transcript and moment is not None and moment > recent:
            waiting.append(moment)  # Gong is still transcribing it: leave it for the next run
            continue
        records.append({**call, "transcript": transcript})
        if moment is not None:
            started.append(moment)
    next_cursor = _cursor(data)
    # Never past a call still waiting for its transcript, so asking from `newest` next time sees it again.
    newest = min(waiting) if waiting else (max(started) if started else None)
    return PullPage(records=records, cursor=next_cursor, newest=iso(newest) if newest else "")


def _started(call: dict) -> datetime | None:
    try:
        return base.parse_datetime(get(call, "metaData.started", ""), "metaData.started")
    except AdapterError:
        return None
