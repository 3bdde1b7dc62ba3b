"""calendar_sync selectors: sync."""

from __future__ import annotations

from django.http import Http404

from calendar_sync.models import CalendarConnection, SyncRun


def own_connection_or_404(*, user, workspace, pk: int) -> CalendarConnection:
    """The user's own connection in their workspace; 404 for anyone else's (never 403)."""
    connection = (
        CalendarConnection.objects.select_related("workspace", "user")
        .filter(pk=pk, user=user, workspace=workspace)
        .first()
    )
    if connection is None:
        raise Http404("No such calendar connection.")
    return connection


def sync_status_for(connection: CalendarConnection) -> dict:
    """What the sync status line shows: the latest run, the last good one and its event count.
    One query in the usual case (the last good run is among the latest few); it sits on every
    calendar page and Outlook card."""
    recent = list(SyncRun.objects.filter(connection=connection).order_by("-created_at", "-id")[:10])
    latest = recent[0] if recent else None
    last_ok = next((run for run in recent if run.status == SyncRun.Status.SUCCEEDED), None)
    if last_ok is None and len(recent) == 10:
        last_ok = (
            SyncRun.objects.filter(connection=connection, status=SyncRun.Status.SUCCEEDED)
            .order_by("-created_at", "-id")
            .first()
        )
    # A failure from before the user reconnected is history, not the state of the connection now.
    superseded = bool(
        latest and connection.connected_at and latest.finished_at and latest.finished_at < connection.connected_at
    )
    return {
        "latest_run": latest,
        "show_failure": bool(
            latest and not latest.is_active and latest.status != SyncRun.Status.SUCCEEDED and not superseded
        ),
        "last_success": last_ok,
        "synced_events": (last_ok.created + last_ok.updated + last_ok.unchanged) if last_ok else None,
        "active": bool(latest and latest.is_active),
    }


def connections_for_command(*, user_email: str | None = None, workspace_slug: str | None = None):
    """Connections `sync_calendars` walks: all, one user's, or one workspace's (any status)."""
    qs = CalendarConnection.objects.select_related("user", "workspace").order_by("workspace__slug", "user__email")
    if user_email:
        qs = qs.filter(user__email__iexact=user_email)
    if workspace_slug:
        qs = qs.filter(workspace__slug=workspace_slug)
    return qs
