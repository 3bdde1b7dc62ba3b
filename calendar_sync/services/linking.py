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

from calendar_sync.models import CalendarEvent, EventAttendee
from deals.models import Account, Contact
from ruby_site.selectors import email_domain


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


def link_events(*, workspace, event_ids) -> LinkSummary:
    summary = LinkSummary()
    # Plain tuples, not model instances: a sync links thousands of events and their attendees at once.
    events = dict(
        CalendarEvent.objects.filter(
            workspace=workspace, pk__in=list(event_ids), state=CalendarEvent.State.ACTIVE
        ).values_list("id", "account_id")
    )
    if not events:
        return summary
    summary.events = len(events)
    attendees = list(
        EventAttendee.objects.filter(event__in=list(events)).values_list(
            "id", "event_id", "email", "is_internal", "contact_id"
        )
    )
    emails = {email.lower() for _, _, email, _, _ in attendees if email}
    contacts = {
        email: (pk, account_id)
        for pk, email, account_id in Contact.objects.filter(workspace=workspace, email__in=emails).values_list(
            "id", "email", "account_id"
        )
    }
    domains = {email_domain(email) for _, _, email, internal, _ in attendees if email and not internal}
    domains.discard("")
    accounts_by_domain = dict(
        Account.objects.filter(workspace=workspace, domain__in=domains).values_list("domain", "id")
    )

    new_contacts: dict[int, int | None] = {}
    indicated: dict[int, set[int]] = {pk: set() for pk in events}
    for pk, event_id, email, is_internal, contact_id in attendees:
        contact = contacts.get(email.lower()) if email else None
        new_contact_id = contact[0] if contact else None
        if contact_id != new_contact_id:
            if new_contact_id:
                summary.attendees_linked += 1
            else:
                summary.attendees_unlinked += 1
            new_contacts[pk] = new_contact_id
        if is_internal:
            continue
        account_id = (contact[1] if contact else None) or accounts_by_domain.get(email_domain(email))
        if account_id:
            indicated[event_id].add(account_id)

    new_accounts: dict[int, int | None] = {}
    for pk, account_id in events.items():
        accounts = indicated[pk]
        new_account_id = next(iter(accounts)) if len(accounts) == 1 else None
        if account_id != new_account_id:
            if new_account_id:
                summary.accounts_set += 1
            else:
                summary.accounts_cleared += 1
            new_accounts[pk] = new_account_id

    _set_by_value(EventAttendee, "contact_id", new_contacts)
    _set_by_value(CalendarEvent, "account_id", new_accounts)
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
