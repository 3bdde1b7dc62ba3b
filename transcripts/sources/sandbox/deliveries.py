"""The "Send a sandbox delivery" button: a webhook signed exactly as the vendor signs it, for one of the user's
synced meetings, posted through Ruby's real webhook address (DEBUG and TRANSCRIPT_SANDBOX only)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests
from django.conf import settings

from calendar_sync.models import CalendarEvent
from transcripts.sources import fathom, zoom
from transcripts.sources.base import iso
from transcripts.sources.sandbox.transport import lines, people

SUPPORTED = ("zoom", "fireflies", "fathom")


def zoom_delivery(event: CalendarEvent, credentials: dict) -> tuple[bytes, dict]:
    uuid = f"sandbox-{event.pk}-zoom//demo=="  # "//" so the participants call must double-encode it
    minutes = max(1, round((event.ends_at - event.starts_at).total_seconds() / 60))
    body = {
        "event": "recording.transcript_completed",
        "event_ts": int(time.time() * 1000),
        "payload": {
            "account_id": "sandbox-account",
            "object": {
                "id": 80000000000 + event.pk,
                "uuid": uuid,
                "host_id": "sandbox-host",
                "account_id": "sandbox-account",
                "host_email": event.organizer_email,
                "topic": event.subject or "Zoom meeting",
                "type": 2,
                "start_time": iso(event.starts_at),
                "timezone": "UTC",
                "duration": minutes,
                "total_size": 2048,
                "recording_count": 1,
                "recording_files": [
                    {
                        "id": f"sandbox-file-{event.pk}",
                        "meeting_id": uuid,
                        "recording_start": iso(event.starts_at),
                        "recording_end": iso(event.ends_at),
                        "file_type": "TRANSCRIPT",
                        "file_extension": "VTT",
                        "file_size": 2048,
                        "download_url": f"{settings.ZOOM_OAUTH_URL}/rec/webhook_download/sandbox-{event.pk}",
                        "status": "completed",
                        "recording_type": "audio_transcript",
                    }
                ],
            },
        },
        "download_token": "sandbox-download-token",
    }
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    headers = {
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": zoom.signature(credentials["secret_token"], stamp, raw),
    }
    return raw, headers


def fireflies_delivery(event: CalendarEvent, credentials: dict) -> tuple[bytes, dict]:
    raw = json.dumps({"meetingId": f"sandbox-{event.pk}", "eventType": "Transcription completed"}).encode()
    digest = hmac.new(credentials["webhook_secret"].encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"x-hub-signature": f"sha256={digest}"}


def fathom_delivery(event: CalendarEvent, credentials: dict) -> tuple[bytes, dict]:
    found = people(event)
    body = {
        "title": event.subject or "Fathom meeting",
        "meeting_title": event.subject,
        "recording_id": 90000000 + event.pk,
        "url": f"https://fathom.video/calls/sandbox-{event.pk}",
        "share_url": f"https://fathom.video/share/sandbox-{event.pk}",
        "created_at": iso(event.ends_at),
        "scheduled_start_time": iso(event.starts_at),
        "scheduled_end_time": iso(event.ends_at),
        "recording_start_time": iso(event.starts_at),
        "recording_end_time": iso(event.ends_at),
        "calendar_invitees_domains_type": "one_or_more_external",
        "transcript_language": "en",
        "recorded_by": {"name": found[0][0], "email": found[0][1]} if found else None,
        "calendar_invitees": [{"name": n, "email": e, "is_external": False} for n, e in found],
        "transcript": [
            {
                "speaker": {"display_name": s, "matched_calendar_invitee_email": None},
                "text": t,
                "timestamp": f"00:00:{sec:02d}",
            }
            for s, t, sec in lines(event)
        ],
    }
    raw = json.dumps(body).encode()
    webhook_id, stamp = f"msg_sandbox_{event.pk}_{int(time.time())}", str(int(time.time()))
    sig = fathom.signature(credentials["webhook_secret"], webhook_id, stamp, raw)
    return raw, {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": f"v1,bm90LXRoaXMtb25l {sig}",
    }


BUILDERS = {"zoom": zoom_delivery, "fireflies": fireflies_delivery, "fathom": fathom_delivery}


def send(*, source: str, event: CalendarEvent, credentials: dict, url: str) -> tuple[int, dict]:
    """POST the signed delivery to Ruby's own webhook address; (status, JSON answer)."""
    raw, headers = BUILDERS[source](event, credentials)
    response = requests.post(url, data=raw, headers={"Content-Type": "application/json", **headers}, timeout=(5, 30))
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, {}
