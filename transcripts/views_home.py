"""The home page: the landing page for visitors; for members, what is coming up, from every app (so it lives in
the top one)."""

from __future__ import annotations

from django.shortcuts import render

from calendar_sync.selectors.connection import connection_for
from ruby_site.access import member_required
from transcripts.insights import week_by_deal
from transcripts.insights_home import QUIET_DAYS, deals_without_next_meeting, week_by_stage


def home(request):
    if not request.user.is_authenticated:
        return render(request, "ruby_site/landing.html")
    return _workspace_home(request)


@member_required
def _workspace_home(request):
    return render(
        request,
        "transcripts/home.html",
        {
            "connection": connection_for(request.user),
            "week_groups": week_by_deal(user=request.user, workspace=request.workspace),
            "quiet_deals": deals_without_next_meeting(user=request.user, workspace=request.workspace),
            "quiet_days": QUIET_DAYS,
            "by_stage": week_by_stage(user=request.user, workspace=request.workspace),
        },
    )
