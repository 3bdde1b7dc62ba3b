"""The support console's words and previews (issue 14): what a purge or anonymisation will erase, shown before
it is queued, and a finished request's counts said in words ("12 meetings, 28 attendees and 1 token removed")."""

from __future__ import annotations

from django.db.models import Q

from calendar_sync.models import CalendarConnection, CalendarEvent, DataDeletionRequest, EventAttendee
from deals.models import Contact

# Result key → (one, many). Keys ending in _changed / _anonymised / _detached take that verb; the rest "removed".
NOUNS = {
    "events": ("meeting", "meetings"),
    "attendees": ("attendee", "attendees"),
    "activities": ("activity entry", "activity entries"),
    "sync_runs": ("sync run", "sync runs"),
    "token_caches": ("token", "tokens"),
    "subscriptions": ("subscription", "subscriptions"),
    "transcripts": ("transcript", "transcripts"),
    "deliveries": ("webhook delivery", "webhook deliveries"),
    "crm_contacts": ("contact", "contacts"),
    "connections": ("connection", "connections"),
}
VERBS = ("changed", "anonymised", "detached", "deleted", "removed", "cleared")


def _noun(key: str, n: int) -> str:
    one, many = NOUNS.get(key, (key.replace("_", " "), key.replace("_", " ")))
    return f"{n} {one if n == 1 else many}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def counts_in_words(result: dict) -> str:
    groups: dict[str, list[str]] = {}
    for key, n in result.items():
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            continue
        verb = next((v for v in VERBS if key.endswith(f"_{v}")), "removed")
        base = key[: -len(verb) - 1] if key.endswith(f"_{verb}") else key
        groups.setdefault("removed" if verb == "deleted" else verb, []).append(_noun(base, n))
    if not groups:
        return "Nothing was found to erase."
    order = [v for v in ("removed", "anonymised", "changed", "detached", "cleared") if v in groups]
    return "; ".join(f"{_and(groups[v])} {v}" for v in order) + "."


def erasure_preview(deletion_request: DataDeletionRequest, *, kind: str) -> str:
    """What queuing this request would erase now, in words, for the confirmation page."""
    workspace_q = Q(workspace=deletion_request.workspace) if deletion_request.workspace_id else Q()
    if deletion_request.subject_user_id:
        events = CalendarEvent.objects.filter(workspace_q, owner=deletion_request.subject_user)
        connections = CalendarConnection.objects.filter(user=deletion_request.subject_user)
        counts = {
            "events": events.count(),
            "attendees": EventAttendee.objects.filter(event__in=events.values("pk")).count(),
            "token_caches": connections.exclude(token_cache="").count(),
        }
        return f"{deletion_request.subject_user.email}: " + counts_in_words(counts).replace(
            " removed", " will be removed"
        )
    email = (deletion_request.subject_email or "").strip().lower()
    event_q = Q(event__workspace=deletion_request.workspace) if deletion_request.workspace_id else Q()
    attendees = EventAttendee.objects.filter(event_q, email__iexact=email)
    contacts = Contact.objects.filter(workspace_q, email__iexact=email)
    verb = "anonymised" if kind == DataDeletionRequest.Kind.ANONYMISE else "removed"
    counts = {f"attendees_{verb}": attendees.count(), f"crm_contacts_{verb}": contacts.count()}
    words = counts_in_words(counts)
    return (
        f"{email}: "
        + words.replace(f" {verb}", f" will be {verb}")
        + (" Their name and address are also scrubbed from meeting text and transcripts." if attendees.exists() else "")
    )
