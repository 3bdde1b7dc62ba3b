"""Zoom recordings and their transcripts: the webhook (push), then the TRANSCRIPT file and participants (fetch).

Facts (vendors.md §1): x-zm-signature = "v0=" + hex HMAC-SHA256(Secret Token, "v0:{x-zm-request-timestamp}:{body}")
(zoom/webhook-sample index.js, zoom/rivet-javascript meetings.mjs); endpoint.url_validation answered with
{plainToken, encryptedToken = hex HMAC-SHA256(Secret Token, plainToken)} after the signature check; Server-to-Server
OAuth token: POST {ZOOM_OAUTH_URL}/oauth/token, Basic client_id:client_secret, grant_type=account_credentials and
account_id (https://developers.zoom.us/docs/rooms/oauth/); participants GET /v2/past_meetings/{uuid}/participants
with the uuid double-encoded when it starts with "/" or contains "//".
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

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
    iso,
    required_datetime,
    vtt_segments,
)
from transcripts.sources.protocol import CredentialField, Mode, SignatureError, auth_error, protocol_error

MODE = Mode.PUSH
HELP = (
    "Create a Server-to-Server OAuth app in the Zoom App Marketplace, add the event "
    "“Recording transcript files have completed”, and paste its values here."
)
CREDENTIAL_FIELDS = (
    CredentialField("account_id", "Account ID", "App Credentials page of your Server-to-Server OAuth app."),
    CredentialField("client_id", "Client ID", "App Credentials page of the same app."),
    CredentialField("client_secret", "Client secret", "App Credentials page of the same app."),
    CredentialField("secret_token", "Secret token", "Features → Access → Secret Token (signs the webhook)."),
)
MAX_SKEW_SECONDS = 5 * 60
EVENT = "recording.transcript_completed"
CHALLENGE = "endpoint.url_validation"

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


# --------------------------------------------------------------------------- push: verify, handshake, check


def signature(secret: str, timestamp: str, body: bytes) -> str:
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(*, headers, body: bytes, credentials: dict, now: float) -> None:
    secret = credentials.get("secret_token") or ""
    if not secret:
        raise SignatureError("This Zoom source has no Secret token yet; a workspace admin must save it.")
    given, stamp = headers.get("x-zm-signature") or "", (headers.get("x-zm-request-timestamp") or "").strip()
    if not given or not stamp:
        raise SignatureError("The x-zm-signature or x-zm-request-timestamp header is missing.")
    if not stamp.isdigit() or abs(now - int(stamp[:10] if len(stamp) > 11 else stamp)) > MAX_SKEW_SECONDS:
        raise SignatureError("The x-zm-request-timestamp is more than 5 minutes away from our clock.")
    if not hmac.compare_digest(signature(secret, stamp, body).encode(), given.strip().encode()):
        raise SignatureError("The x-zm-signature does not match the body.")


def handshake(*, payload: dict, credentials: dict) -> dict | None:
    if payload.get("event") != CHALLENGE:
        return None
    plain = get(payload, "payload.plainToken", None)
    if not isinstance(plain, str):
        raise AdapterError("an endpoint.url_validation without payload.plainToken")
    token = hmac.new(credentials["secret_token"].encode(), plain.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain, "encryptedToken": token}


def check(*, payload) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise AdapterError("not a Zoom event: no 'event'")
    if not isinstance(payload.get("payload"), dict):
        raise AdapterError("not a Zoom event: no 'payload' object")
    if payload["event"] != EVENT:
        return False
    meeting = get(payload, "payload.object", None)
    if not isinstance(meeting, dict):
        raise AdapterError("missing field 'payload.object'")
    external_id_of(meeting, "uuid")
    if not isinstance(meeting.get("recording_files"), list):
        raise AdapterError("missing field 'payload.object.recording_files'")
    return True


def _transcript_file(meeting: dict) -> dict:
    for item in as_dicts(meeting.get("recording_files")):
        if str(item.get("file_type", "")).upper() == "TRANSCRIPT" and item.get("download_url"):
            return item
    raise AdapterError("the recording has no TRANSCRIPT file, so there is no transcript text to match")


def delivery_key(*, headers, payload: dict) -> str:
    meeting = get(payload, "payload.object", {})
    files = [f.get("id") for f in as_dicts(meeting.get("recording_files")) if f.get("file_type") == "TRANSCRIPT"]
    return f"{payload.get('event')}:{meeting.get('uuid')}:{files[0] if files else ''}"[:255]


# --------------------------------------------------------------------------- fetch (the worker)


def _api(path: str) -> str:
    return f"{settings.ZOOM_API_URL}{path}"


def access_token(credentials: dict) -> str:
    """A Server-to-Server OAuth token (account_credentials grant)."""
    if not (credentials.get("account_id") and credentials.get("client_id") and credentials.get("client_secret")):
        raise auth_error(None, "Account ID, Client ID and Client secret are needed for this call")
    body = http.request_json(
        "POST",
        f"{settings.ZOOM_OAUTH_URL}/oauth/token",
        allowed_base=settings.ZOOM_OAUTH_URL,
        data={"grant_type": "account_credentials", "account_id": credentials["account_id"]},
        auth=(credentials["client_id"], credentials["client_secret"]),
    )
    if not isinstance(body.get("access_token"), str):
        raise protocol_error("the token answer has no access_token")
    return body["access_token"]


def meeting_path_id(uuid: str) -> str:
    """Zoom: a UUID that starts with "/" or contains "//" must be double-encoded; others encoded once."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def participants(uuid: str, token: str, *, max_pages: int = 10) -> list[dict]:
    people, page_token = [], ""
    for _ in range(max_pages):
        params = {"page_size": 300, **({"next_page_token": page_token} if page_token else {})}
        body = http.request_json(
            "GET",
            _api(f"/v2/past_meetings/{meeting_path_id(uuid)}/participants"),
            allowed_base=settings.ZOOM_API_URL,
            headers={"Authorization": f"Bearer {token}"},
            params=params,
        )
        people += as_dicts(body.get("participants"))
        page_token = body.get("next_page_token") or ""
        if not page_token:
            break
    return people


def download_transcript(url: str, bearer: str) -> str:
    content, content_type = http.request_bytes(
        "GET",
        url,
        allowed_base=(settings.ZOOM_API_URL, settings.ZOOM_OAUTH_URL),
        subdomains=True,  # Zoom serves recordings from regional hosts such as us02web.zoom.us
        headers={"Authorization": f"Bearer {bearer}"},
    )
    if "html" in content_type:  # a failed authenticated download answers 200 with an HTML page
        raise auth_error(200, "Zoom answered the download with a web page instead of the transcript")
    return content.decode("utf-8", errors="replace")


def fetch(*, payload: dict, credentials: dict) -> list[dict]:
    meeting = dict(get(payload, "payload.object"))
    item = _transcript_file(meeting)
    http.check_url(item["download_url"], allowed_base=(settings.ZOOM_API_URL, settings.ZOOM_OAUTH_URL), subdomains=True)
    token = access_token(credentials) if credentials.get("client_id") else ""
    bearer = payload.get("download_token") or token
    if not bearer:
        raise auth_error(None, "the webhook has no download_token and no Client ID is saved")
    meeting["transcript"] = download_transcript(item["download_url"], bearer)
    if token:
        meeting["participants"] = participants(str(meeting["uuid"]), token)
    return [meeting]


def test_connection(*, credentials: dict) -> str:
    access_token(credentials)
    return "Zoom accepted the app's Account ID, Client ID and Client secret."
