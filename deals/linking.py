"""Linking calendar attendees to contacts and events to accounts (design.md §3 step 3).

- attendee email → the workspace's Contact with that email;
- an external attendee points at an Account through their contact's account, else their email domain;
- the event's account is set only when exactly one account is indicated (none when ambiguous);
- deals are never assigned here (product doc §14.5) and discarded events are never linked.
A fixed number of queries whatever the number of events: everything is loaded in bulk and
written back with bulk_update, only where something changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from deals.models import Account, Contact


@dataclass
class LinkSummary:
    events: int = 0
    attendees_linked: int = 0
    attendees_unlinked: int = 0
    accounts_set: int = 0
    accounts_cleared: int = 0

    @property
    def changed(self) -> bool:
        return any((self.attendees_linked, self.attendees_unlinked, self.accounts_set, self.accounts_cleared))


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def link_events(*, workspace, event_ids) -> LinkSummary:
    from calendar_sync.models import CalendarEvent, EventAttendee

    summary = LinkSummary()
    events = list(
        CalendarEvent.objects.filter(
            workspace=workspace, pk__in=list(event_ids), state=CalendarEvent.State.ACTIVE
        ).only("id", "account_id")
    )
    if not events:
        return summary
    summary.events = len(events)
    attendees = list(
        EventAttendee.objects.filter(event__in=[e.pk for e in events]).only(
            "id", "event_id", "email", "is_internal", "contact_id"
        )
    )
    emails = {a.email.lower() for a in attendees if a.email}
    contacts = {
        c.email: c
        for c in Contact.objects.filter(workspace=workspace, email__in=emails).only("id", "email", "account_id")
    }
    domains = {_domain(a.email) for a in attendees if a.email and not a.is_internal}
    domains.discard("")
    accounts_by_domain = {
        a.domain: a.pk for a in Account.objects.filter(workspace=workspace, domain__in=domains).only("id", "domain")
    }

    changed_attendees = []
    indicated: dict[int, set[int]] = {e.pk: set() for e in events}
    for attendee in attendees:
        contact = contacts.get(attendee.email.lower()) if attendee.email else None
        new_contact_id = contact.pk if contact else None
        if attendee.contact_id != new_contact_id:
            if new_contact_id:
                summary.attendees_linked += 1
            else:
                summary.attendees_unlinked += 1
            attendee.contact_id = new_contact_id
            changed_attendees.append(attendee)
        if attendee.is_internal:
            continue
        account_id = (contact.account_id if contact else None) or accounts_by_domain.get(_domain(attendee.email))
        if account_id:
            indicated[attendee.event_id].add(account_id)

    changed_events = []
    for event in events:
        accounts = indicated[event.pk]
        new_account_id = next(iter(accounts)) if len(accounts) == 1 else None
        if event.account_id != new_account_id:
            if new_account_id:
                summary.accounts_set += 1
            else:
                summary.accounts_cleared += 1
            event.account_id = new_account_id
            changed_events.append(event)

    _set_by_value(EventAttendee, "contact_id", {a.pk: a.contact_id for a in changed_attendees})
    _set_by_value(CalendarEvent, "account_id", {e.pk: e.account_id for e in changed_events})
    return summary


def _set_by_value(model, field: str, values: dict[int, int | None]) -> None:
    """One UPDATE … WHERE id IN (…) per distinct new value. A sync links thousands of rows to a handful
    of accounts and contacts, so this is a few cheap queries whatever the number of events, where
    bulk_update needs one CASE-per-row statement per 500 rows."""
    by_value: dict[int | None, list[int]] = {}
    for pk, value in values.items():
        by_value.setdefault(value, []).append(pk)
    for value, pks in by_value.items():
        model.objects.filter(pk__in=pks).update(**{field: value})
