from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from deals import selectors, services
from deals.forms import AccountForm, ContactForm, DealForm
from deals.models import Deal
from ruby_site.access import member_required

PAGE_SIZE = 25


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@member_required
def account_list(request):
    workspace = request.workspace
    query = request.GET.get("q", "").strip()
    page = _page(request, selectors.accounts_in(workspace, query=query))
    return render(request, "deals/account_list.html", {"page": page, "q": query})


@member_required
def account_detail(request, pk: int):
    # The meeting activity comes from {% account_insights %} (transcripts), which deals does not import.
    account = selectors.account_get(request.workspace, pk)
    return render(
        request,
        "deals/account_detail.html",
        {
            "account": account,
            "contacts": account.contacts.order_by("name"),
            "deals": account.deals.select_related("owner").order_by("name"),
        },
    )


@member_required
def account_edit(request, pk: int | None = None):
    workspace = request.workspace
    account = selectors.account_get(workspace, pk) if pk else None
    form = AccountForm(request.POST or None, instance=account, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        account = services.account_save(workspace=workspace, form=form)
        messages.success(request, f"Account “{account.name}” saved.")
        return redirect("account_detail", pk=account.pk)
    return render(
        request, "deals/form.html", {"form": form, "object": account, "kind": "account", "cancel_url": "account_list"}
    )


@member_required
def contact_list(request):
    workspace = request.workspace
    query = request.GET.get("q", "").strip()
    page = _page(request, selectors.contacts_in(workspace, query=query))
    return render(request, "deals/contact_list.html", {"page": page, "q": query})


@member_required
def contact_detail(request, pk: int):
    # The meetings come from {% contact_meetings %} (transcripts), which deals does not import.
    contact = selectors.contact_get(request.workspace, pk)
    return render(request, "deals/contact_detail.html", {"contact": contact})


@member_required
def contact_edit(request, pk: int | None = None):
    workspace = request.workspace
    contact = selectors.contact_get(workspace, pk) if pk else None
    initial = {}
    if contact is None and request.GET.get("email"):
        initial = {"email": request.GET["email"], "name": request.GET.get("name", "")}
        account_id = request.GET.get("account")
        if account_id and account_id.isdigit():
            initial["account"] = selectors.accounts_in(workspace).filter(pk=account_id).first()
    form = ContactForm(request.POST or None, instance=contact, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        contact = services.contact_save(workspace=workspace, form=form)
        messages.success(request, f"Contact “{contact.name}” saved.")
        return redirect("contact_detail", pk=contact.pk)
    return render(
        request, "deals/form.html", {"form": form, "object": contact, "kind": "contact", "cancel_url": "contact_list"}
    )


@member_required
def deal_list(request):
    workspace = request.workspace
    query = request.GET.get("q", "").strip()
    stage = request.GET.get("stage", "")
    page = _page(request, selectors.deals_in(workspace, query=query, stage=stage))
    return render(
        request, "deals/deal_list.html", {"page": page, "q": query, "stage": stage, "stages": Deal.Stage.choices}
    )


@member_required
def deal_detail(request, pk: int):
    # Insights and meetings come from {% deal_insights %} and {% deal_meetings %} (the apps above deals).
    deal = selectors.deal_get(request.workspace, pk)
    return render(request, "deals/deal_detail.html", {"deal": deal, "team": deal.team.order_by("email")})


@member_required
def deal_edit(request, pk: int | None = None):
    workspace = request.workspace
    deal = selectors.deal_get(workspace, pk) if pk else None
    initial = {} if deal else {"owner": request.user}
    form = DealForm(request.POST or None, instance=deal, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        deal = services.deal_save(workspace=workspace, form=form)
        messages.success(request, f"Deal “{deal.name}” saved.")
        return redirect("deal_detail", pk=deal.pk)
    return render(request, "deals/form.html", {"form": form, "object": deal, "kind": "deal", "cancel_url": "deal_list"})
