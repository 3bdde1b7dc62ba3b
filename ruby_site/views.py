from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ruby_site import services
from ruby_site.access import admin_required, admin_required_to_change, member_required
from ruby_site.adapters import INVITATION_SESSION_KEY
from ruby_site.forms import InvitationForm, ProfileForm, WorkspaceSettingsForm
from ruby_site.models import Invitation
from ruby_site.selectors import open_invitation


@member_required
def settings_profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("settings_profile")
    return render(request, "ruby_site/settings_profile.html", {"form": form, "section": "profile"})


@admin_required_to_change
def settings_workspace(request):
    workspace = request.workspace
    form = WorkspaceSettingsForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        domains = form.cleaned_data["internal_domains_text"]
        to_hide = services.internal_domains_preview(workspace=workspace, internal_domains=domains)
        if to_hide and request.POST.get("confirm_hidden") != str(to_hide):
            # Warn first: saving hides meetings from every member's calendar.
            warning = (
                f"Saving these internal domains will hide {_meetings(to_hide)} where every attendee is from your "
                "domains. They are kept and come back if you remove the domain. Press Save again to confirm."
            )
            return render(
                request,
                "ruby_site/settings_workspace.html",
                {"form": form, "section": "workspace", "can_edit": True, "warning": warning, "to_hide": to_hide},
            )
        result = services.workspace_update(
            workspace=workspace,
            name=form.cleaned_data["name"],
            internal_domains=domains,
            sync_interval_minutes=form.cleaned_data["sync_interval_minutes"],
            event_visibility=form.cleaned_data["event_visibility"],
            auto_create_from_calendar=form.cleaned_data["auto_create_from_calendar"],
        )
        note = "Workspace settings saved."
        if result["hidden"]:
            note += f" {_meetings(result['hidden'])} {_are(result['hidden'])} now hidden as internal."
        if result["shown"]:
            note += f" {_meetings(result['shown'])} {_are(result['shown'])} back on the calendar (no longer internal)."
        messages.success(request, note)
        return redirect("settings_workspace")
    if not request.membership.is_admin:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "ruby_site/settings_workspace.html",
        {
            "form": form,
            "section": "workspace",
            "can_edit": request.membership.is_admin,
        },
    )


def _meetings(n: int) -> str:
    return "1 meeting" if n == 1 else f"{n} meetings"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


@admin_required_to_change
def settings_members(request):
    workspace = request.workspace
    form = InvitationForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        invitation = services.invitation_create(
            workspace=workspace,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
        )
        _send_invitation(request, invitation)
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect("settings_members")
    return render(
        request,
        "ruby_site/settings_members.html",
        {
            "form": form,
            "section": "members",
            "members": workspace.memberships.select_related("user").order_by("user__email"),
            "invitations": workspace.invitations.filter(accepted_at__isnull=True),
            "can_edit": request.membership.is_admin,
        },
    )


# Login, then the method, then the workspace: the order these answers have always come in (a GET is a 405 for
# anyone signed in).
@login_required
@require_POST
@admin_required
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, workspace=request.workspace, pk=pk, accepted_at__isnull=True)
    invitation.delete()
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("settings_members")


def _send_invitation(request, invitation) -> None:
    link = request.build_absolute_uri(reverse("invitation_accept", args=[invitation.token]))
    send_mail(
        subject=f"You're invited to {invitation.workspace.name} on Ruby",
        message=(
            f"{request.user.display_name} invited you to join {invitation.workspace.name} on Ruby.\n\n"
            f"Accept the invitation and create your account: {link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_accept(request, token: str):
    invitation = open_invitation(token)
    if invitation is None:
        messages.error(request, "This invitation link is no longer valid. Ask your workspace admin for a new one.")
        return redirect("account_login")
    if request.user.is_authenticated:
        messages.info(request, "You are already signed in; invitations are accepted when you create your account.")
        return redirect("home")
    request.session[INVITATION_SESSION_KEY] = invitation.token
    messages.info(request, f"Create your account with {invitation.email} to join {invitation.workspace.name}.")
    return redirect(f"/accounts/signup/?email={invitation.email}")


def privacy(request):
    return render(request, "ruby_site/privacy.html")
