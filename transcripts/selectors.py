"""Reads for transcripts, and which calendar events a user may see (product doc §14.3)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from calendar_sync.models import CalendarConnection, CalendarEvent
from calendar_sync.selectors.connection import connection_for
from calendar_sync.selectors.events import events_visible_to
from ruby_site.models import Workspace
from transcripts.matching import TOLERANCE
from transcripts.models import TeamsMeetingCheck, TeamsTranscriptGrant, Transcript, TranscriptDelivery, TranscriptSource
from transcripts.sources import teams as teams_source


def visible_events(user, workspace: Workspace) -> QuerySet[CalendarEvent]:
    """Active (not discarded, not removed) meetings of `workspace` that `user` may see — the calendar's
    visibility rule (product doc §14.3), so insights and transcripts never show more than the calendar."""
    return events_visible_to(user).filter(workspace=workspace, state=CalendarEvent.State.ACTIVE)


def openable_events(user, event_ids) -> dict[int, bool]:
    """The meetings among `event_ids` that `user` may open — the meeting page's own rule, so discarded
    and removed ones included — each mapped to whether it is still active (neither)."""
    rows = (
        events_visible_to(user, include_removed=True)
        .filter(pk__in=[pk for pk in event_ids if pk])
        .values_list("pk", "state", "removed_at")
    )
    return {pk: state == CalendarEvent.State.ACTIVE and removed_at is None for pk, state, removed_at in rows}


def transcripts_in(
    workspace: Workspace, *, source: str = "", status: str = "", deal: str = "", query: str = ""
) -> QuerySet[Transcript]:
    qs = Transcript.objects.filter(workspace=workspace).select_related("event", "deal").defer("text")
    if source:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(match_status=status)
    if deal == "none":
        qs = qs.filter(deal__isnull=True)
    elif deal.isdigit():
        qs = qs.filter(deal_id=int(deal))
    if query:
        qs = qs.filter(title__icontains=query)
    return qs.order_by("-started_at", "-id")


def transcript_get(workspace: Workspace, pk: int) -> Transcript:
    return get_object_or_404(
        Transcript.objects.select_related("event", "event__owner", "deal", "matched_by"), workspace=workspace, pk=pk
    )


def events_near_transcript(transcript: Transcript, user) -> QuerySet[CalendarEvent]:
    """Meetings the user may pick for a transcript by hand: visible, in its time window (with tolerance)."""
    return (
        visible_events(user, transcript.workspace)
        .filter(
            starts_at__lt=transcript.ended_at + TOLERANCE,
            ends_at__gt=transcript.started_at - TOLERANCE,
        )
        .order_by("starts_at", "id")
    )


def source_configs(workspace: Workspace) -> dict[str, TranscriptSource]:
    return {c.source: c for c in TranscriptSource.objects.filter(workspace=workspace)}


def source_config_get(workspace: Workspace, source: str) -> TranscriptSource:
    return get_object_or_404(TranscriptSource, workspace=workspace, source=source)


def source_for_webhook(source: str, token: str) -> TranscriptSource | None:
    return (
        TranscriptSource.objects.select_related("workspace")
        .filter(webhook_token=token, source=source)
        .exclude(state=TranscriptSource.State.OFF)
        .first()
    )


def teams_card(user) -> dict:
    """What the "Teams transcripts" card on Settings → Integrations shows for this user."""
    connection = connection_for(user)
    grant = TeamsTranscriptGrant.objects.filter(user=user).first()
    personal = bool(connection and teams_source.is_personal_account(connection.tenant_id)) or bool(
        grant and grant.status == TeamsTranscriptGrant.Status.PERSONAL_ACCOUNT
    )
    checks = list(
        TeamsMeetingCheck.objects.filter(grant=grant).select_related("event", "transcript").order_by("-checked_at")[:5]
        if grant
        else []
    )
    return {
        "microsoft_enabled": settings.MICROSOFT_ENABLED,
        "calendar_connected": bool(connection and connection.status == CalendarConnection.Status.CONNECTED),
        "grant": grant,
        "personal": personal,
        "scopes": teams_source.SCOPES,
        "checks": checks,
        "found": TeamsMeetingCheck.objects.filter(grant=grant, outcome=TeamsMeetingCheck.Outcome.FOUND).count()
        if grant
        else 0,
    }


def teams_grants_summary(workspace: Workspace) -> dict[str, int]:
    """For the Teams card on Settings → Transcript sources: how many users granted Teams transcripts, by status."""
    rows = TeamsTranscriptGrant.objects.filter(workspace=workspace).values("status").annotate(n=Count("id"))
    summary = {row["status"]: row["n"] for row in rows}
    return {"connected": summary.get("connected", 0), "needs_attention": summary.get("needs_attention", 0)}


def source_credentials(config: TranscriptSource) -> dict:
    """What the source module gets as `credentials`: the saved vendor values, and for the Custom source its
    signing secrets (current and, during rotation, previous)."""
    values = config.credential_values()
    if config.source == "custom":
        values["signing_secrets"] = [s for s in (config.secret, config.previous_secret) if s]
    return values


def source_counts(workspace: Workspace) -> dict[str, dict[str, int]]:
    """Per source: received (transcripts stored), matched, ambiguous, unmatched; and deliveries retrying/failed."""
    counts: dict[str, dict[str, int]] = {}
    rows = Transcript.objects.filter(workspace=workspace).values("source", "match_status").annotate(n=Count("id"))
    for row in rows:
        entry = counts.setdefault(row["source"], {})
        entry[row["match_status"]] = row["n"]
        entry["received"] = entry.get("received", 0) + row["n"]
    deliveries = (
        TranscriptDelivery.objects.filter(workspace=workspace, status__in=["retrying", "failed"])
        .values("source", "status")
        .annotate(n=Count("id"))
    )
    for row in deliveries:
        counts.setdefault(row["source"], {})[row["status"]] = row["n"]
    return counts


def last_deliveries(workspace: Workspace) -> dict[str, TranscriptDelivery]:
    latest: dict[str, TranscriptDelivery] = {}
    for delivery in TranscriptDelivery.objects.filter(workspace=workspace).defer("body").order_by("-received_at")[:200]:
        latest.setdefault(delivery.source, delivery)
    return latest
