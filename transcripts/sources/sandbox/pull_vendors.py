"""The sandbox's Gong and Granola (the pull vendors), answering in-process for transport.SandboxAdapter.

They serve the synced meetings of the workspace whose saved credentials the request carries (the sandbox looks the
key up among the saved sources, so each workspace sees its own meetings): external, not cancelled, not an ended Teams
meeting (Teams transcripts bring their own) and without a transcript from another source. Gong and Granola take
every other one of those meetings in time order, so the demo shows both side by side. Shapes follow the vendors'
documentation (vendors.md §4 Gong's OpenAPI "Gong API" V2; §5 https://docs.granola.ai/api-reference/list-notes
and /get-note). Gong pages by PAGE_SIZE (smaller than Gong's 100) so that a demo fetch follows records.cursor.
A credential containing "wrong" is refused, as the other sandboxes do.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventAttendee
from ruby_site.models import Membership
from transcripts import models as transcript_models  # a module: transcripts.models imports the sources, hence this
from transcripts.sources.base import iso

PAGE_SIZE = 2
MAX_MEETINGS = 6
MAX_SCAN = 200
PARITY = {"gong": 0, "granola": 1}
# Granola names only the microphone's owner; others are anonymous diarization buckets (docs.granola.ai/introduction).
OTHER_SPEAKER = {"source": "speaker", "diarization_label": "Speaker A"}
CALL_ID_BASE = 7782342274025900000  # Gong call ids are strings of up to 20 digits
_NOTE = re.compile(r"^/v1/notes/not_sbx(?P<pk>\d{11})$")
WORDS = [
    "Thanks for making the time today.",
    "Happy to. We want to see how the pilot would work for the regional teams.",
    "Security review is the next step on our side.",
    "Sounds good, I'll send the notes and next steps after this call.",
]


def _workspaces(source: str, matches) -> list[int]:
    """The workspaces that saved these credentials for this source (the sandbox's notion of an account)."""
    configs = transcript_models.TranscriptSource.objects.filter(source=source).only("workspace_id", "credentials")
    return [c.workspace_id for c in configs if matches(c.credential_values())]


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def meetings(source: str, workspace_ids: list[int], since: datetime | None, *, strictly_after: bool = False):
    """The workspace's recordable meetings, every other one for this vendor (stable whatever was fetched before)."""
    external = EventAttendee.objects.filter(event=OuterRef("pk"), is_internal=False)
    ended_teams = Q(online_provider=CalendarEvent.OnlineProvider.TEAMS, ends_at__lte=timezone.now())
    events = (
        CalendarEvent.objects.active()
        .filter(Exists(external), workspace_id__in=workspace_ids, is_cancelled=False, is_all_day=False)
        .exclude(ended_teams)
        .order_by("starts_at", "pk")
    )
    mine = [pk for i, pk in enumerate(events.values_list("pk", flat=True)[:MAX_SCAN]) if i % 2 == PARITY[source]]
    others = transcript_models.Transcript.objects.filter(event=OuterRef("pk")).exclude(source=source)
    chosen = CalendarEvent.objects.filter(pk__in=mine).exclude(Exists(others))
    if since is not None:
        chosen = chosen.filter(**{"starts_at__gt" if strictly_after else "starts_at__gte": since})
    return list(chosen.select_related("owner").prefetch_related("attendees").order_by("starts_at", "pk")[:MAX_MEETINGS])


def _people(event: CalendarEvent) -> list[dict]:
    found = [
        {"name": a.name or a.email.split("@")[0].title(), "email": a.email, "internal": a.is_internal}
        for a in event.attendees.all()
        if a.email
    ]
    if event.organizer_email and event.organizer_email.lower() not in {p["email"].lower() for p in found}:
        found.insert(
            0, {"name": event.organizer_name or event.organizer_email, "email": event.organizer_email, "internal": True}
        )
    return found


# --- Gong --------------------------------------------------------------------------------------


def gong(request, respond):
    url = urlsplit(request.url)
    auth = request.headers.get("Authorization", "")
    key, _, secret = (
        base64.b64decode(auth[6:]).decode(errors="replace") if auth.startswith("Basic ") else ""
    ).partition(":")
    if "wrong" in key or "wrong" in secret or not key:
        status = 403 if url.path == "/v2/users" else 401  # as Gong's spec declares for each endpoint
        return respond(request, status, {"requestId": "sandbox", "errors": ["Access denied"]})
    workspaces = _workspaces("gong", lambda c: (c.get("access_key"), c.get("access_key_secret")) == (key, secret))
    body = json.loads(request.body or b"{}") if request.method == "POST" else {}
    if url.path == "/v2/users" and request.method == "GET":
        users = [m.user for m in Membership.objects.filter(workspace_id__in=workspaces).select_related("user")]
        return respond(
            request,
            200,
            {
                "requestId": "sandbox-users",
                "records": {"totalRecords": len(users), "currentPageSize": len(users), "currentPageNumber": 0},
                "users": [
                    {
                        "id": str(100000 + u.pk),
                        "emailAddress": u.email,
                        "firstName": u.first_name,
                        "lastName": u.last_name,
                        "active": True,
                    }
                    for u in users
                ],
            },
        )
    if url.path == "/v2/calls/extensive" and request.method == "POST":
        return _gong_calls(request, respond, workspaces, body)
    if url.path == "/v2/calls/transcript" and request.method == "POST":
        return _gong_transcripts(request, respond, workspaces, body)
    return respond(request, 404, {"requestId": "sandbox", "errors": ["The sandbox has no such address."]})


def _call(event: CalendarEvent) -> dict:
    call_id = str(CALL_ID_BASE + event.pk)
    return {
        "metaData": {
            "id": call_id,
            "url": f"https://app.gong.io/call?id={call_id}",
            "title": event.subject or "Gong call",
            "scheduled": iso(event.starts_at),
            "started": iso(event.starts_at),
            "duration": int((event.ends_at - event.starts_at).total_seconds()),
            "primaryUserId": str(100000 + event.owner_id),
            "direction": "Conference",
            "system": "Zoom",
            "scope": "External",
            "media": "Video",
            "language": "eng",
            "isPrivate": False,
            "meetingUrl": event.join_url or "",
            "calendarEventId": event.ical_uid or "",
        },
        "parties": [
            {
                "id": str(5600 + i),
                "emailAddress": p["email"],
                "name": p["name"],
                "speakerId": f"{event.pk}{i}",
                "affiliation": "Internal" if p["internal"] else "External",
            }
            for i, p in enumerate(_people(event))
        ],
    }


def _gong_calls(request, respond, workspaces, body):
    since = _parse_time(((body.get("filter") or {}).get("fromDateTime")) or "")
    calls = [_call(e) for e in meetings("gong", workspaces, since)]
    try:
        offset = int(base64.urlsafe_b64decode(str(body.get("cursor") or "") + "==").decode() or 0)
    except ValueError:
        return respond(request, 400, {"requestId": "sandbox", "errors": ["cursor: invalid"]})
    page = calls[offset : offset + PAGE_SIZE]
    if not page:
        return respond(request, 404, {"requestId": "sandbox", "errors": ["No calls found for the specified period"]})
    records = {"totalRecords": len(calls), "currentPageSize": len(page), "currentPageNumber": offset // PAGE_SIZE}
    if offset + PAGE_SIZE < len(calls):
        records["cursor"] = base64.urlsafe_b64encode(str(offset + PAGE_SIZE).encode()).decode().rstrip("=")
    return respond(request, 200, {"requestId": "sandbox-calls", "records": records, "calls": page})


def _gong_transcripts(request, respond, workspaces, body):
    wanted = {str(i) for i in (body.get("filter") or {}).get("callIds") or []}
    events = CalendarEvent.objects.filter(
        workspace_id__in=workspaces,
        pk__in=[int(i) - CALL_ID_BASE for i in wanted if i.isdigit() and int(i) > CALL_ID_BASE],
    )
    found = []
    for event in events.prefetch_related("attendees"):
        people = _people(event)
        monologues = (
            [
                {
                    "speakerId": f"{event.pk}{i % len(people)}",
                    "topic": "Call Setup" if i == 0 else "Next Steps",
                    "sentences": [{"start": 5000 + 20000 * i, "end": 9000 + 20000 * i, "text": text}],
                }
                for i, text in enumerate(WORDS)
            ]
            if people
            else []
        )
        found.append({"callId": str(CALL_ID_BASE + event.pk), "transcript": monologues})
    if not found:
        return respond(request, 404, {"requestId": "sandbox", "errors": ["No calls found for the specified period"]})
    records = {"totalRecords": len(found), "currentPageSize": len(found), "currentPageNumber": 0}
    return respond(request, 200, {"requestId": "sandbox-transcripts", "records": records, "callTranscripts": found})


# --- Granola -----------------------------------------------------------------------------------


def granola(request, respond):
    url = urlsplit(request.url)
    auth = request.headers.get("Authorization", "")
    key = auth[7:] if auth.startswith("Bearer ") else ""
    if not key or "wrong" in key:
        return respond(request, 401, b"Unauthorized - Invalid API key", "text/plain")
    workspaces = _workspaces("granola", lambda c: c.get("api_key") == key)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if url.path == "/v1/notes":
        since = _parse_time(query.get("created_after", "")) if query.get("created_after") else None
        notes = meetings("granola", workspaces, since, strictly_after=True)
        try:
            size, offset = min(max(int(query.get("page_size", 10)), 1), 30), int(query.get("cursor") or 0)
        except ValueError:
            return respond(request, 400, b"Bad request", "text/plain")
        page = notes[offset : offset + size]
        more = offset + size < len(notes)
        return respond(
            request,
            200,
            {
                "notes": [
                    {
                        "id": _note_id(e),
                        "object": "note",
                        "title": e.subject,
                        "owner": _owner(e),
                        "created_at": iso(e.starts_at),
                        "updated_at": iso(e.ends_at),
                    }
                    for e in page
                ],
                "hasMore": more,
                "cursor": str(offset + size) if more else None,
            },
        )
    if match := _NOTE.match(url.path):
        event = CalendarEvent.objects.filter(workspace_id__in=workspaces, pk=int(match["pk"])).first()
        if event is None:
            return respond(request, 404, b"Not found", "text/plain")
        return respond(request, 200, _note(event, with_transcript=query.get("include") == "transcript"))
    return respond(request, 404, b"Not found", "text/plain")


def _note_id(event: CalendarEvent) -> str:
    return f"not_sbx{event.pk:011d}"


def _owner(event: CalendarEvent) -> dict:
    return {"name": event.owner.get_full_name() or event.owner.email, "email": event.owner.email}


def _note(event: CalendarEvent, *, with_transcript: bool) -> dict:
    people = _people(event)
    note = {
        "id": _note_id(event),
        "object": "note",
        "title": event.subject,
        "owner": _owner(event),
        "created_at": iso(event.starts_at),
        "calendar_event": {
            "event_title": event.subject,
            "invitees": [{"email": p["email"]} for p in people],
            "organiser": event.organizer_email,
            "calendar_event_id": event.ical_uid or str(event.pk),
            "scheduled_start_time": iso(event.starts_at),
            "scheduled_end_time": iso(event.ends_at),
        },
        "attendees": [{"name": p["name"], "email": p["email"]} for p in people],
        "folder_membership": [],
        "summary_text": f"Sandbox summary of “{event.subject}”: pilot scope, security review, next steps.",
    }
    if with_transcript:
        step = (event.ends_at - event.starts_at) / (len(WORDS) + 1)
        note["transcript"] = [
            {
                "speaker": {"source": "microphone"} if i % 2 == 0 else OTHER_SPEAKER,
                "text": text,
                "start_time": iso(event.starts_at + step * i),
                "end_time": iso(event.starts_at + step * (i + 1)),
            }
            for i, text in enumerate(WORDS)
        ]
    return note
