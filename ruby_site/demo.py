"""Demo workspace for `make run`: idempotent, so running it again creates nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals.models import Account, Contact, Deal
from ruby_site.models import Membership, User, Workspace

DEMO_PASSWORD = "ruby-demo-2026"  # noqa: S105 - the demo login, printed by the command; not a secret
DEMO_ADMIN_EMAIL = "demo@ruby-demo.example"
DEMO_MEMBER_EMAIL = "mia@ruby-demo.example"
DEMO_DOMAIN = "ruby-demo.example"

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


@dataclass
class DemoResult:
    workspace: Workspace
    admin: User
    member: User
    created: list[str] = field(default_factory=list)


def _user(email: str, first: str, last: str, created: list[str]) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, time_zone="America/Toronto"
        )
        created.append(f"user {email}")
    return user


@transaction.atomic
def load_demo() -> DemoResult:
    created: list[str] = []
    workspace, made = Workspace.objects.get_or_create(
        slug="demo",
        defaults={"name": "Ruby Demo", "internal_domains": [DEMO_DOMAIN], "sync_interval_minutes": 15},
    )
    if made:
        created.append("workspace demo")
    admin = _user(DEMO_ADMIN_EMAIL, "Sam", "Seller", created)
    member = _user(DEMO_MEMBER_EMAIL, "Mia", "Member", created)
    for user, role in ((admin, Membership.Role.ADMIN), (member, Membership.Role.MEMBER)):
        if not Membership.objects.filter(user=user).exists():
            Membership.objects.create(user=user, workspace=workspace, role=role)
            created.append(f"membership {user.email}")

    accounts = {}
    for name, domain in ACCOUNTS:
        account, made = Account.objects.get_or_create(workspace=workspace, domain=domain, defaults={"name": name})
        accounts[domain] = account
        if made:
            created.append(f"account {name}")
    for name, email, title, domain in CONTACTS:
        _, made = Contact.objects.get_or_create(
            workspace=workspace, email=email, defaults={"name": name, "title": title, "account": accounts[domain]}
        )
        if made:
            created.append(f"contact {email}")
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
                "owner": admin,
            },
        )
        if made:
            created.append(f"deal {name}")
    return DemoResult(workspace=workspace, admin=admin, member=member, created=created)
