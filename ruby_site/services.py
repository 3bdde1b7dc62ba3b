from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ruby_site.models import AuditEntry, Invitation, Membership, User, Workspace
from ruby_site.signals import internal_domains_changed, internal_domains_previewing


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
    *,
    workspace: Workspace,
    internal_domains: list[str],
    sync_interval_minutes: int,
    event_visibility: str,
    name: str,
    auto_create_from_calendar: bool | None = None,
) -> dict[str, int]:
    """Save the workspace settings. Returns what the internal-domain change did to the meetings
    ({"hidden": n, "shown": m}, summed over the receivers of internal_domains_changed)."""
    domains_changed = sorted(workspace.internal_domains or []) != sorted(internal_domains)
    workspace.name = name
    workspace.internal_domains = internal_domains
    workspace.sync_interval_minutes = sync_interval_minutes
    workspace.event_visibility = event_visibility
    fields = ["name", "internal_domains", "sync_interval_minutes", "event_visibility"]
    if auto_create_from_calendar is not None:
        workspace.auto_create_from_calendar = auto_create_from_calendar
        fields.append("auto_create_from_calendar")
    workspace.save(update_fields=fields)
    result = {"hidden": 0, "shown": 0}
    if domains_changed:
        for _, answer in internal_domains_changed.send(sender=Workspace, workspace=workspace):
            for key, value in (answer or {}).items():
                result[key] = result.get(key, 0) + value
    return result


def internal_domains_preview(*, workspace: Workspace, internal_domains: list[str]) -> int:
    """How many meetings on the calendar the new internal domains would hide (0 when unchanged)."""
    if sorted(workspace.internal_domains or []) == sorted(internal_domains):
        return 0
    answers = internal_domains_previewing.send(sender=Workspace, workspace=workspace, domains=internal_domains)
    return sum(answer or 0 for _, answer in answers)


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


def user_calendar_layout_set(*, user: User, layout: str) -> User:
    user.calendar_layout = layout if layout in ("list", "week") else "list"
    user.save(update_fields=["calendar_layout"])
    return user
