"""Fathom recordings: the "new meeting content ready" webhook carries the transcript and invitees (push).

Facts (vendors.md §3): Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature = space-separated
"v1,<base64 HMAC-SHA256(base64-decoded secret after whsec_, "{id}.{timestamp}.{raw body}")>", 5-minute tolerance
(https://developers.fathom.ai/webhooks); API key in X-Api-Key, GET {FATHOM_API_URL}/external/v1/meetings
(https://developers.fathom.ai/quickstart).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

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
    iso,
    required_datetime,
)
from transcripts.sources.protocol import CredentialField, Mode, SignatureError

MODE = Mode.PUSH
HELP = "In Fathom: Settings → API Access → Manage → Add Webhook, with “Include transcript” on; paste its secret here."
CREDENTIAL_FIELDS = (
    CredentialField("webhook_secret", "Webhook secret", "Shown when you add the webhook; it starts with whsec_."),
    CredentialField(
        "api_key", "API key", "Optional: Settings → API Access. Only used by Test connection.", required=False
    ),
)
MAX_SKEW_SECONDS = 5 * 60

# Where the list endpoints and bulk exports put their records: GET /meetings -> items[].
WRAPPER_KEYS: tuple[str, ...] = ("items",)


def parse(payload: dict) -> NormalizedTranscript:
    # Fathom "new meeting content ready" webhook / GET /external/v1/meetings item:
    # recording_id, meeting_title/title, recording_start_time, recording_end_time,
    # recorded_by, calendar_invitees, transcript[] {speaker {display_name,
    # matched_calendar_invitee_email}, text, timestamp}.
    external_id = external_id_of(payload, "recording_id", "url", "share_url")
    start = required_datetime(payload, "recording_start_time")
    end = end_of(start, payload, "recording_end_time")
    recorded_by = as_dict(payload.get("recorded_by"))
    people = [(recorded_by.get("name"), recorded_by.get("email"))]
    people += [(i.get("name"), i.get("email")) for i in as_dicts(payload.get("calendar_invitees"))]
    segments = []
    for item in as_dicts(payload.get("transcript")):
        speaker = as_dict(item.get("speaker"))
        people.append((speaker.get("display_name"), speaker.get("matched_calendar_invitee_email")))
        segments.append((speaker.get("display_name"), item.get("text")))
    title = payload.get("meeting_title") or payload.get("title")
    return build(external_id, title, start, end, people, segments)


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "recording_id": s.external_id,
        "meeting_title": s.title,
        "recording_start_time": iso(s.started_at),
        "recording_end_time": iso(s.ended_at),
        "calendar_invitees": [{"name": n, "email": e} for n, e in s.people],
        "transcript": [{"speaker": {"display_name": s.speaker}, "text": s.text}],
    }


# --------------------------------------------------------------------------- push


def secret_key(secret: str) -> bytes:
    if not secret.startswith("whsec_"):
        raise ValueError("a Fathom webhook secret starts with whsec_")
    try:
        return base64.b64decode(secret[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ is not base64") from None


def signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def verify(*, headers, body: bytes, credentials: dict, now: float) -> None:
    secret = credentials.get("webhook_secret") or ""
    webhook_id, stamp = headers.get("webhook-id") or "", (headers.get("webhook-timestamp") or "").strip()
    given = headers.get("webhook-signature") or ""
    if not secret:
        raise SignatureError("This Fathom source has no Webhook secret yet; a workspace admin must save it.")
    if not webhook_id or not stamp or not given:
        raise SignatureError("The webhook-id, webhook-timestamp or webhook-signature header is missing.")
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_SKEW_SECONDS:
        raise SignatureError("The webhook-timestamp is more than 5 minutes away from our clock.")
    try:
        expected = signature(secret, webhook_id, stamp, body).split(",", 1)[1]
    except ValueError:
        raise SignatureError("The saved Webhook secret is not a whsec_ secret; save the one Fathom shows.") from None
    matched = False
    for candidate in given.split():
        value = candidate.split(",", 1)[1] if "," in candidate else candidate
        matched |= hmac.compare_digest(expected.encode(), value.encode())
    if not matched:
        raise SignatureError("No webhook-signature matches the body.")


def handshake(*, payload, credentials: dict) -> dict | None:
    return None


def check(*, payload) -> bool:
    if not isinstance(payload, dict):
        raise AdapterError("a Fathom webhook must be a JSON object")
    if not any(key in payload for key in ("recording_start_time", "transcript", "calendar_invitees")):
        raise AdapterError("not a Fathom meeting: no 'recording_start_time', 'transcript' or 'calendar_invitees'")
    external_id_of(payload, "recording_id", "url", "share_url")
    # Times and text are read by the worker, which says on the card why a meeting without them cannot be matched.
    return True


def delivery_key(*, headers, payload) -> str:
    return (headers.get("webhook-id") or "")[:255]


def fetch(*, payload: dict, credentials: dict) -> list[dict]:
    return [payload]  # the webhook carries everything


def test_connection(*, credentials: dict) -> str:
    secret_key(credentials.get("webhook_secret") or "")  # ValueError names what is wrong
    if not credentials.get("api_key"):
        return "The Webhook secret is a valid whsec_ secret. Fathom has no call to check it; add an API key to test."
    body = http.request_json(
        "GET",
        f"{settings.FATHOM_API_URL}/external/v1/meetings",
        allowed_base=settings.FATHOM_API_URL,
        headers={"X-Api-Key": credentials["api_key"]},
    )
    return f"Fathom accepted the API key ({len(body.get('items') or [])} recent meeting(s) visible)."
