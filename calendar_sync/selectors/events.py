"""calendar_sync selectors: events — who may see which meeting, and the calendar page's reads.

Visibility (product doc §14.3): by default a meeting is visible to its owner and to the team of the deal it is
assigned to; with the workspace setting "workspace", to every member. Always inside the user's workspace, and
never meetings Outlook no longer has (removed_at set) unless asked for explicitly.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity, EventAttendee, SyncRun
from deals.models import Account, Deal
from ruby_site.models import Membership, Workspace
from ruby_site.selectors import membership_for

UPCOMING_DAYS = 7
VIEWS = ("upcoming", "past", "discarded")
# Past view filters the account and deal insights link to (transcripts/insights.py counts the same meetings).
FLAGS = ("no_transcript", "no_show")
MAX_DAYS = 366


def events_visible_to(
    user, *, include_removed: bool = False, membership: Membership | None = None
) -> QuerySet[CalendarEvent]:
    """Every meeting `user` may see, in their workspace (none for a user outside any workspace)."""
    membership = membership or membership_for(user)
    if membership is None:
        return CalendarEvent.objects.none()
    workspace = membership.workspace
    qs = CalendarEvent.objects.filter(workspace=workspace)
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
    if workspace.event_visibility != Workspace.Visibility.WORKSPACE:
        # A subquery, not a join on deal__team: a join would repeat the owner's rows once per team member.
        # The deal's owner counts as part of its team.
        team_deals = Deal.objects.filter(workspace=workspace).filter(Q(team=user) | Q(owner=user)).values("pk")
        qs = qs.filter(Q(owner=user) | Q(deal__in=team_deals))
    return qs


def can_manage_event(user, event: CalendarEvent, *, membership: Membership | None = None) -> bool:
    """Discard and restore: the owner or a workspace admin (who must also be able to see the meeting)."""
    membership = membership or membership_for(user)
    return event.owner_id == user.pk or bool(membership and membership.is_admin)


def event_rows(qs: QuerySet[CalendarEvent]) -> QuerySet[CalendarEvent]:
    """What one calendar row shows, in a fixed number of queries whatever the number of meetings."""
    return qs.select_related("account", "deal", "deal__account", "owner").prefetch_related(
        Prefetch("attendees", queryset=EventAttendee.objects.select_related("contact")),
        Prefetch("transcripts", queryset=_transcripts_qs()),
        Prefetch(
            "account__deals",
            queryset=Deal.objects.filter(stage__in=Deal.OPEN_STAGES).order_by("name", "id"),
            to_attr="open_deals",
        ),
    )


def _transcripts_qs():
    # transcripts sits above calendar_sync: its model is reached through the reverse relation, not an import.
    transcript_model = CalendarEvent.transcripts.rel.related_model
    return transcript_model.objects.only("id", "title", "source", "event_id", "started_at", "match_score", "match_how")


def event_get_visible(user, pk: int, *, include_removed: bool = False) -> CalendarEvent:
    """The meeting with its row data, or 404 — whether it does not exist or the user may not see it."""
    event = event_rows(events_visible_to(user, include_removed=include_removed)).filter(pk=pk).first()
    if event is None:
        raise Http404("No such meeting.")
    return event


def event_get_manageable(user, pk: int) -> CalendarEvent:
    """For discard/restore: visible and the user is the owner or an admin; 404 otherwise (never 403)."""
    event = event_get_visible(user, pk)
    if not can_manage_event(user, event):
        raise Http404("No such meeting.")
    return event


def event_detail_context(event: CalendarEvent) -> dict:
    activities = EventActivity.objects.filter(event=event).select_related("actor")
    run_ids = [pk for pk in (event.first_sync_run_id, event.last_sync_run_id) if pk]
    sync_runs = {run.pk: run for run in SyncRun.objects.filter(pk__in=run_ids)} if run_ids else {}
    return {
        "activities": activities,
        "first_sync_run": sync_runs.get(event.first_sync_run_id),
        "last_sync_run": sync_runs.get(event.last_sync_run_id),
    }


def assignable_deals(workspace: Workspace) -> QuerySet[Deal]:
    return Deal.objects.filter(workspace=workspace, stage__in=Deal.OPEN_STAGES).select_related("account")


def user_zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    # Midnight in the zone, so a day across a DST switch is 23 or 25 hours long, as the user lives it.
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass
class CalendarFilters:
    view: str = "upcoming"
    q: str = ""
    account: int | None = None
    deal: int | None = None
    days: int | None = None  # Past view: meetings started in the last `days` days (up to now)
    flag: str = ""  # Past view: "no_transcript" or "no_show" (every external invitee declined, or no transcript)

    @classmethod
    def from_query(cls, params) -> CalendarFilters:
        view = params.get("view", "upcoming")
        days, flag = _int_or_none(params.get("days")), params.get("flag", "")
        return cls(
            view=view if view in VIEWS else "upcoming",
            q=params.get("q", "").strip()[:200],
            account=_int_or_none(params.get("account")),
            deal=_int_or_none(params.get("deal")),
            days=days if days and days <= MAX_DAYS else None,
            flag=flag if flag in FLAGS else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.account or self.deal or self.days or self.flag)


def _int_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def calendar_events(
    user, filters: CalendarFilters, *, membership: Membership | None = None, now: datetime | None = None
) -> QuerySet[CalendarEvent]:
    """The meetings of the calendar page for these filters, in display order."""
    now = now or timezone.now()
    zone = user_zone(user)
    today = now.astimezone(zone).date()
    today_start = local_day_start(today, zone)
    qs = events_visible_to(user, membership=membership)
    if filters.view == "discarded":
        qs = qs.filter(state=CalendarEvent.State.DISCARDED).order_by("-starts_at", "-id")
    elif filters.view == "past" and (filters.days or filters.flag):
        # As the insights count: started by now (today's earlier meetings too), cancelled ones left out.
        qs = _past_flagged(qs.active().filter(starts_at__lte=now, is_cancelled=False), filters, now)
        qs = qs.order_by("-starts_at", "-id")
    elif filters.view == "past":
        qs = qs.active().filter(starts_at__lt=today_start).order_by("-starts_at", "-id")
    else:
        # All of today (meetings already over today stay in view) through the end of the seventh day ahead.
        window_end = local_day_start(today + timedelta(days=UPCOMING_DAYS + 1), zone)
        qs = qs.active().filter(ends_at__gte=today_start, starts_at__lt=window_end)
        qs = qs.order_by("starts_at", "id")
    # An account's meetings include its deals' meetings; a deal's, those whose transcript was assigned to it —
    # as on the account and deal pages.
    if filters.account:
        qs = qs.filter(Q(account_id=filters.account) | Q(deal__account_id=filters.account))
    if filters.deal:
        by_transcript = _transcripts_qs().filter(deal_id=filters.deal, event__isnull=False).values("event_id")
        qs = qs.filter(Q(deal_id=filters.deal) | Q(pk__in=by_transcript))
    if filters.q:
        attendee_match = EventAttendee.objects.filter(event=OuterRef("pk")).filter(
            Q(name__icontains=filters.q) | Q(email__icontains=filters.q)
        )
        qs = qs.filter(Q(subject__icontains=filters.q) | Exists(attendee_match))
    return event_rows(qs)


def _past_flagged(qs: QuerySet[CalendarEvent], filters: CalendarFilters, now: datetime) -> QuerySet[CalendarEvent]:
    if filters.days:
        qs = qs.filter(starts_at__gte=now - timedelta(days=filters.days))
    has_transcript = Exists(_transcripts_qs().filter(event=OuterRef("pk")))
    if filters.flag == "no_transcript":
        qs = qs.filter(~has_transcript)
    elif filters.flag == "no_show":
        external = EventAttendee.objects.filter(event=OuterRef("pk"), is_internal=False).exclude(email="")
        all_declined = Exists(external) & ~Exists(external.exclude(response=EventAttendee.Response.DECLINED))
        qs = qs.filter(ends_at__lte=now).filter(all_declined | ~has_transcript)
    return qs


@dataclass
class Day:
    day: date
    zone_label: str
    continued: bool = False
    events: list = field(default_factory=list)


def display_day(event: CalendarEvent, zone: zoneinfo.ZoneInfo) -> date:
    if event.is_all_day:
        # An all-day meeting is a date, not an instant: shifting it into the zone would move it a day.
        return event.starts_at.astimezone(zoneinfo.ZoneInfo("UTC")).date()
    return event.starts_at.astimezone(zone).date()


def group_by_day(events, zone: zoneinfo.ZoneInfo, *, previous_day: date | None = None) -> list[Day]:
    """Group one page of meetings by the user's local day; all-day meetings keep their calendar date."""
    days: list[Day] = []
    for event in events:
        day = display_day(event, zone)
        if not days or days[-1].day != day:
            noon = datetime.combine(day, time(12), tzinfo=zone)
            days.append(Day(day=day, zone_label=noon.tzname() or "", continued=not days and day == previous_day))
        days[-1].events.append(event)
    return days


def calendar_filter_choices(workspace: Workspace) -> dict:
    return {
        "accounts": Account.objects.filter(workspace=workspace).only("id", "name").order_by("name"),
        "deals": Deal.objects.filter(workspace=workspace).only("id", "name").order_by("name"),
    }


def deal_meetings(deal: Deal, user) -> QuerySet[CalendarEvent]:
    """The meetings assigned to `deal` that `user` may see (the deal page's Meetings section)."""
    return events_visible_to(user).active().filter(deal=deal).select_related("owner").order_by("-starts_at", "-id")
