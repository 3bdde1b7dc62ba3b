"""Fireflies transcripts: the webhook says which meeting is ready (push), the GraphQL API gives it (fetch).

Facts (vendors.md §2): webhook V1 {meetingId, eventType} (https://docs.fireflies.ai/graphql-api/webhooks) and V2
{event, timestamp, meeting_id} (https://docs.fireflies.ai/graphql-api/webhooks-v2), signed in x-hub-signature with
HMAC-SHA256 of the body with a 16-32 character secret; GraphQL at {FIREFLIES_API_URL}/graphql with
"Authorization: Bearer <API key>" (https://docs.fireflies.ai/fundamentals/authorization); errors in errors[] with
code and extensions.status (https://docs.fireflies.ai/fundamentals/errors).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from transcripts.sources import base, http
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
from transcripts.sources.protocol import (
    CredentialField,
    Mode,
    SignatureError,
    SourceError,
    auth_error,
    protocol_error,
    unavailable,
)

MODE = Mode.PUSH
HELP = "In Fireflies: Integrations → Fireflies API for the key, Settings → Developer settings → Webhook for the rest."
CREDENTIAL_FIELDS = (
    CredentialField("api_key", "API key", "Integrations → Fireflies API."),
    CredentialField(
        "webhook_secret",
        "Webhook secret",
        "The secret you enter next to the webhook URL in Fireflies: 16–32 characters.",
        min_length=16,
        max_length=32,
    ),
)
READY_EVENTS = {"Transcription completed", "Transcription complete", "meeting.transcribed"}
QUERY = (
    "query Transcript($transcriptId: String!) { transcript(id: $transcriptId) { id title date dateString duration "
    "organizer_email participants meeting_attendees { displayName email name } speakers { id name } "
    "sentences { index speaker_name text start_time end_time } } }"
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
    start = required_datetime(record, "dateString" if record.get("dateString") else "date")
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


# --------------------------------------------------------------------------- push


def verify(*, headers, body: bytes, credentials: dict, now: float) -> None:
    secret = credentials.get("webhook_secret") or ""
    if not secret:
        raise SignatureError("This Fireflies source has no Webhook secret yet; a workspace admin must save it.")
    given = (headers.get("x-hub-signature") or "").strip()
    if not given:
        raise SignatureError("The x-hub-signature header is missing.")
    given = given[7:] if given.lower().startswith("sha256=") else given
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise SignatureError("The x-hub-signature does not match the body.")


def handshake(*, payload, credentials: dict) -> dict | None:
    return None


def meeting_id(payload: dict) -> str:
    value = payload.get("meetingId") or payload.get("meeting_id")
    if not isinstance(value, str) or not value.strip():
        raise AdapterError("not a Fireflies webhook: no 'meetingId' (or 'meeting_id')")
    return value.strip()


def check(*, payload) -> bool:
    if not isinstance(payload, dict):
        raise AdapterError("a Fireflies webhook must be a JSON object")
    meeting_id(payload)
    event = payload.get("eventType") or payload.get("event")
    if not isinstance(event, str):
        raise AdapterError("not a Fireflies webhook: no 'eventType' (or 'event')")
    return event in READY_EVENTS


def delivery_key(*, headers, payload: dict) -> str:
    return f"transcribed:{meeting_id(payload)}"[:255]


def graphql(query: str, variables: dict, credentials: dict) -> dict:
    if not credentials.get("api_key"):
        raise auth_error(None, "no API key is saved")
    body = http.request_json(
        "POST",
        f"{settings.FIREFLIES_API_URL}/graphql",
        allowed_base=settings.FIREFLIES_API_URL,
        headers={"Authorization": f"Bearer {credentials['api_key']}"},
        json={"query": query, "variables": variables},
    )
    errors = as_dicts(body.get("errors"))
    if errors:
        raise graphql_error(errors[0])
    if not isinstance(body.get("data"), dict):
        raise protocol_error("the answer has no data")
    return body["data"]


def graphql_error(error: dict) -> SourceError:
    extensions = error.get("extensions") if isinstance(error.get("extensions"), dict) else {}
    code = str(error.get("code") or extensions.get("code") or "")
    status = extensions.get("status") if isinstance(extensions.get("status"), int) else None
    message = str(error.get("message") or code)
    if code in ("forbidden", "auth_failed", "account_cancelled", "paid_required") or status in (401, 403):
        return auth_error(status, message)
    if code == "too_many_requests" or status == 429:
        metadata = extensions.get("metadata") if isinstance(extensions.get("metadata"), dict) else {}
        retry = metadata.get("retryAfter")
        return unavailable(429, message, float(retry) if isinstance(retry, (int, float)) else None)
    if code == "object_not_found" or status == 404:
        return SourceError("not_found", 404, message[:300], permanent=True)
    if status and status >= 500:
        return unavailable(status, message)
    return protocol_error(message, status)


def fetch(*, payload: dict, credentials: dict) -> list[dict]:
    data = graphql(QUERY, {"transcriptId": meeting_id(payload)}, credentials)
    if not isinstance(data.get("transcript"), dict):
        raise SourceError("not_found", None, "Fireflies has no transcript with this id", permanent=True)
    return [data["transcript"]]


def test_connection(*, credentials: dict) -> str:
    user = graphql("{ user { name email } }", {}, credentials).get("user") or {}
    who = " ".join(str(user.get(k)) for k in ("name", "email") if user.get(k))
    return f"Fireflies accepted the API key{f' of {who}' if who else ''}."
