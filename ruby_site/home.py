"""The workspace home page: what is coming up, pulled from every app."""

from __future__ import annotations


def home_context(*, user, workspace) -> dict:
    from calendar_sync.selectors.connection import connection_for
    from deals.insights import week_by_deal

    return {"connection": connection_for(user), "week_groups": week_by_deal(user=user, workspace=workspace)}
