"""A requests transport adapter answering the transcript vendors' hosts in-process (sandbox mode, DEBUG only).

Ids it serves name a synced meeting: "sandbox-<event id>-…". The answers follow the vendors' documented shapes
(vendors.md §1–3; Gong and Granola are answered by pull_vendors.py, §4–5). A credential value "wrong" is refused as
the vendor would, to show "needs attention".
"""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from django.conf import settings
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from calendar_sync.models import CalendarEvent
from transcripts.sources.sandbox import pull_vendors

_ID = re.compile(r"sandbox-(\d+)")
_PARTICIPANTS = re.compile(r"^/v2/past_meetings/(?P<uuid>[^/]+)/participants$")
TOKEN = "sandbox-zoom-access-token"  # noqa: S105 - the sandbox's made-up token


def mount(session: requests.Session) -> None:
    adapter = SandboxAdapter()
    for base in (
        settings.ZOOM_API_URL,
        settings.ZOOM_OAUTH_URL,
        settings.FIREFLIES_API_URL,
        settings.FATHOM_API_URL,
        settings.GONG_API_URL,
        settings.GRANOLA_API_URL,
    ):
        session.mount(base, adapter)


def _response(request, status: int, body, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response._content = raw
    response.headers = CaseInsensitiveDict({"Content-Type": content_type})
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    response.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(
        status, ""
    )
    return response


def meeting(text: str) -> CalendarEvent | None:
    match = _ID.search(unquote(unquote(text or "")))
    if not match:
        return None
    return CalendarEvent.objects.prefetch_related("attendees").filter(pk=int(match[1])).first()


def people(event: CalendarEvent) -> list[tuple[str, str]]:
    found = [(a.name or a.email.split("@")[0].title(), a.email) for a in event.attendees.all() if a.email]
    if event.organizer_email and event.organizer_email.lower() not in {e.lower() for _, e in found}:
        found.insert(0, (event.organizer_name or event.organizer_email, event.organizer_email))
    return found


def lines(event: CalendarEvent) -> list[tuple[str, str, int]]:
    """(speaker, words, second) of a short made-up conversation among the meeting's people."""
    words = [
        "Thanks for making the time today.",
        "Happy to. Let's go through where things stand.",
        "Great — I'll send a summary and next steps after the call.",
    ]
    speakers = [name for name, _ in people(event)] or ["Sam"]
    return [(speakers[i % len(speakers)], text, 5 + 20 * i) for i, text in enumerate(words)]


def vtt(event: CalendarEvent) -> str:
    cues = ["WEBVTT", ""]
    for index, (speaker, text, second) in enumerate(lines(event), start=1):
        start, end = timedelta(seconds=second), timedelta(seconds=second + 4)
        cues += [str(index), f"0{start}.000 --> 0{end}.000", f"{speaker}: {text}", ""]
    return "\n".join(cues)


class SandboxAdapter(BaseAdapter):
    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        origin = f"{url.scheme}://{url.netloc}"
        if origin == settings.GONG_API_URL:
            return pull_vendors.gong(request, _response)
        if origin == settings.GRANOLA_API_URL:
            return pull_vendors.granola(request, _response)
        auth = request.headers.get("Authorization", "") or request.headers.get("X-Api-Key", "")
        if auth.startswith("Basic "):
            auth = base64.b64decode(auth[6:]).decode(errors="replace")
        if "wrong" in auth:
            return _response(request, 401, {"code": 124, "message": "Invalid access token."})
        if origin == settings.ZOOM_OAUTH_URL and url.path == "/oauth/token":
            return self._zoom_token(request)
        if origin in (settings.ZOOM_OAUTH_URL, settings.ZOOM_API_URL) and "/rec/" in url.path:
            event = meeting(url.path)
            if event is None:
                return _response(request, 404, {"code": 3301, "message": "This recording does not exist."})
            return _response(request, 200, vtt(event).encode(), "text/vtt")
        if origin == settings.ZOOM_API_URL and (match := _PARTICIPANTS.match(url.path)):
            event = meeting(match["uuid"])
            if event is None:
                return _response(request, 404, {"code": 3001, "message": "Meeting does not exist."})
            found = [{"id": str(i), "name": n, "user_email": e} for i, (n, e) in enumerate(people(event))]
            return _response(request, 200, {"page_size": 300, "total_records": len(found), "participants": found})
        if origin == settings.FIREFLIES_API_URL and url.path == "/graphql":
            return self._fireflies(request)
        if origin == settings.FATHOM_API_URL and url.path == "/external/v1/meetings":
            return _response(request, 200, {"limit": 10, "next_cursor": None, "items": []})
        return _response(request, 404, {"message": "The sandbox has no such address."})

    def close(self):
        pass

    def _zoom_token(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else (request.body or b"").decode())
        if form.get("grant_type") != ["account_credentials"] or not form.get("account_id"):
            return _response(request, 400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
        return _response(
            request,
            200,
            {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600, "scope": "cloud_recording:read"},
        )

    def _fireflies(self, request):
        body = json.loads(request.body or b"{}")
        query = body.get("query", "")
        if "transcript(" not in query:
            return _response(request, 200, {"data": {"user": {"name": "Sandbox user", "email": "sandbox@fireflies"}}})
        event = meeting(str((body.get("variables") or {}).get("transcriptId", "")))
        if event is None:
            error = {"message": "Transcript not found", "code": "object_not_found", "friendly": True}
            return _response(request, 200, {"data": None, "errors": [{**error, "extensions": {"status": 404}}]})
        minutes = (event.ends_at - event.starts_at).total_seconds() / 60
        transcript = {
            "id": f"sandbox-{event.pk}",
            "title": event.subject,
            "dateString": event.starts_at.isoformat(),
            "date": int(event.starts_at.timestamp() * 1000),
            "duration": minutes,
            "organizer_email": event.organizer_email,
            "participants": [e for _, e in people(event)],
            "meeting_attendees": [{"displayName": n, "email": e, "name": n} for n, e in people(event)],
            "sentences": [
                {"index": i, "speaker_name": s, "text": t, "start_time": sec, "end_time": sec + 4}
                for i, (s, t, sec) in enumerate(lines(event))
            ],
        }
        return _response(request, 200, {"data": {"transcript": transcript}})
