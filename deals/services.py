"""Writes for accounts, contacts and deals.

Linking calendar attendees to contacts and accounts lives with the events, in calendar_sync/services/linking.py.
"""

from __future__ import annotations

from django.db import transaction

from deals.models import Account, Contact, Deal
from ruby_site.models import Workspace


def account_save(*, workspace: Workspace, form) -> Account:
    account = form.save(commit=False)
    account.workspace = workspace
    account.save()
    return account


def contact_save(*, workspace: Workspace, form) -> Contact:
    contact = form.save(commit=False)
    contact.workspace = workspace
    contact.save()
    return contact


@transaction.atomic
def deal_save(*, workspace: Workspace, form) -> Deal:
    deal = form.save(commit=False)
    deal.workspace = workspace
    deal.save()
    form.save_m2m()
    return deal
