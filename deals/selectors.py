from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from deals.models import Account, Contact, Deal
from ruby_site.models import Workspace


def accounts_in(workspace: Workspace, *, query: str = "") -> QuerySet[Account]:
    qs = Account.objects.filter(workspace=workspace).annotate(
        contact_count=Count("contacts", distinct=True), deal_count=Count("deals", distinct=True)
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(domain__icontains=query))
    return qs.order_by("name", "id")


def contacts_in(workspace: Workspace, *, query: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.filter(workspace=workspace).select_related("account")
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(account__name__icontains=query))
    return qs.order_by("name", "id")


def deals_in(workspace: Workspace, *, query: str = "", stage: str = "") -> QuerySet[Deal]:
    qs = Deal.objects.filter(workspace=workspace).select_related("account", "owner")
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(account__name__icontains=query) | Q(account__domain__icontains=query)
        )
    if stage == "open":
        qs = qs.filter(stage__in=Deal.OPEN_STAGES)
    elif stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("name", "id")


def account_get(workspace: Workspace, pk: int) -> Account:
    return get_object_or_404(Account, workspace=workspace, pk=pk)


def contact_get(workspace: Workspace, pk: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("account"), workspace=workspace, pk=pk)


def deal_get(workspace: Workspace, pk: int) -> Deal:
    return get_object_or_404(Deal.objects.select_related("account", "owner"), workspace=workspace, pk=pk)
