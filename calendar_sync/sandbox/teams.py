"""The sandbox's Teams meetings, served as Graph serves them (delegated): GET /v1.0/me/onlineMeetings?$filter=
JoinWebUrl eq '…', …/{id}/transcripts and …/transcripts/{id}/content?$format=text/vtt (microsoft-graph-docs-contrib
onlinemeeting-get.md, onlinemeeting-list-transcripts.md, calltranscript-get.md). Every Teams meeting of the sandbox
week is an online meeting; only the one marked `transcript` (yesterday's Northwind recap) has a transcript. A token
without the Teams scopes gets Graph's 403, as a calendar-only token would from Microsoft."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.utils import timezone

from calendar_sync.sandbox import events

_FILTER = re.compile(r"^\s*JoinWebUrl\s+eq\s+'(?P<url>.*)'\s*$", re.IGNORECASE | re.DOTALL)
_TRANSCRIPTS = re.compile(
    r"^/v1\.0/me/onlineMeetings/(?P<meeting>[^/]+)/transcripts(?:/(?P<transcript>[^/]+)/content)?$"
)
MEETINGS_SCOPE = "OnlineMeetings.Read"
TRANSCRIPTS_SCOPE = "OnlineMeetingTranscript.Read.All"


def _error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    return status, {"error": {"code": code, "message": message}}, {}


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def meeting_id(join_url: str) -> str:
    return "MSo" + _hash(join_url)[:40]


def _week_meetings(identity: dict) -> list[dict]:
    """The sandbox week's Teams events, each with its spec's `transcript` flag."""
    return [
        e for e in events.week_for(identity) if e["onlineMeetingProvider"] == "teamsForBusiness" and e["onlineMeeting"]
    ]


def _ended(event: dict) -> bool:
    end = datetime.fromisoformat(event["end"]["dateTime"][:19]).replace(tzinfo=UTC)
    return end <= timezone.now()


def _online_meeting(event: dict) -> dict:
    join_url = event["onlineMeeting"]["joinUrl"]
    organizer = event["organizer"]["emailAddress"]
    return {
        "id": meeting_id(join_url),
        "creationDateTime": event["start"]["dateTime"][:19] + "Z",
        "startDateTime": event["start"]["dateTime"][:19] + "Z",
        "endDateTime": event["end"]["dateTime"][:19] + "Z",
        "joinWebUrl": join_url,
        "subject": event["subject"],
        "participants": {
            "organizer": {
                "upn": organizer["address"],
                "role": "presenter",
                "identity": {"user": {"displayName": organizer["name"]}},
            },
            "attendees": [
                {
                    "upn": a["emailAddress"]["address"],
                    "role": "attendee",
                    "identity": {"user": {"displayName": a["emailAddress"]["name"]}},
                }
                for a in event["attendees"]
                if a["type"] != "resource"
            ],
        },
    }


def _has_transcript(event: dict) -> bool:
    return event["subject"] in events.TRANSCRIBED_SUBJECTS and _ended(event)


def _vtt(event: dict) -> str:
    organizer = event["organizer"]["emailAddress"]["name"]
    guest = next((a["emailAddress"]["name"] for a in event["attendees"]), "Guest")
    lines = [
        (organizer, "Thanks for joining — let's recap where the pilot stands."),
        (guest, "The regional teams are live; security review is the last open item."),
        (organizer, "I'll send the questionnaire answers today and book procurement for next week."),
        (guest, "Perfect, that keeps us on track for the Q1 rollout."),
    ]
    cues = [f"0:0:{i * 6}.0 --> 0:0:{i * 6 + 5}.320\n<v {who}>{text}</v>" for i, (who, text) in enumerate(lines)]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def online_meetings(identity: dict, url: str, scopes: set[str]):
    """(status, JSON body or VTT text, headers) for the sandbox transport."""
    parts = urlsplit(url)
    if MEETINGS_SCOPE not in scopes:
        return _error(403, "Forbidden", "The access token does not carry OnlineMeetings.Read.")
    if parts.path == "/v1.0/me/onlineMeetings":
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        match = _FILTER.match(query.get("$filter", ""))
        if match is None:
            return _error(400, "BadRequest", "Filter by JoinWebUrl is required for a delegated list.")
        join_url = match["url"].replace("''", "'")
        found = [_online_meeting(e) for e in _week_meetings(identity) if e["onlineMeeting"]["joinUrl"] == join_url]
        context = f"{settings.MICROSOFT_GRAPH_URL}/v1.0/$metadata#users('{identity['oid']}')/onlineMeetings"
        return 200, {"@odata.context": context, "value": found[:1]}, {}
    match = _TRANSCRIPTS.match(parts.path)
    if match is None:
        return _error(404, "ResourceNotFound", "Unknown sandbox online meeting resource.")
    if TRANSCRIPTS_SCOPE not in scopes:
        return _error(403, "Forbidden", "The access token does not carry OnlineMeetingTranscript.Read.All.")
    wanted = unquote(match["meeting"])
    event = next((e for e in _week_meetings(identity) if meeting_id(e["onlineMeeting"]["joinUrl"]) == wanted), None)
    if event is None:
        return _error(404, "NotFound", "The online meeting was not found.")
    transcript_id = "MSMjMCMj" + _hash(wanted)[:32]
    if match["transcript"] is None:
        value = []
        if _has_transcript(event):
            value = [{"id": transcript_id, "meetingId": wanted, "createdDateTime": event["end"]["dateTime"][:19] + "Z"}]
        return 200, {"@odata.count": len(value), "value": value}, {}
    if not _has_transcript(event) or unquote(match["transcript"]) != transcript_id:
        return _error(404, "NotFound", "The transcript was not found.")
    return 200, _vtt(event), {"Content-Type": "text/vtt"}
