"""Teams transcripts: a user's optional extra Microsoft grant, and fetching an ended Teams meeting's transcript by
the synced event's join URL, matched to that event exactly.

The grant is separate from the calendar connection: its own consent (transcripts.sources.teams.SCOPES, asked
incrementally), its own encrypted token cache, its own Disconnect. It must be the same Microsoft identity
(tenant id + object id) as the user's calendar connection, and never a personal account (Teams transcripts are
not available for those).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from calendar_sync import auth
from calendar_sync.models import CalendarConnection, CalendarEvent
from calendar_sync.selectors.connection import connection_for
from calendar_sync.services.connection import sign_in_failure, sign_in_flow
from ruby_site.errors import UserFacingError
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record
from transcripts.models import TeamsMeetingCheck, TeamsTranscriptGrant, Transcript
from transcripts.services.ingest import transcript_ingest
from transcripts.services.matching import transcript_match_exact
from transcripts.sources import teams
from transcripts.sources.base import AdapterError
from transcripts.sources.protocol import SourceError

log = logging.getLogger(__name__)

OBJECT_TYPE = "transcripts.TeamsTranscriptGrant"
PERSONAL_MESSAGE = (
    "Teams transcripts are not available for personal Microsoft accounts: Microsoft offers meeting transcripts "
    "only to work or school accounts. Your calendar keeps syncing as before."
)
# Teams needs a few minutes after a meeting ends to finish its transcript; Graph keeps it while the meeting
# has not expired. Each meeting is asked about a bounded number of times.
SETTLE = timedelta(minutes=5)
LOOKBACK = timedelta(days=7)
RECHECK_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 6
MAX_EVENTS_PER_RUN = 25
ACCESS_LOST = "Microsoft no longer accepts Ruby's access to Teams transcripts. Connect Teams transcripts again."
DONE = (TeamsMeetingCheck.Outcome.FOUND, TeamsMeetingCheck.Outcome.NOT_FOUND)


class TeamsGrantError(UserFacingError):
    """Connecting Teams transcripts cannot go ahead; the message is shown as it is."""


def _calendar_connection(user: User) -> CalendarConnection:
    connection = connection_for(user)
    if connection is None or connection.status != CalendarConnection.Status.CONNECTED:
        raise TeamsGrantError(
            "Connect Outlook Calendar first: Ruby finds your Teams meetings through your synced calendar."
        )
    return connection


def teams_grant_begin(*, user: User, redirect_uri: str) -> dict:
    """Start the extra consent (OnlineMeetings.Read OnlineMeetingTranscript.Read.All only). Returns MSAL's flow."""
    connection = _calendar_connection(user)
    if teams.is_personal_account(connection.tenant_id):
        raise TeamsGrantError(PERSONAL_MESSAGE)
    return sign_in_flow(redirect_uri=redirect_uri, login_hint=connection.email, scopes=list(teams.SCOPES))


@transaction.atomic
def teams_grant_complete(*, user: User, workspace: Workspace, flow: dict | None, auth_response: dict):
    """Finish the consent: store the encrypted token cache. A personal account is recorded as such (nothing
    kept); another identity than the calendar connection's is refused. Raises ConnectFailed / TeamsGrantError."""
    try:
        result = auth.complete_auth_flow(flow=flow, auth_response=auth_response)
    except auth.AuthFlowError as exc:
        raise sign_in_failure(exc) from exc
    connection = _calendar_connection(user)
    values = {"workspace": workspace, "tenant_id": result.tenant_id, "object_id": result.object_id}
    if teams.is_personal_account(result.tenant_id):
        grant, _ = TeamsTranscriptGrant.objects.update_or_create(
            user=user,
            defaults={
                **values,
                "status": TeamsTranscriptGrant.Status.PERSONAL_ACCOUNT,
                "status_reason": PERSONAL_MESSAGE,
                "token_cache": "",
            },
        )
        return grant
    if (connection.tenant_id, connection.object_id) != (result.tenant_id, result.object_id):
        audit_record(
            action=AuditEntry.Action.CONNECT_REFUSED,
            actor=user,
            workspace=workspace,
            object_type=OBJECT_TYPE,
            reason="Teams transcripts: a different Microsoft identity than the calendar connection.",
        )
        raise TeamsGrantError(
            "You signed in with a different Microsoft account than the one your Outlook Calendar is connected "
            f"with ({connection.email}). Nothing was stored — connect Teams transcripts with that account."
        )
    grant, _ = TeamsTranscriptGrant.objects.update_or_create(
        user=user,
        defaults={
            **values,
            "status": TeamsTranscriptGrant.Status.CONNECTED,
            "status_reason": "",
            "token_cache": result.token_cache,
            "connected_at": timezone.now(),
            "last_error": "",
        },
    )
    # Meetings that failed for want of access are asked about again.
    grant.checks.exclude(outcome__in=DONE).update(attempts=0)
    audit_record(action=AuditEntry.Action.CONNECT, actor=user, workspace=workspace, obj=grant, object_type=OBJECT_TYPE)
    return grant


@transaction.atomic
def teams_grant_disconnect(*, user: User) -> bool:
    """Forget the grant and its tokens; the transcripts already fetched stay. True when there was one."""
    grant = TeamsTranscriptGrant.objects.filter(user=user).first()
    if grant is None:
        return False
    audit_record(
        action=AuditEntry.Action.DISCONNECT, actor=user, workspace=grant.workspace, obj=grant, object_type=OBJECT_TYPE
    )
    grant.delete()
    return True


def teams_events_due(*, grant: TeamsTranscriptGrant, now: datetime | None = None):
    """The grant owner's synced Teams meetings that ended and whose transcript Ruby should look for now."""
    now = now or timezone.now()
    settled = TeamsMeetingCheck.objects.filter(
        Q(outcome__in=DONE) | Q(attempts__gte=MAX_ATTEMPTS) | Q(checked_at__gt=now - RECHECK_AFTER)
    )
    return (
        CalendarEvent.objects.active()
        .filter(
            owner_id=grant.user_id,
            workspace_id=grant.workspace_id,
            online_provider=CalendarEvent.OnlineProvider.TEAMS,
            ends_at__lte=now - SETTLE,
            ends_at__gte=now - LOOKBACK,
        )
        .exclude(join_url="")
        .exclude(pk__in=settled.values("event_id"))
        .order_by("-ends_at")
    )


def _mark(grant: TeamsTranscriptGrant, *, status: str, reason: str) -> None:
    TeamsTranscriptGrant.objects.filter(pk=grant.pk).update(
        status=status, status_reason=reason, last_error=reason, updated_at=timezone.now()
    )
    grant.status, grant.status_reason, grant.last_error = status, reason, reason


def _access_token(grant: TeamsTranscriptGrant) -> str:
    """A Graph token for the Teams scopes; the refreshed cache is written back under the grant's row lock."""
    with transaction.atomic():
        row = TeamsTranscriptGrant.objects.select_for_update().get(pk=grant.pk)
        token = auth.acquire_token_from_cache(
            token_cache=row.token_cache, tenant_id=row.tenant_id, object_id=row.object_id, scopes=list(teams.SCOPES)
        )
        if token.token_cache:
            row.token_cache = token.token_cache
            row.save(update_fields=["token_cache", "updated_at"])
    return token.access_token


def _check(grant, event, now, outcome: str, detail: str = "", transcript: Transcript | None = None) -> None:
    TeamsMeetingCheck.objects.update_or_create(
        event=event,
        defaults={
            "grant": grant,
            "outcome": outcome,
            "detail": detail[:500],
            "checked_at": now,
            "transcript": transcript,
        },
    )
    TeamsMeetingCheck.objects.filter(event=event).update(attempts=F("attempts") + 1)


def _words(exc: SourceError) -> str:
    said = f": {exc.vendor_message}" if exc.vendor_message else ""
    if exc.kind == "auth":
        return f"Microsoft refused access to Teams transcripts (HTTP {exc.status}){said}"
    if exc.kind in ("unavailable", "throttled"):
        return f"Microsoft Graph was busy or unreachable; Ruby tries again later{said}"
    return f"Microsoft Graph answered in a way Ruby could not use{said}"


def teams_event_fetch(*, grant: TeamsTranscriptGrant, event: CalendarEvent, access_token: str, now=None) -> str:
    """Look for one ended meeting's transcript; ingest it and match it to this event. Returns the outcome."""
    now = now or timezone.now()
    try:
        record = teams.fetch(access_token=access_token, join_url=event.join_url)
    except SourceError as exc:
        if exc.kind == "auth" and exc.status == 401:
            _mark(grant, status=TeamsTranscriptGrant.Status.NEEDS_ATTENTION, reason=_words(exc))
        outcome = TeamsMeetingCheck.Outcome.NOT_FOUND if exc.kind == "not_found" else TeamsMeetingCheck.Outcome.FAILED
        detail = "Teams knows no meeting with this join URL for your account." if exc.kind == "not_found" else ""
        _check(grant, event, now, outcome, detail or _words(exc))
        return outcome
    if record is None:
        _check(grant, event, now, TeamsMeetingCheck.Outcome.NO_TRANSCRIPT, "The meeting has no transcript (yet).")
        return TeamsMeetingCheck.Outcome.NO_TRANSCRIPT
    # Graph gives a calendar-backed meeting's times; the event's are the same meeting's, should Graph omit them.
    record.setdefault("startDateTime", event.starts_at.isoformat())
    record.setdefault("endDateTime", event.ends_at.isoformat())
    try:
        with transaction.atomic():
            result = transcript_ingest(workspace=event.workspace, source="teams", payload=record, match=False)
            transcript_match_exact(transcript=result.transcript, event=event, reason=teams.EXACT_REASON)
    except AdapterError as exc:
        _check(grant, event, now, TeamsMeetingCheck.Outcome.FAILED, f"The transcript could not be read: {exc}")
        return TeamsMeetingCheck.Outcome.FAILED
    _check(grant, event, now, TeamsMeetingCheck.Outcome.FOUND, transcript=result.transcript)
    return TeamsMeetingCheck.Outcome.FOUND


def teams_transcripts_fetch(*, grant_id: int, now: datetime | None = None) -> dict:
    """One run for one user: every due meeting, one token. Safe to run twice (found meetings are not asked again)."""
    now = now or timezone.now()
    counts = {"checked": 0, "found": 0}
    grant = TeamsTranscriptGrant.objects.select_related("user").filter(pk=grant_id).first()
    if grant is None or grant.status != TeamsTranscriptGrant.Status.CONNECTED:
        return counts
    events = list(teams_events_due(grant=grant, now=now).select_related("workspace")[:MAX_EVENTS_PER_RUN])
    if events:
        try:
            access_token = _access_token(grant)
        except auth.TokenRefused:
            _mark(
                grant,
                status=TeamsTranscriptGrant.Status.NEEDS_ATTENTION,
                reason=ACCESS_LOST,
            )
            return counts
        except auth.TokenUnavailable as exc:
            log.info("teams grant=%s token unavailable: %s", grant.pk, exc.kind)
            TeamsTranscriptGrant.objects.filter(pk=grant.pk).update(
                last_error="Microsoft's sign-in service could not be reached; Ruby will try again."
            )
            return counts
        for event in events:
            outcome = teams_event_fetch(grant=grant, event=event, access_token=access_token, now=now)
            counts["checked"] += 1
            counts["found"] += outcome == TeamsMeetingCheck.Outcome.FOUND
            if grant.status != TeamsTranscriptGrant.Status.CONNECTED:
                break
    TeamsTranscriptGrant.objects.filter(pk=grant.pk).update(last_checked_at=now)
    return counts


def teams_grants_due() -> list[int]:
    return list(
        TeamsTranscriptGrant.objects.filter(status=TeamsTranscriptGrant.Status.CONNECTED).values_list("pk", flat=True)
    )
