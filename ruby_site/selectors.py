from __future__ import annotations

from ruby_site.models import Invitation, Membership, User, Workspace

REQUEST_MEMBERSHIP_ATTR = "_ruby_request_membership"
_UNSET = object()


def membership_for(user) -> Membership | None:
    """The user's membership (with its workspace). Within a request the middleware has already loaded it
    onto request.user, so views, selectors and the context processor share one query."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, REQUEST_MEMBERSHIP_ATTR, _UNSET)
    if cached is not _UNSET:
        return cached
    return Membership.objects.select_related("workspace").filter(user=user).first()


def workspace_members(workspace: Workspace):
    return User.objects.filter(membership__workspace=workspace).order_by("email")


def open_invitation(token: str) -> Invitation | None:
    return Invitation.objects.select_related("workspace").filter(token=token, accepted_at__isnull=True).first()


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""
