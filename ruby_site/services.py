from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ruby_site.models import AuditEntry, Invitation, Membership, User, Workspace
from ruby_site.signals import internal_domains_changed


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def workspace_create(*, owner: User, name: str, internal_domains: list[str] | None = None) -> Workspace:
    workspace = Workspace.objects.create(name=name, slug=_unique_slug(name), internal_domains=internal_domains or [])
    Membership.objects.create(user=owner, workspace=workspace, role=Membership.Role.ADMIN)
    return workspace


@transaction.atomic
def workspace_update(
    *, workspace: Workspace, internal_domains: list[str], sync_interval_minutes: int, event_visibility: str, name: str
) -> Workspace:
    domains_changed = sorted(workspace.internal_domains or []) != sorted(internal_domains)
    workspace.name = name
    workspace.internal_domains = internal_domains
    workspace.sync_interval_minutes = sync_interval_minutes
    workspace.event_visibility = event_visibility
    workspace.save(update_fields=["name", "internal_domains", "sync_interval_minutes", "event_visibility"])
    if domains_changed:
        # calendar_sync re-flags stored attendees (ruby_site imports no app above it).
        internal_domains_changed.send(sender=Workspace, workspace=workspace)
    return workspace


def invitation_create(*, workspace: Workspace, email: str, role: str, invited_by: User) -> Invitation:
    email = email.strip().lower()
    invitation, _ = Invitation.objects.update_or_create(
        workspace=workspace,
        email=email,
        accepted_at=None,
        defaults={"role": role, "invited_by": invited_by},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    membership = Membership.objects.create(user=user, workspace=invitation.workspace, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    actor_label: str = "",
    workspace: Workspace | None = None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    counts: dict | None = None,
) -> AuditEntry:
    """Append one audit entry. `obj` is described by type and id only — never by personal data."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label or (AuditEntry.ActorKind.USER if actor is not None else AuditEntry.ActorKind.SYSTEM),
        workspace=workspace,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        counts=counts or {},
    )
