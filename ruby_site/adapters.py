from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import transaction

from ruby_site import services
from ruby_site.domains import is_free_mail
from ruby_site.selectors import open_invitation

INVITATION_SESSION_KEY = "ruby_invitation_token"


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        return super().clean_email(email).strip().lower()

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            _join_or_create_workspace(request, user, form)
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign in with Microsoft. allauth identifies the person by the provider's object id; with
    SOCIALACCOUNT_EMAIL_AUTHENTICATION off, an existing Ruby user is never logged in or linked just
    because Microsoft claims the same (unverified) email — they must log in and connect instead."""

    @transaction.atomic
    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        _join_or_create_workspace(request, user, form)
        return user


def _join_or_create_workspace(request, user, form) -> None:
    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    invitation = open_invitation(token) if token else None
    if invitation is not None and invitation.email.lower() == user.email.lower():
        services.invitation_accept(invitation=invitation, user=user)
        return
    cleaned = getattr(form, "cleaned_data", {}) if form is not None else {}
    name = (cleaned.get("workspace_name") or "").strip()
    domain = user.email.rsplit("@", 1)[-1].lower()
    # A company domain is internal by default; a free-mail domain never is (gmail.com colleagues
    # are not "your organisation").
    internal = [] if is_free_mail(domain) else [domain]
    services.workspace_create(owner=user, name=name or f"{domain} workspace", internal_domains=internal)
