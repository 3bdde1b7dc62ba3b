"""Demo accounts, contacts and deals for `make run`, in the demo workspace; idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals.models import Account, Contact, Deal
from ruby_site.demo import DemoResult, load_demo_workspace

ACCOUNTS = [
    ("Northwind Traders", "northwind.example"),
    ("Contoso", "contoso.example"),
    ("Fabrikam", "fabrikam.example"),
    ("Tailspin Toys", "tailspin.example"),
]
CONTACTS = [
    ("Dana Whitfield", "dana@northwind.example", "VP Operations", "northwind.example"),
    ("Lee Park", "lee@northwind.example", "IT Director", "northwind.example"),
    ("Kim Alvarez", "kim@contoso.example", "Head of Sales Ops", "contoso.example"),
    ("Ravi Menon", "ravi@fabrikam.example", "CFO", "fabrikam.example"),
    ("Jo Becker", "jo@tailspin.example", "Procurement Lead", "tailspin.example"),
]
DEALS = [
    ("Northwind — Platform rollout", "northwind.example", Deal.Stage.PROPOSAL, Decimal("84000"), 30),
    ("Contoso — Sales Ops pilot", "contoso.example", Deal.Stage.DISCOVERY, Decimal("24000"), 60),
    ("Fabrikam — Renewal 2027", "fabrikam.example", Deal.Stage.NEGOTIATION, Decimal("120000"), 21),
    ("Tailspin — Expansion", "tailspin.example", Deal.Stage.QUALIFICATION, Decimal("15000"), 90),
]


@transaction.atomic
def load_demo() -> DemoResult:
    """The demo workspace with its users, then its accounts, contacts and deals."""
    result = load_demo_workspace()
    workspace = result.workspace
    accounts = {}
    for name, domain in ACCOUNTS:
        account, made = Account.objects.get_or_create(workspace=workspace, domain=domain, defaults={"name": name})
        accounts[domain] = account
        if made:
            result.created.append(f"account {name}")
    for name, email, title, domain in CONTACTS:
        _, made = Contact.objects.get_or_create(
            workspace=workspace, email=email, defaults={"name": name, "title": title, "account": accounts[domain]}
        )
        if made:
            result.created.append(f"contact {email}")
    today = timezone.localdate()
    for name, domain, stage, amount, days in DEALS:
        deal, made = Deal.objects.get_or_create(
            workspace=workspace,
            name=name,
            defaults={
                "account": accounts[domain],
                "stage": stage,
                "amount": amount,
                "close_date": today + timedelta(days=days),
                "owner": result.admin,
            },
        )
        if made:
            result.created.append(f"deal {name}")
    return result
