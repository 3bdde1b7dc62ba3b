"""Microsoft Teams meetings (Graph onlineMeeting + callTranscript), fetched by a synced event's join URL
(MODE = CALENDAR): no push, no guessing — the transcript belongs to exactly that event.

Facts (microsoftgraph/microsoft-graph-docs-contrib, /work/tools/vendors.md §6): GET
/me/onlineMeetings?$filter=JoinWebUrl eq '{joinWebUrl}' ("joinWebUrl must be URL encoded"; delegated
OnlineMeetings.Read; personal Microsoft accounts not supported); GET /me/onlineMeetings/{id}/transcripts
(OnlineMeetingTranscript.Read.All); GET …/transcripts/{id}/content?$format=text/vtt. All Graph HTTP goes through
calendar_sync/graph.py (host check, timeouts, Retry-After); the user's token comes from the Teams grant.
"""

from __future__ import annotations

from urllib.parse import quote

from calendar_sync import graph
from transcripts.sources import base
from transcripts.sources.base import (
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
    vtt_segments,
)
from transcripts.sources.protocol import CredentialField, Mode, SourceError, auth_error, protocol_error, unavailable

# Where the list endpoints and bulk exports put their records: Graph collections.
WRAPPER_KEYS: tuple[str, ...] = ("value",)

MODE = Mode.CALENDAR
# Nothing to type in: each user grants access with Microsoft (Settings → Integrations → Connect Teams transcripts).
CREDENTIAL_FIELDS: tuple[CredentialField, ...] = ()
HELP = (
    "Nothing to set up here: each user connects Teams transcripts for their own meetings in Settings → Integrations "
    "(“Connect Teams transcripts”), an extra, optional Microsoft permission on top of the calendar connection."
)
# The card says where to connect it and how many users did (no credentials, no webhook, no Test connection).
CARD_TEMPLATE = "transcripts/_teams_source_card.html"
# Asked by incremental consent on top of the calendar connection's Calendars.Read User.Read, never instead.
SCOPES: tuple[str, ...] = ("OnlineMeetings.Read", "OnlineMeetingTranscript.Read.All")
# The `tid` of every personal Microsoft account (Entra ID token claims reference); Teams transcripts are
# "Not supported" for them.
PERSONAL_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
EXACT_REASON = "same Teams meeting"
MAX_TRANSCRIPTS = 10


def is_personal_account(tenant_id: str) -> bool:
    return (tenant_id or "").lower() == PERSONAL_TENANT_ID


def meeting_lookup_url(join_url: str) -> str:
    """GET /v1.0/me/onlineMeetings?$filter=JoinWebUrl eq '<join URL>', the filter URL-encoded once as a query
    value — so the join URL's own %3a/%40 arrive encoded once more (%253a/%2540), as in Microsoft's example.
    A quote inside the URL is doubled, as an OData string literal requires."""
    literal = join_url.replace("'", "''")
    return graph.graph_url("/v1.0/me/onlineMeetings") + "?$filter=" + quote(f"JoinWebUrl eq '{literal}'", safe="'")


def _source_error(exc: graph.GraphError) -> SourceError:
    if isinstance(exc, graph.GraphAuthError):
        return auth_error(exc.status, exc.code or str(exc))
    if isinstance(exc, graph.GraphTransientError):
        return unavailable(exc.status, exc.code or str(exc))
    if exc.status == 404:
        return SourceError("not_found", 404, exc.code or str(exc), permanent=True)
    return protocol_error(exc.code or str(exc), exc.status)


def find_meeting(*, access_token: str, join_url: str) -> dict | None:
    """The onlineMeeting of this join URL, or None when Graph knows none for this user."""
    try:
        data = graph.get_json(meeting_lookup_url(join_url), access_token=access_token).data
    except graph.GraphError as exc:
        raise _source_error(exc) from exc
    meetings = as_dicts(data.get("value"))
    return meetings[0] if meetings else None


def _meeting_path(meeting_id: str) -> str:
    return f"/v1.0/me/onlineMeetings/{quote(meeting_id, safe='')}/transcripts"


def list_transcripts(*, access_token: str, meeting_id: str) -> list[dict]:
    """The meeting's callTranscripts, oldest first."""
    try:
        data = graph.get_json(graph.graph_url(_meeting_path(meeting_id)), access_token=access_token).data
    except graph.GraphError as exc:
        raise _source_error(exc) from exc
    items = [t for t in as_dicts(data.get("value")) if t.get("id")]
    return sorted(items, key=lambda t: str(t.get("createdDateTime") or ""))[:MAX_TRANSCRIPTS]


def transcript_content(*, access_token: str, meeting_id: str, transcript_id: str) -> str:
    # As in Microsoft's example: …/content?$format=text/vtt (the $ literal, as Graph documents it).
    url = graph.graph_url(f"{_meeting_path(meeting_id)}/{quote(transcript_id, safe='')}/content?$format=text/vtt")
    try:
        return graph.get_text(url, access_token=access_token, accept="text/vtt")
    except graph.GraphError as exc:
        raise _source_error(exc) from exc


def fetch(*, access_token: str, join_url: str) -> dict | None:
    """The record for `parse` (the onlineMeeting with its transcripts' WebVTT joined in order), or None when
    the meeting has no transcript (yet). Raises SourceError: `not_found` when Graph knows no such meeting."""
    meeting = find_meeting(access_token=access_token, join_url=join_url)
    if meeting is None or not meeting.get("id"):
        raise SourceError("not_found", 404, "no online meeting has this join URL", permanent=True)
    transcripts = list_transcripts(access_token=access_token, meeting_id=str(meeting["id"]))
    if not transcripts:
        return None
    contents = [
        transcript_content(access_token=access_token, meeting_id=str(meeting["id"]), transcript_id=str(t["id"]))
        for t in transcripts
    ]
    return {**meeting, "transcript": {"id": transcripts[-1]["id"], "content": "\n\n".join(contents)}}


def parse(payload: dict) -> NormalizedTranscript:
    # Microsoft Graph onlineMeeting (id, subject, startDateTime, endDateTime, participants
    # {organizer, attendees[]: {upn, identity.user.displayName}}), with its callTranscript
    # under "transcript" (WebVTT "content", <v Name> cues) and the meetingAttendanceReport's
    # attendanceRecords (emailAddress, identity.displayName).
    external_id = external_id_of(payload, "id")
    start = required_datetime(payload, "startDateTime")
    end = end_of(start, payload, "endDateTime")
    roster = as_dict(payload.get("participants"))
    people = [
        (get(info, "identity.user.displayName", ""), info.get("upn"))
        for info in [as_dict(roster.get("organizer")), *as_dicts(roster.get("attendees"))]
    ]
    records = payload.get("attendanceRecords") or get(payload, "attendanceReport.attendanceRecords", [])
    people += [(get(r, "identity.displayName", ""), r.get("emailAddress")) for r in as_dicts(records)]
    transcript = payload.get("transcript")
    vtt = transcript.get("content") if isinstance(transcript, dict) else transcript
    return build(external_id, payload.get("subject"), start, end, people, vtt_segments(vtt))


def split(document) -> list[dict]:
    return base.split(document, WRAPPER_KEYS)


def sample(s: Sample) -> dict:
    """A small body in this source's own shape, for the sample delivery."""
    return {
        "id": s.external_id,
        "subject": s.title,
        "startDateTime": iso(s.started_at),
        "endDateTime": iso(s.ended_at),
        "participants": {
            "attendees": [{"upn": e, "identity": {"user": {"displayName": n}}} for n, e in s.people],
        },
        "transcript": {"content": f"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v {s.speaker}>{s.text}</v>"},
    }
