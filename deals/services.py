"""Writes for accounts, contacts and deals.

Linking calendar attendees to contacts and accounts lives with the events, in calendar_sync/services/linking.py;
every write here that can change a link announces it with deals.signals.directory_changed.
"""

from __future__ import annotations

from django.db import transaction

from deals.models import Account, Contact, Deal
from deals.signals import directory_changed
from ruby_site.models import Workspace


def directory_announce(*, workspace: Workspace, emails=(), domains=()) -> None:
    emails = {e.strip().lower() for e in emails if e}
    domains = {d.strip().lower() for d in domains if d}
    if emails or domains:
        directory_changed.send(sender=Account, workspace=workspace, emails=emails, domains=domains)


def _old(model, pk, field: str) -> str:
    if not pk:
        return ""
    return model.objects.filter(pk=pk).values_list(field, flat=True).first() or ""


@transaction.atomic
def account_save(*, workspace: Workspace, form) -> Account:
    account = form.save(commit=False)
    old_domain = _old(Account, account.pk, "domain")
    account.workspace = workspace
    account.save()
    directory_announce(workspace=workspace, domains={old_domain, account.domain})
    return account


@transaction.atomic
def account_create(*, workspace: Workspace, name: str, domain: str) -> Account:
    account = Account.objects.create(workspace=workspace, name=name, domain=domain)
    directory_announce(workspace=workspace, domains={account.domain})
    return account


@transaction.atomic
def contact_save(*, workspace: Workspace, form) -> Contact:
    contact = form.save(commit=False)
    old_email = _old(Contact, contact.pk, "email")
    contact.workspace = workspace
    contact.save()
    directory_announce(workspace=workspace, emails={old_email, contact.email})
    return contact


@transaction.atomic
def contact_create(*, workspace: Workspace, name: str, email: str, account: Account | None = None) -> Contact:
    contact = Contact.objects.create(workspace=workspace, name=name, email=email, account=account)
    directory_announce(workspace=workspace, emails={contact.email})
    return contact


@transaction.atomic
def deal_save(*, workspace: Workspace, form) -> Deal:
    deal = form.save(commit=False)
    deal.workspace = workspace
    deal.save()
    form.save_m2m()
    return deal


@transaction.atomic
def csv_import_apply(*, workspace: Workspace, checked) -> int:
    """Store every checked row of an import in one transaction (a row the database refuses undoes them all),
    then announce the new accounts and contacts so their meetings link at once."""
    if checked.errors:
        raise ValueError("an import with errors is never stored")
    model = type(checked.objects[0]) if checked.objects else None
    if model is None:
        return 0
    for obj in checked.objects:
        obj.save()  # save(), not bulk_create: the models normalise domain and email there
    directory_announce(
        workspace=workspace,
        emails={o.email for o in checked.objects if isinstance(o, Contact)},
        domains={o.domain for o in checked.objects if isinstance(o, Account)},
    )
    return len(checked.objects)
