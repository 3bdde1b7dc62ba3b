"""Demo workspace for `make run` (its users and memberships; each app above adds its own demo rows, and the
`demo_data` command runs them in order): idempotent, so running it again creates nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from ruby_site.models import Membership, User, Workspace

DEMO_PASSWORD = "ruby-demo-2026"  # noqa: S105 - the demo login, printed by the command; not a secret
DEMO_ADMIN_EMAIL = "demo@ruby-demo.example"
DEMO_MEMBER_EMAIL = "mia@ruby-demo.example"
DEMO_DOMAIN = "ruby-demo.example"


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
def load_demo_workspace() -> DemoResult:
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
    return DemoResult(workspace=workspace, admin=admin, member=member, created=created)
