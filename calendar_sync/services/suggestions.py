"""Creating the accounts and contacts the calendar suggests (one click, or automatically after a sync when the
workspace chose "create automatically"). The deals services announce each creation, and calendar_sync's receiver
links the existing meetings at once."""

from __future__ import annotations

from django.db import transaction

from calendar_sync.models import CalendarEvent, SuggestionDismissal
from calendar_sync.selectors.suggestions import Suggestions, suggestions_from
from deals import services as deal_services
from deals.models import Account, Contact
from ruby_site.errors import UserFacingError
from ruby_site.models import Workspace


def _find(suggestions: Suggestions, *, domain: str = "", email: str = ""):
    if domain:
        return next((s for s in suggestions.accounts if s.domain == domain.strip().lower()), None)
    return next((s for s in suggestions.contacts if s.email == email.strip().lower()), None)


@transaction.atomic
def suggestion_account_accept(*, workspace: Workspace, events, domain: str) -> Account:
    """Create the suggested account for `domain` (from the meetings in `events`, which the user may see)."""
    suggestion = _find(suggestions_from(events, workspace=workspace), domain=domain)
    if suggestion is None:
        raise UserFacingError(f"There is no suggested account for {domain} any more.")
    return deal_services.account_create(workspace=workspace, name=suggestion.name, domain=suggestion.domain)


@transaction.atomic
def suggestion_contact_accept(*, workspace: Workspace, events, email: str) -> Contact:
    suggestion = _find(suggestions_from(events, workspace=workspace), email=email)
    if suggestion is None:
        raise UserFacingError(f"There is no suggested contact for {email} any more.")
    account = Account.objects.filter(workspace=workspace, domain=suggestion.domain).first()
    return deal_services.contact_create(
        workspace=workspace, name=suggestion.name, email=suggestion.email, account=account
    )


def suggestion_dismiss(*, workspace: Workspace, user, events, domain: str = "", email: str = "") -> SuggestionDismissal:
    """Never suggest this domain (as an account) or this email (as a contact) to the workspace again."""
    suggestion = _find(suggestions_from(events, workspace=workspace), domain=domain, email=email)
    if suggestion is None:
        raise UserFacingError(f"There is no suggestion for {domain or email} any more.")
    kind = SuggestionDismissal.Kind.ACCOUNT if domain else SuggestionDismissal.Kind.CONTACT
    value = suggestion.domain if domain else suggestion.email
    dismissal, _ = SuggestionDismissal.objects.get_or_create(
        workspace=workspace, kind=kind, value=value, defaults={"dismissed_by": user}
    )
    return dismissal


@transaction.atomic
def suggestions_accept_all(*, workspace: Workspace, event_ids) -> tuple[int, int]:
    """Create every suggestion found in these events: accounts first, so the contacts join them."""
    events = CalendarEvent.objects.filter(workspace=workspace, pk__in=list(event_ids))
    found = suggestions_from(events, workspace=workspace)
    accounts = {}
    for suggestion in found.accounts:
        accounts[suggestion.domain] = Account.objects.create(
            workspace=workspace, name=suggestion.name, domain=suggestion.domain
        )
    existing = dict(Account.objects.filter(workspace=workspace).exclude(domain="").values_list("domain", "pk"))
    for suggestion in found.contacts:
        Contact.objects.create(
            workspace=workspace,
            name=suggestion.name,
            email=suggestion.email,
            account_id=existing.get(suggestion.domain),
        )
    deal_services.directory_announce(
        workspace=workspace, emails={s.email for s in found.contacts}, domains=set(accounts)
    )
    return len(found.accounts), len(found.contacts)
