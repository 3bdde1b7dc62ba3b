"""calendar_sync's answers to the signals of the apps below it and to its own (connected in
CalendarSyncConfig.ready())."""

from __future__ import annotations

from django.db.models import Q

from calendar_sync.models import CalendarEvent, EventAttendee
from calendar_sync.services.internal import internal_hidden_count, internal_meetings_apply
from calendar_sync.services.linking import link_events
from calendar_sync.services.suggestions import suggestions_accept_all
from calendar_sync.services.sync_store import attendees_reflag_internal
from calendar_sync.signals import events_changed


def relink_after_directory_changed(sender, *, workspace, emails=(), domains=(), **kwargs) -> int:
    """An account or contact was created or edited: link the meetings it concerns now, not at the next sync."""
    # Attendee emails are stored lower-cased (normalize.py). Domains in chunks: one OR per domain.
    attendees = EventAttendee.objects.filter(event__workspace=workspace, event__state=CalendarEvent.State.ACTIVE)
    event_ids: set[int] = set()
    emails = sorted({e.lower() for e in emails if e})
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        event_ids.update(attendees.filter(email__in=chunk).values_list("event_id", flat=True))
    domains = sorted({d.lower() for d in domains if d})
    for start in range(0, len(domains), 100):
        match = Q()
        for domain in domains[start : start + 100]:
            match |= Q(email__endswith=f"@{domain}")
        event_ids.update(attendees.filter(match).values_list("event_id", flat=True))
    if not event_ids:
        return 0
    event_ids = sorted(event_ids)
    summary = link_events(workspace=workspace, event_ids=event_ids)
    if summary.changed:
        events_changed.send(sender=CalendarEvent, workspace=workspace, event_ids=event_ids)
    return len(event_ids)


def suggestions_after_events_changed(sender, *, workspace, event_ids, **kwargs) -> None:
    if workspace.auto_create_from_calendar:
        suggestions_accept_all(workspace=workspace, event_ids=event_ids)


def internal_after_domains_changed(sender, *, workspace, **kwargs) -> dict[str, int]:
    attendees_reflag_internal(workspace=workspace)
    return internal_meetings_apply(workspace=workspace)


def internal_count_before_domains_change(sender, *, workspace, domains, **kwargs) -> int:
    return internal_hidden_count(workspace=workspace, domains=domains)
