"""One access layer for views: who may open a page, resolved once, refused in one place.

`@member_required` resolves the signed-in user's membership (loaded once by WorkspaceMiddleware), puts it on the
request as `request.membership` / `request.workspace`, and answers 404 for a user outside any workspace, so an id
from another workspace and "no workspace" look the same. `@admin_required` additionally answers 403 for a member
who is not a workspace admin; `@admin_required_to_change` lets every member read a page and only admins post to it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

NOT_A_MEMBER = "You are not a member of any workspace."
ADMINS_ONLY = "Only workspace admins can change workspace settings."
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def member_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if membership is None:
            raise Http404(NOT_A_MEMBER)
        request.workspace = membership.workspace
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view):
    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.membership.is_admin:
            raise PermissionDenied(ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


def admin_required_to_change(view):
    """A page every member may read but only admins may change: GET for all members, 403 for a non-admin's
    POST (or any other unsafe method)."""

    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS and not request.membership.is_admin:
            raise PermissionDenied(ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


def safe_next_url(request, default: str, *, field: str = "next") -> str:
    """The `next` address the form posted (or the query string carried) when it stays on this site, else
    `default`: never an open redirect to another host or scheme."""
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
