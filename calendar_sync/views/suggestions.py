"""calendar_sync views: accounts and contacts suggested by the calendar, created with one click (POST + CSRF)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from calendar_sync.selectors.events import events_visible_to
from calendar_sync.selectors.suggestions import suggestions_from
from calendar_sync.services import suggestions as services
from ruby_site.access import member_required, safe_next_url
from ruby_site.errors import UserFacingError


@member_required
def suggestion_list(request):
    events = events_visible_to(request.user, membership=request.membership)
    found = suggestions_from(events, workspace=request.workspace)
    return render(request, "calendar_sync/suggestions.html", {"suggestions": found})


@require_POST
@member_required
def suggestion_account_accept(request):
    events = events_visible_to(request.user, membership=request.membership)
    try:
        account = services.suggestion_account_accept(
            workspace=request.workspace, events=events, domain=request.POST.get("domain", "")
        )
    except UserFacingError as exc:
        # A domain the user's meetings do not suggest: as for an id from another workspace.
        raise Http404(str(exc)) from exc
    linked = account.calendar_events.count()
    messages.success(request, f"Account “{account.name}” created; {_meetings(linked)} linked to it.")
    return redirect(safe_next_url(request, "/calendar/suggestions/"))


@require_POST
@member_required
def suggestion_contact_accept(request):
    events = events_visible_to(request.user, membership=request.membership)
    try:
        contact = services.suggestion_contact_accept(
            workspace=request.workspace, events=events, email=request.POST.get("email", "")
        )
    except UserFacingError as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, f"Contact “{contact.name}” created.")
    return redirect(safe_next_url(request, "/calendar/suggestions/"))


@require_POST
@member_required
def suggestion_dismiss(request):
    events = events_visible_to(request.user, membership=request.membership)
    domain, email = request.POST.get("domain", ""), request.POST.get("email", "")
    if bool(domain) == bool(email):
        raise Http404("Dismiss one domain or one email.")
    try:
        dismissal = services.suggestion_dismiss(
            workspace=request.workspace, user=request.user, events=events, domain=domain, email=email
        )
    except UserFacingError as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, f"{dismissal.value} dismissed: Ruby will not suggest it again.")
    return redirect(safe_next_url(request, "/calendar/suggestions/"))


def _meetings(n: int) -> str:
    return f"{n} meeting" if n == 1 else f"{n} meetings"
