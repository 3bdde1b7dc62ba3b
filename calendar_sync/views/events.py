"""calendar_sync views: the calendar page, the meeting page and the per-meeting actions.

Actions answer an htmx request with the updated row (the page keeps its place) and a plain form post with a
redirect back and a message, so everything works without JavaScript too.

Access: login, then the HTTP method, then the workspace (`@member_required`), the order these pages have always
answered in; which meeting the user may see or manage is the selectors' rule (404 otherwise, never 403).
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
from django.views.decorators.http import require_GET, require_POST

from calendar_sync.selectors import events as selectors
from calendar_sync.selectors.connection import connection_for
from calendar_sync.selectors.week import week_grid
from calendar_sync.services import events as services
from deals.models import Deal
from ruby_site import services as ruby_services
from ruby_site.access import member_required, safe_next_url
from ruby_site.errors import UserFacingError

PAGE_SIZE = 50


def _row_context(request, event, *, next_url: str, note: str = "", note_level: str = "") -> dict:
    zone = selectors.user_zone(request.user)
    return {
        "event": event,
        "now": timezone.now(),
        "zone_name": zone.key,
        "is_admin": request.membership.is_admin,
        "next_url": next_url,
        "note": note,
        "note_level": note_level,
    }


def _answer(request, pk: int, note: str, *, level: int = messages.SUCCESS):
    """The updated row for htmx, otherwise a redirect back with the message."""
    default = reverse("event_detail", args=[pk]) if request.POST.get("from") == "detail" else reverse("calendar")
    next_url = safe_next_url(request, default)
    if not request.htmx:
        messages.add_message(request, level, note)
        return redirect(next_url)
    level_tag = messages.DEFAULT_TAGS.get(level, "info")
    try:
        event = selectors.event_get_visible(request.user, pk)
    except Http404:
        # Unassigning can take a meeting out of this user's sight (they saw it through the deal's team).
        return render(request, "calendar_sync/_event_row_gone.html", {"pk": pk, "note": note, "note_level": level_tag})
    context = _row_context(request, event, next_url=next_url, note=note, note_level=level_tag)
    return render(request, "calendar_sync/_event_row.html", context)


@login_required
@require_POST
@member_required
def calendar_layout(request):
    """List or week grid, remembered on the user (a POST: it changes what every later visit shows)."""
    ruby_services.user_calendar_layout_set(user=request.user, layout=request.POST.get("layout", ""))
    return redirect(safe_next_url(request, reverse("calendar")))


@login_required
@require_GET
@member_required
def calendar(request):
    filters = selectors.CalendarFilters.from_query(request.GET)
    zone = selectors.user_zone(request.user)
    now = timezone.now()
    today = now.astimezone(zone).date()
    events = selectors.calendar_events(request.user, filters, membership=request.membership, now=now)
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
    layout = request.user.calendar_layout if filters.view == "upcoming" else "list"
    context = {
        "layout": layout,
        "week": week_grid(events, zone, today=today) if layout == "week" else None,
        "page": page,
        "days": days,
        "filters": filters,
        "zone_name": zone.key,
        "is_admin": request.membership.is_admin,
        "next_url": request.get_full_path(),
        "connection": connection_for(request.user),
        "now": now,
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "window_end": today + timedelta(days=selectors.UPCOMING_DAYS),
        **selectors.calendar_filter_choices(request.workspace),
    }
    return render(request, "calendar_sync/event_list.html", context)


@login_required
@require_GET
@member_required
def event_detail(request, pk: int):
    # A meeting Outlook no longer has is still shown here (transcripts may point at it), marked as removed.
    event = selectors.event_get_visible(request.user, pk, include_removed=True)
    context = _row_context(request, event, next_url=request.get_full_path())
    context.update(selectors.event_detail_context(event))
    context["assignable_deals"] = selectors.assignable_deals(request.workspace)
    return render(request, "calendar_sync/event_detail.html", context)


@login_required
@require_POST
@member_required
def event_discard(request, pk: int):
    event = selectors.event_get_manageable(request.user, pk)
    services.event_discard(event=event, by=request.user)
    return _answer(
        request,
        pk,
        f"“{event.subject or 'Meeting'}” discarded: hidden from your calendar and no longer processed. "
        "It is listed under Discarded if you change your mind.",
    )


@login_required
@require_POST
@member_required
def event_restore(request, pk: int):
    event = selectors.event_get_manageable(request.user, pk)
    services.event_restore(event=event, by=request.user)
    return _answer(request, pk, f"“{event.subject or 'Meeting'}” restored.")


@login_required
@require_POST
@member_required
def event_process(request, pk: int):
    event = selectors.event_get_visible(request.user, pk)
    try:
        summary = services.event_process_again(event=event, by=request.user)
    except UserFacingError as exc:
        return _answer(request, pk, str(exc), level=messages.ERROR)
    return _answer(request, pk, summary.message)


@login_required
@require_POST
@member_required
def event_assign(request, pk: int):
    event = selectors.event_get_visible(request.user, pk)
    deal_id = request.POST.get("deal", "")
    if not deal_id.isdigit():
        return _answer(request, pk, "Choose a deal to assign this meeting to.", level=messages.ERROR)
    # Only the workspace's own deals: another workspace's deal id is a 404, exactly like a missing one.
    deal = get_object_or_404(Deal, workspace=request.workspace, pk=int(deal_id))
    services.event_assign_deal(event=event, deal=deal, by=request.user)
    return _answer(request, pk, f"Assigned to the deal “{deal.name}”.")


@login_required
@require_POST
@member_required
def event_unassign(request, pk: int):
    event = selectors.event_get_visible(request.user, pk)
    name = event.deal.name if event.deal else ""
    services.event_unassign_deal(event=event, by=request.user)
    note = f"Removed from the deal “{name}”." if name else "This meeting is not assigned to a deal."
    return _answer(request, pk, note)
