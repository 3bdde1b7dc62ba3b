"""Meetings hidden as internal when a workspace's internal domains change (issue 14).

The sync drops a meeting whose organizer and attendees are all internal; when an admin adds a domain, stored
meetings that are now all-internal are hidden at once with removed_reason "internal" (never worded "Removed in
Outlook"), and ones hidden that way come back when the domain is taken out again. The same rule as the sync: the
workspace's domains plus the owner's and the connected mailbox's; rooms (resources) do not count; a meeting with
nobody but the organizer is internal.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from calendar_sync.models import CalendarConnection, CalendarEvent, EventAttendee
from ruby_site.selectors import email_domain

INTERNAL = CalendarEvent.REMOVED_INTERNAL


def _internal_by_connection(workspace, domains) -> dict[int, frozenset[str]]:
    base = {d.strip().lower().lstrip("@") for d in domains if d}
    sets = {}
    for pk, user_email, email in CalendarConnection.objects.filter(workspace=workspace).values_list(
        "pk", "user__email", "email"
    ):
        own = base | {email_domain(user_email or ""), email_domain(email or "")}
        own.discard("")
        sets[pk] = frozenset(own)
    return sets


def _all_internal(events, internal: dict[int, frozenset[str]]) -> set[int]:
    rows = list(events.values_list("pk", "connection_id", "organizer_email"))
    emails: dict[int, list[str]] = {pk: [org] if org else [] for pk, _, org in rows}
    attendees = EventAttendee.objects.filter(event__in=events.values("pk")).exclude(
        attendee_type=EventAttendee.Type.RESOURCE
    )
    for event_id, email in attendees.values_list("event_id", "email").iterator(chunk_size=2000):
        if email:
            emails[event_id].append(email)
    found = set()
    for pk, connection_id, _ in rows:
        domains = internal.get(connection_id, frozenset())
        if all(email_domain(e) in domains for e in emails[pk]):
            found.add(pk)
    return found


def _visible(workspace):
    return CalendarEvent.objects.filter(workspace=workspace, state=CalendarEvent.State.ACTIVE, removed_at__isnull=True)


def internal_hidden_count(*, workspace, domains) -> int:
    """How many meetings now on the calendar saving these internal domains would hide."""
    return len(_all_internal(_visible(workspace), _internal_by_connection(workspace, domains)))


def internal_meetings_apply(*, workspace) -> dict[str, int]:
    """Hide the meetings the workspace's (new) internal domains cover; bring back the ones they no longer do."""
    internal = _internal_by_connection(workspace, workspace.internal_domains or [])
    hide = _all_internal(_visible(workspace), internal)
    hidden_before = CalendarEvent.objects.filter(workspace=workspace, removed_reason=INTERNAL).exclude(
        removed_at__isnull=True
    )
    still = _all_internal(hidden_before, internal)
    show = set(hidden_before.values_list("pk", flat=True)) - still
    now = timezone.now()
    hidden = CalendarEvent.objects.filter(pk__in=sorted(hide)).update(removed_at=now, removed_reason=INTERNAL)
    shown = CalendarEvent.objects.filter(Q(pk__in=sorted(show))).update(removed_at=None, removed_reason="")
    return {"hidden": hidden, "shown": shown}
