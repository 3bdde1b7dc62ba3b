"""calendar_sync services: events — discard, restore, process again, assign to a deal (design.md §3 step 5).

Each write records an EventActivity row for the meeting's activity trail. Callers check visibility and
permissions first (selectors.events); these functions still refuse a deal from another workspace. `updated_at` is
auto_now: naming it in update_fields is what stamps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity
from calendar_sync.services.linking import LinkSummary, link_events
from calendar_sync.signals import event_discarded, event_restored, events_changed
from deals.models import Deal
from ruby_site.errors import UserFacingError


class EventActionError(UserFacingError):
    """An action that cannot be done on this meeting; the message is shown to the user as is."""

    code = "event_action"


def _record(*, event: CalendarEvent, by, action: str, detail: str = "") -> EventActivity:
    return EventActivity.objects.create(event=event, actor=by, action=action, detail=detail[:500])


@transaction.atomic
def event_discard(*, event: CalendarEvent, by) -> CalendarEvent:
    """Hide the meeting from the calendar and from linking, matching and insights; the row is kept, and the
    sync leaves the state alone, so it stays discarded across syncs."""
    if event.is_discarded:
        return event
    event.state = CalendarEvent.State.DISCARDED
    event.discarded_at = timezone.now()
    event.discarded_by = by
    event.save(update_fields=["state", "discarded_at", "discarded_by", "updated_at"])
    _record(event=event, by=by, action=EventActivity.Action.DISCARDED)
    event_discarded.send(sender=CalendarEvent, event=event)
    return event


@transaction.atomic
def event_restore(*, event: CalendarEvent, by) -> CalendarEvent:
    if not event.is_discarded:
        return event
    event.state = CalendarEvent.State.ACTIVE
    event.discarded_at = None
    event.discarded_by = None
    event.save(update_fields=["state", "discarded_at", "discarded_by", "updated_at"])
    _record(event=event, by=by, action=EventActivity.Action.RESTORED)
    event_restored.send(sender=CalendarEvent, event=event)
    return event


@dataclass
class ProcessSummary:
    link: LinkSummary
    transcripts_matched: int
    account_name: str = ""

    @property
    def message(self) -> str:
        """One sentence saying what changed, e.g. "Linked 2 contacts and the account Northwind; no new
        transcript matched." """
        link_parts = []
        if self.link.attendees_linked:
            n = self.link.attendees_linked
            link_parts.append(f"{n} contact{'s' if n != 1 else ''}")
        if self.link.accounts_set and self.account_name:
            link_parts.append(f"the account {self.account_name}")
        sentences = []
        if link_parts:
            sentences.append("Linked " + " and ".join(link_parts))
        if self.link.attendees_unlinked:
            n = self.link.attendees_unlinked
            sentences.append(f"unlinked {n} attendee{'s' if n != 1 else ''} whose contact no longer exists")
        if self.link.accounts_cleared:
            sentences.append("cleared the account (the attendees no longer point to exactly one account)")
        if not sentences:
            sentences.append("Links were already up to date")
        n = self.transcripts_matched
        sentences.append(f"matched {n} transcript{'s' if n != 1 else ''}" if n else "no new transcript matched")
        text = "; ".join(sentences)
        return text[0].upper() + text[1:] + "."


@transaction.atomic
def event_process_again(*, event: CalendarEvent, by) -> ProcessSummary:
    """Re-run linking and transcript matching for this one meeting now."""
    if event.is_discarded:
        raise EventActionError("This meeting is discarded, so Ruby does not process it. Restore it first.")
    link = link_events(workspace=event.workspace, event_ids=[event.pk])
    # The receivers (transcripts) answer how many transcripts they newly matched.
    answers = events_changed.send(sender=CalendarEvent, workspace=event.workspace, event_ids=[event.pk])
    matched = sum(answer or 0 for _, answer in answers)
    now = timezone.now()
    CalendarEvent.objects.filter(pk=event.pk).update(processed_at=now)
    event.refresh_from_db(fields=["account", "processed_at"])
    summary = ProcessSummary(
        link=link, transcripts_matched=matched or 0, account_name=event.account.name if event.account else ""
    )
    _record(event=event, by=by, action=EventActivity.Action.PROCESSED, detail=summary.message)
    return summary


@transaction.atomic
def event_assign_deal(*, event: CalendarEvent, deal: Deal, by) -> CalendarEvent:
    """The manual step of product doc §14.5: Ruby never assigns a deal by itself."""
    if deal.workspace_id != event.workspace_id:
        raise EventActionError("That deal belongs to another workspace.")
    if event.deal_id == deal.pk:
        return event
    previous = event.deal
    event.deal = deal
    event.save(update_fields=["deal", "updated_at"])
    detail = deal.name if previous is None else f"{deal.name} (was {previous.name})"
    _record(event=event, by=by, action=EventActivity.Action.ASSIGNED, detail=detail)
    return event


@transaction.atomic
def event_unassign_deal(*, event: CalendarEvent, by) -> CalendarEvent:
    if event.deal_id is None:
        return event
    previous = event.deal
    event.deal = None
    event.save(update_fields=["deal", "updated_at"])
    _record(event=event, by=by, action=EventActivity.Action.UNASSIGNED, detail=previous.name)
    return event
