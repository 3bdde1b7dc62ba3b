"""Accounts and contacts the calendar suggests (issue 14): read from the meetings, never stored.

An external attendee's domain that no account uses becomes a suggested account ("Northwind — northwind.example —
4 meetings, 3 people"); an external attendee with no contact becomes a suggested contact. Free-mail domains
(ruby_site.domains, the one list) are never suggested, nor the workspace's internal domains,
nor resources (rooms), nor what someone in the workspace dismissed (SuggestionDismissal). Read from the meetings
the user may see, so a suggestion reveals nothing they cannot open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from calendar_sync.models import CalendarEvent, EventAttendee, SuggestionDismissal
from deals.models import Account, Contact
from ruby_site.domains import is_free_mail
from ruby_site.selectors import email_domain


@dataclass
class AccountSuggestion:
    domain: str
    name: str
    event_ids: set[int] = field(default_factory=set)
    people: set[str] = field(default_factory=set)

    @property
    def meetings(self) -> int:
        return len(self.event_ids)


@dataclass
class ContactSuggestion:
    email: str
    name: str
    domain: str
    account_id: int | None = None
    account_name: str = ""
    event_ids: set[int] = field(default_factory=set)

    @property
    def meetings(self) -> int:
        return len(self.event_ids)


@dataclass
class Suggestions:
    accounts: list[AccountSuggestion]
    contacts: list[ContactSuggestion]

    @property
    def count(self) -> int:
        return len(self.accounts) + len(self.contacts)


def name_from_domain(domain: str) -> str:
    """northwind.example → Northwind; blue-yonder.co.uk → Blue Yonder."""
    label = domain.split(".")[0] if domain else ""
    return " ".join(part.capitalize() for part in label.replace("_", "-").split("-") if part) or domain


def suggestable_domain(domain: str, internal: set[str]) -> bool:
    return bool(domain) and not is_free_mail(domain) and domain not in internal


def suggestions_from(events: QuerySet[CalendarEvent], *, workspace) -> Suggestions:
    events = events.filter(workspace=workspace, state=CalendarEvent.State.ACTIVE, removed_at__isnull=True)
    rows = (
        EventAttendee.objects.filter(event__in=events.values("pk"), is_internal=False)
        .exclude(attendee_type=EventAttendee.Type.RESOURCE)
        .exclude(email="")
    )
    internal = {d.lower() for d in workspace.internal_domains}
    accounts_by_domain = {
        domain: (pk, name)
        for pk, domain, name in Account.objects.filter(workspace=workspace)
        .exclude(domain="")
        .values_list("pk", "domain", "name")
    }
    known_contacts = set(Contact.objects.filter(workspace=workspace).values_list("email", flat=True))
    dismissed = set(SuggestionDismissal.objects.filter(workspace=workspace).values_list("kind", "value"))
    known_contacts |= {value for kind, value in dismissed if kind == SuggestionDismissal.Kind.CONTACT}
    dismissed_domains = {value for kind, value in dismissed if kind == SuggestionDismissal.Kind.ACCOUNT}
    by_domain: dict[str, AccountSuggestion] = {}
    by_email: dict[str, ContactSuggestion] = {}
    for event_id, email, name in rows.values_list("event_id", "email", "name").order_by("event_id", "pk"):
        email = email.strip().lower()
        domain = email_domain(email)
        if not suggestable_domain(domain, internal):
            continue
        account = accounts_by_domain.get(domain)
        if account is None and domain not in dismissed_domains:
            suggestion = by_domain.setdefault(domain, AccountSuggestion(domain=domain, name=name_from_domain(domain)))
            suggestion.event_ids.add(event_id)
            suggestion.people.add(email)
        if email in known_contacts:
            continue
        contact = by_email.get(email)
        if contact is None:
            contact = by_email[email] = ContactSuggestion(
                email=email,
                name=name.strip() or email.split("@")[0],
                domain=domain,
                account_id=account[0] if account else None,
                account_name=account[1] if account else "",
            )
        elif not contact.name or contact.name == email.split("@")[0]:
            contact.name = name.strip() or contact.name
        contact.event_ids.add(event_id)
    accounts = sorted(by_domain.values(), key=lambda s: (-s.meetings, -len(s.people), s.domain))
    contacts = sorted(by_email.values(), key=lambda s: (-s.meetings, s.domain, s.email))
    return Suggestions(accounts=accounts, contacts=contacts)
