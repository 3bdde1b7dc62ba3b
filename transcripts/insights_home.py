"""What a seller acts on, on the home page (no AI): deals with no meeting booked in the next 14 days, and this
week's meetings by deal stage. Only meetings the viewer may see count (transcripts.selectors.visible_events)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from transcripts.selectors import visible_events

QUIET_DAYS = 14
NO_STAGE = "No deal yet"


def deals_without_next_meeting(*, user, workspace, days: int = QUIET_DAYS) -> list[dict]:
    """The viewer's open deals (owner or team) with no meeting in the next `days` days, with their last one."""
    now = timezone.now()
    deals = list(
        Deal.objects.filter(workspace=workspace, stage__in=Deal.OPEN_STAGES)
        .filter(Q(owner=user) | Q(team=user))
        .distinct()
        .select_related("account")
        .order_by("name", "id")
    )
    if not deals:
        return []
    events = visible_events(user, workspace).filter(deal__in=deals, is_cancelled=False)
    booked = set(
        events.filter(starts_at__gt=now, starts_at__lt=now + timedelta(days=days)).values_list("deal_id", flat=True)
    )
    last = {}
    for deal_id, starts_at in (
        events.filter(starts_at__lte=now).order_by("starts_at").values_list("deal_id", "starts_at")
    ):
        last[deal_id] = starts_at
    return [
        {
            "deal": deal,
            "last_meeting": last.get(deal.pk),
            "calendar_url": f"{reverse('calendar')}?view=past&deal={deal.pk}",
        }
        for deal in deals
        if deal.pk not in booked
    ]


def week_by_stage(*, user, workspace) -> list[dict]:
    """This week's meetings (now → 7 days) counted by the stage of their deal, in pipeline order."""
    now = timezone.now()
    events = list(
        visible_events(user, workspace)
        .filter(starts_at__gte=now, starts_at__lt=now + timedelta(days=7), is_cancelled=False)
        .select_related("deal")
        .order_by("starts_at", "id")
    )
    order = [value for value, _ in Deal.Stage.choices]
    labels = dict(Deal.Stage.choices)
    groups: dict[str, list] = {}
    for event in events:
        groups.setdefault(event.deal.stage if event.deal else "", []).append(event)
    rows = [{"stage": labels[s], "events": groups[s], "count": len(groups[s])} for s in order if s in groups]
    if "" in groups:
        rows.append({"stage": NO_STAGE, "events": groups[""], "count": len(groups[""])})
    return rows
