"""calendar_sync views: the calendar page, the meeting page and the per-meeting actions.

Actions answer an htmx request with the updated row (the page keeps its place) and a plain form post with a
redirect back and a message, so everything works without JavaScript too.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from calendar_sync.selectors import events as selectors
from calendar_sync.selectors.connection import connection_for
from calendar_sync.services import events as services
from deals.models import Deal

PAGE_SIZE = 50


def _membership(request):
    membership = request.membership
    if membership is None:
        raise Http404("You are not a member of any workspace.")
    return membership


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _row_context(request, event, membership, *, next_url: str, note: str = "", note_level: str = "") -> dict:
    zone = selectors.user_zone(request.user)
    return {
        "event": event,
        "now": timezone.now(),
        "zone_name": zone.key,
        "is_admin": membership.is_admin,
        "next_url": next_url,
        "note": note,
        "note_level": note_level,
    }


def _answer(request, membership, pk: int, note: str, *, level: int = messages.SUCCESS):
    """The updated row for htmx, otherwise a redirect back with the message."""
    default = reverse("event_detail", args=[pk]) if request.POST.get("from") == "detail" else reverse("calendar")
    next_url = _next_url(request, default)
    if not _is_htmx(request):
        messages.add_message(request, level, note)
        return redirect(next_url)
    level_tag = messages.DEFAULT_TAGS.get(level, "info")
    try:
        event = selectors.event_get_visible(request.user, pk)
    except Http404:
        # Unassigning can take a meeting out of this user's sight (they saw it through the deal's team).
        return render(request, "calendar_sync/_event_row_gone.html", {"pk": pk, "note": note, "note_level": level_tag})
    context = _row_context(request, event, membership, next_url=next_url, note=note, note_level=level_tag)
    return render(request, "calendar_sync/_event_row.html", context)


@login_required
@require_GET
def calendar(request):
    membership = _membership(request)
    filters = selectors.CalendarFilters.from_query(request.GET)
    zone = selectors.user_zone(request.user)
    now = timezone.now()
    today = now.astimezone(zone).date()
    events = selectors.calendar_events(request.user, filters, membership=membership, now=now)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    previous_day = None
    if page.has_previous():
        # The heading of a day cut by the page break says "continued" instead of pretending the day starts here.
        last_of_previous = (
            events.select_related(None)
            .prefetch_related(None)
            .only("starts_at", "is_all_day")[page.start_index() - 2 : page.start_index() - 1]
        )
        previous_day = next((selectors.display_day(e, zone) for e in last_of_previous), None)
    days = selectors.group_by_day(page.object_list, zone, previous_day=previous_day)
    context = {
        "page": page,
        "days": days,
        "filters": filters,
        "zone_name": zone.key,
        "is_admin": membership.is_admin,
        "next_url": request.get_full_path(),
        "connection": connection_for(request.user),
        "now": now,
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "window_end": today + timedelta(days=selectors.UPCOMING_DAYS),
        **selectors.calendar_filter_choices(membership.workspace),
    }
    return render(request, "calendar_sync/event_list.html", context)


@login_required
@require_GET
def event_detail(request, pk: int):
    membership = _membership(request)
    # A meeting Outlook no longer has is still shown here (transcripts may point at it), marked as removed.
    event = selectors.event_get_visible(request.user, pk, include_removed=True)
    context = _row_context(request, event, membership, next_url=request.get_full_path())
    context.update(selectors.event_detail_context(event))
    context["assignable_deals"] = selectors.assignable_deals(membership.workspace)
    return render(request, "calendar_sync/event_detail.html", context)


@login_required
@require_POST
def event_discard(request, pk: int):
    membership = _membership(request)
    event = selectors.event_get_manageable(request.user, pk)
    services.event_discard(event=event, by=request.user)
    return _answer(
        request,
        membership,
        pk,
        f"“{event.subject or 'Meeting'}” discarded: hidden from your calendar and no longer processed. "
        "It is listed under Discarded if you change your mind.",
    )


@login_required
@require_POST
def event_restore(request, pk: int):
    membership = _membership(request)
    event = selectors.event_get_manageable(request.user, pk)
    services.event_restore(event=event, by=request.user)
    return _answer(request, membership, pk, f"“{event.subject or 'Meeting'}” restored.")


@login_required
@require_POST
def event_process(request, pk: int):
    membership = _membership(request)
    event = selectors.event_get_visible(request.user, pk)
    try:
        summary = services.event_process_again(event=event, by=request.user)
    except services.EventActionError as exc:
        return _answer(request, membership, pk, str(exc), level=messages.ERROR)
    return _answer(request, membership, pk, summary.message)


@login_required
@require_POST
def event_assign(request, pk: int):
    membership = _membership(request)
    event = selectors.event_get_visible(request.user, pk)
    deal_id = request.POST.get("deal", "")
    if not deal_id.isdigit():
        return _answer(request, membership, pk, "Choose a deal to assign this meeting to.", level=messages.ERROR)
    # Only the workspace's own deals: another workspace's deal id is a 404, exactly like a missing one.
    deal = get_object_or_404(Deal, workspace=membership.workspace, pk=int(deal_id))
    services.event_assign_deal(event=event, deal=deal, by=request.user)
    return _answer(request, membership, pk, f"Assigned to the deal “{deal.name}”.")


@login_required
@require_POST
def event_unassign(request, pk: int):
    membership = _membership(request)
    event = selectors.event_get_visible(request.user, pk)
    name = event.deal.name if event.deal else ""
    services.event_unassign_deal(event=event, by=request.user)
    note = f"Removed from the deal “{name}”." if name else "This meeting is not assigned to a deal."
    return _answer(request, membership, pk, note)
