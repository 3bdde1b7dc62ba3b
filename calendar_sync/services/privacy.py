"""calendar_sync services: privacy — Disconnect, support disable/re-enable, purge, anonymise,
deletion requests and retention (product doc §7, §10, §11; design.md §3.6).

Audit entries describe objects by type and id and carry counts only: after a purge, nothing in
the trail points back to the person whose data was removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from calendar_sync.models import (
    CalendarConnection,
    CalendarEvent,
    DataDeletionRequest,
    EventActivity,
    EventAttendee,
    SyncRun,
)
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

log = logging.getLogger(__name__)

Status = CalendarConnection.Status
REMOVED = "[removed]"
# Names shorter than this are not replaced inside free text ("Al" would eat "Also").
MIN_NAME_LENGTH_FOR_TEXT = 3


class PrivacyError(Exception):
    """A privacy operation was asked for with unusable input. The message is safe to show."""


# --- helpers -----------------------------------------------------------------------------------


def _today_label(when=None) -> str:
    return date_format(timezone.localdate(when), "j F Y")


def _subscription_fields_clear(connection: CalendarConnection) -> None:
    connection.subscription_id = ""
    connection.subscription_expires_at = None
    connection.subscription_client_state = ""


def subscription_delete_best_effort(*, connection: CalendarConnection) -> str:
    """Remove the connection's Graph subscription at Microsoft. Returns "" on success (or when there is
    nothing to remove), else a plain error. Never raises: an orphaned subscription expires on its own
    within days, so failing to remove it must not block a disconnect."""
    if not connection.subscription_id:
        return ""
    from calendar_sync import auth, graph
    from calendar_sync.providers.graph import describe_subscription_error
    from calendar_sync.services import tokens

    try:
        access_token = tokens.access_token_for(connection)
        graph.delete_subscription(access_token=access_token, subscription_id=connection.subscription_id)
    except (tokens.ReconnectRequired, auth.TokenUnavailable):
        return "The Microsoft subscription could not be removed (no valid access); it will expire on its own."
    except graph.GraphError as exc:
        return f"The Microsoft subscription could not be removed: {describe_subscription_error(exc)}"
    return ""


def _transcripts_detach(event_ids: list[int]) -> int:
    """Unlink transcripts from events about to be deleted, and forget candidates that point at them."""
    from transcripts.models import Transcript

    if not event_ids:
        return 0
    detached = Transcript.objects.filter(event_id__in=event_ids).update(
        event=None,
        match_status=Transcript.MatchStatus.UNMATCHED,
        match_how="",
        match_score=None,
        match_detail={},
        match_candidates=[],
        matched_at=None,
        matched_by=None,
    )
    # Ambiguous transcripts list candidate events (with their subjects/attendees); drop those lists
    # when they mention a purged event so no trace of it stays behind.
    ids = set(event_ids)
    changed = []
    for transcript in Transcript.objects.exclude(match_candidates=[]).only("id", "match_candidates", "match_status"):
        candidates = transcript.match_candidates or []
        if any(_candidate_event_id(c) in ids for c in candidates):
            transcript.match_candidates = [c for c in candidates if _candidate_event_id(c) not in ids]
            transcript.match_detail = {}
            transcript.match_score = None  # the score is the detail's summary; they go together
            if transcript.match_status == Transcript.MatchStatus.AMBIGUOUS and len(transcript.match_candidates) < 2:
                transcript.match_status = Transcript.MatchStatus.UNMATCHED
            changed.append(transcript)
    if changed:
        Transcript.objects.bulk_update(changed, ["match_candidates", "match_detail", "match_score", "match_status"])
    return detached + len(changed)


def _candidate_event_id(candidate) -> int | None:
    if isinstance(candidate, dict):
        for key in ("event_id", "event", "id"):
            value = candidate.get(key)
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.isdigit():
                return int(value)
    if isinstance(candidate, int):
        return candidate
    return None


def _events_delete(events_qs) -> dict:
    event_ids = list(events_qs.values_list("pk", flat=True))
    counts = {"events": 0, "attendees": 0, "activities": 0, "transcripts_detached": _transcripts_detach(event_ids)}
    # Chunked so a mailbox with years of history does not build one enormous IN clause; the counts
    # come from what each delete removed.
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        counts["activities"] += EventActivity.objects.filter(event_id__in=chunk).delete()[0]
        counts["attendees"] += EventAttendee.objects.filter(event_id__in=chunk).delete()[0]
        counts["events"] += CalendarEvent.objects.filter(pk__in=chunk).delete()[1].get(CalendarEvent._meta.label, 0)
    return counts


# --- Disconnect --------------------------------------------------------------------------------


def connection_disconnect(*, connection: CalendarConnection, by: User, purge: bool = False) -> dict:
    """The user's Disconnect: delete tokens and the Graph subscription, stop syncing; keep history
    unless `purge`. The row stays (same user + provider) so Connect reuses it; the Microsoft
    identity is cleared so the user may connect a different account afterwards."""
    subscription_error = subscription_delete_best_effort(connection=connection)
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        had_subscription = bool(conn.subscription_id)
        counts: dict = {"subscription_removed": int(had_subscription and not subscription_error)}
        if purge:
            counts.update(_connection_data_purge(conn))
        now = timezone.now()
        conn.token_cache = ""
        conn.delta_link = ""
        _subscription_fields_clear(conn)
        conn.tenant_id = ""
        conn.object_id = ""
        conn.email = ""
        conn.disconnected_at = now
        conn.last_error = subscription_error
        # A support disable outlives the user's Disconnect, else disconnect + reconnect would undo it.
        if conn.status != Status.DISABLED:
            conn.status = Status.NOT_CONNECTED
            conn.status_reason = f"Disconnected by you on {_today_label(now)}."
        conn.save()
        audit_record(
            action=AuditEntry.Action.DISCONNECT,
            actor=by,
            actor_label="user",
            workspace=conn.workspace,
            obj=conn,
            reason=("Synced calendar data deleted with the disconnect. " if purge else "") + subscription_error,
            counts=counts,
        )
        if purge:
            audit_record(
                action=AuditEntry.Action.PURGE,
                actor=by,
                actor_label="user",
                workspace=conn.workspace,
                obj=conn,
                reason="Requested by the user with Disconnect.",
                counts=counts,
            )
    connection.refresh_from_db()
    return counts


# --- Support: disable / re-enable ---------------------------------------------------------------


def connection_disable(*, connection: CalendarConnection, by: User, reason: str) -> CalendarConnection:
    """Ruby support stops a connection (product doc §10). Tokens are kept so Re-enable can resume."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PrivacyError("A reason is required to disable a connection.")
    subscription_error = subscription_delete_best_effort(connection=connection)
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        conn.status = Status.DISABLED
        conn.status_reason = f"Disabled by Ruby support: {reason.rstrip('.')}. Contact {settings.SUPPORT_EMAIL}."
        conn.delta_link = ""
        _subscription_fields_clear(conn)
        if subscription_error:
            conn.last_error = subscription_error
        conn.save()
        audit_record(
            action=AuditEntry.Action.DISABLE,
            actor=by,
            actor_label="support",
            workspace=conn.workspace,
            obj=conn,
            reason=reason,
        )
    connection.refresh_from_db()
    return connection


def connection_reenable(*, connection: CalendarConnection, by: User) -> bool:
    """Undo a support disable. Returns False (and changes nothing) when the connection is not disabled."""
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if conn.status != Status.DISABLED:
            return False
        if conn.token_cache:
            conn.status = Status.CONNECTED
            conn.status_reason = ""
        else:
            conn.status = Status.NOT_CONNECTED
            conn.status_reason = "Re-enabled by Ruby support. Connect Outlook Calendar again to resume syncing."
        conn.save()
        audit_record(
            action=AuditEntry.Action.REENABLE,
            actor=by,
            actor_label="support",
            workspace=conn.workspace,
            obj=conn,
            reason=f"Now {conn.get_status_display().lower()}.",
        )
    connection.refresh_from_db()
    return True


def connection_admin_change_record(*, connection: CalendarConnection, by: User, changed_fields: Iterable[str]) -> None:
    """An edit of a connection in the admin: which fields changed (names only, never values)."""
    fields = sorted(changed_fields)
    if not fields:
        return
    audit_record(
        action=AuditEntry.Action.ADMIN_CHANGE,
        actor=by,
        actor_label="support",
        workspace=connection.workspace,
        obj=connection,
        reason="Changed: " + ", ".join(fields),
    )


# --- Purge -------------------------------------------------------------------------------------


def _connection_data_purge(conn: CalendarConnection) -> dict:
    """Delete one connection's synced data (locked row, inside a transaction). The row itself stays."""
    events = CalendarEvent.objects.filter(connection=conn)
    counts = _events_delete(events)
    runs = SyncRun.objects.filter(connection=conn)
    counts["sync_runs"] = runs.count()
    runs.delete()
    counts["token_caches"] = int(bool(conn.token_cache))
    conn.token_cache = ""
    conn.delta_link = ""
    conn.last_error = ""
    conn.last_synced_at = None
    return counts


def _add(total: dict, part: dict) -> dict:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value
    return total


def calendar_data_purge(
    *, user: User | None = None, email: str | None = None, workspace: Workspace | None = None
) -> dict:
    """Delete calendar data about a Ruby user (their connection's events, attendees, activities, sync
    runs and token cache; transcripts detached) or about an attendee email (their attendee rows, and
    every mention in events and transcripts). Idempotent: a second run finds nothing and returns zeros."""
    if (user is None) == (not email):
        raise PrivacyError("Give either a Ruby user or an attendee email address.")
    if user is not None:
        return _user_purge(user=user, workspace=workspace)
    return _attendee_scrub(email=email, workspace=workspace, mode="purge")


def _user_purge(*, user: User, workspace: Workspace | None) -> dict:
    connections = CalendarConnection.objects.filter(user=user)
    if workspace is not None:
        connections = connections.filter(workspace=workspace)
    counts: dict = {"connections": 0, "subscription_removed": 0}
    for connection in connections:
        error = subscription_delete_best_effort(connection=connection)
        with transaction.atomic():
            conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
            counts["connections"] += 1
            counts["subscription_removed"] += int(bool(conn.subscription_id) and not error)
            _add(counts, _connection_data_purge(conn))
            _subscription_fields_clear(conn)
            conn.tenant_id = ""
            conn.object_id = ""
            conn.email = ""
            if conn.status == Status.CONNECTED:
                conn.status = Status.NOT_CONNECTED
                conn.status_reason = (
                    f"Your synced calendar data was deleted on {_today_label()}. Connect again to resume syncing."
                )
                conn.disconnected_at = timezone.now()
            conn.save()
    # Events owned by the user on a connection that is not theirs cannot happen today; catch them anyway.
    stray = CalendarEvent.objects.filter(owner=user)
    if workspace is not None:
        stray = stray.filter(workspace=workspace)
    if stray.exists():
        _add(counts, _events_delete(stray))
    return counts


# --- Anonymise ---------------------------------------------------------------------------------


def pseudonym_for(email: str) -> tuple[str, str]:
    """A stable (email, name) pseudonym: the same person gets the same one everywhere and on every run,
    so attendee counts and transcript matching still line up, and nothing of the original remains."""
    digest = hmac.new(settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:10]
    return f"anon-{digest}@anonymised.invalid", f"Anonymised attendee {digest}"


def attendee_anonymise(*, email: str, workspace: Workspace | None = None) -> dict:
    """Replace an attendee's name and email everywhere in calendar and transcript data with a stable
    pseudonym. Idempotent."""
    if not (email or "").strip() or "@" not in email:
        raise PrivacyError("Give the attendee's email address.")
    return _attendee_scrub(email=email, workspace=workspace, mode="anonymise")


def _names_of(email: str, workspace: Workspace | None) -> set[str]:
    from transcripts.models import Transcript

    attendees = EventAttendee.objects.filter(email__iexact=email)
    organised = CalendarEvent.objects.filter(organizer_email__iexact=email)
    transcripts = Transcript.objects.all()
    if workspace is not None:
        attendees = attendees.filter(event__workspace=workspace)
        organised = organised.filter(workspace=workspace)
        transcripts = transcripts.filter(workspace=workspace)
    names = set(attendees.exclude(name="").values_list("name", flat=True))
    names |= set(organised.exclude(organizer_name="").values_list("organizer_name", flat=True))
    for participants in transcripts.exclude(participants=[]).values_list("participants", flat=True).iterator():
        for p in participants or []:
            if isinstance(p, dict) and str(p.get("email", "")).strip().lower() == email:
                if p.get("name"):
                    names.add(str(p["name"]))
    return {n.strip() for n in names if n and n.strip()}


class _Scrubber:
    """Replaces an email and the names it went by inside free text and JSON, case-insensitively.

    The email and full names ("Alice Moreau") are specific enough to replace everywhere. A one-word
    name ("Alice") is replaced only in rows that concern the person (events they attend, transcripts
    they took part in), or a purge of one Alice would rewrite every other Alice in the database.
    """

    def __init__(self, *, email: str, names: set[str], new_email: str, new_name: str):
        self.email = email
        self.new_email = new_email
        self.new_name = new_name
        self.strong = [(re.compile(re.escape(email), re.IGNORECASE), new_email)]
        self.weak = []
        # Longest first, so "Alice Smith" is replaced whole before "Alice" could split it.
        for name in sorted(names, key=len, reverse=True):
            if len(name) < MIN_NAME_LENGTH_FOR_TEXT:
                continue
            pattern = (re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), new_name)
            (self.strong if len(name.split()) > 1 else self.weak).append(pattern)
        self.strong_names = [n for n in names if len(n.split()) > 1 and len(n) >= MIN_NAME_LENGTH_FOR_TEXT]
        self.names_lower = {n.lower() for n in names}

    def text(self, value: str, *, related: bool = True) -> str:
        if not value:
            return value
        for pattern, replacement in self.strong + (self.weak if related else []):
            value = pattern.sub(replacement, value)
        return value

    def json(self, value, *, related: bool = True):
        if isinstance(value, str):
            return self.text(value, related=related)
        if isinstance(value, list):
            return [self.json(v, related=related) for v in value]
        if isinstance(value, dict):
            return {
                self.text(k, related=related) if isinstance(k, str) else k: self.json(v, related=related)
                for k, v in value.items()
            }
        return value

    def is_name(self, value: str) -> bool:
        return (value or "").strip().lower() in self.names_lower

    def mentions(self, *fields: str) -> Q:
        """Rows whose text holds the email or a full name (the one-word names are matched by relation)."""
        q = Q(pk__in=[])
        for field in fields:
            q |= Q(**{f"{field}__icontains": self.email})
            for name in self.strong_names:
                q |= Q(**{f"{field}__icontains": name})
        return q


def _attendee_scrub(*, email: str, workspace: Workspace | None, mode: str) -> dict:
    from transcripts.models import Transcript, TranscriptDelivery

    email = email.strip().lower()
    if "@" not in email:
        raise PrivacyError("Give the attendee's email address.")
    anonymise = mode == "anonymise"
    new_email, new_name = pseudonym_for(email) if anonymise else (REMOVED, REMOVED)
    names = _names_of(email, workspace)
    scrub = _Scrubber(email=email, names=names, new_email=new_email, new_name=new_name)
    counts = {
        "attendees": 0,
        "events_changed": 0,
        "activities_changed": 0,
        "transcripts_changed": 0,
        "deliveries_changed": 0,
    }

    with transaction.atomic():
        attendees = EventAttendee.objects.filter(email__iexact=email)
        organised = CalendarEvent.objects.filter(organizer_email__iexact=email)
        if workspace is not None:
            attendees = attendees.filter(event__workspace=workspace)
            organised = organised.filter(workspace=workspace)
        related_events = set(attendees.values_list("event_id", flat=True)) | set(organised.values_list("pk", flat=True))

        # Attendee rows: anonymise rewrites them (counts survive); purge deletes them.
        if anonymise:
            # The contact link would lead straight back to the person; CRM contacts themselves are the
            # workspace's own records and are reported, not changed.
            counts["attendees"] = attendees.update(email=new_email, name=new_name, contact=None)
        else:
            counts["attendees"] = attendees.count()
            attendees.delete()

        # Events: organizer fields exactly, free text by pattern.
        text_fields = ["subject", "body_preview", "location", "organizer_name", "organizer_email"]
        events = CalendarEvent.objects.all()
        if workspace is not None:
            events = events.filter(workspace=workspace)
        candidates = Q(pk__in=related_events) | scrub.mentions("subject", "body_preview", "location", "organizer_name")
        changed_events = []
        for event in events.filter(candidates).only("id", *text_fields):
            related = event.pk in related_events
            before = [getattr(event, f) for f in text_fields]
            if event.organizer_email.strip().lower() == email:
                event.organizer_email = new_email if anonymise else ""
                event.organizer_name = new_name if anonymise else ""
            elif related and scrub.is_name(event.organizer_name):
                event.organizer_name = new_name if anonymise else ""
            else:
                event.organizer_name = scrub.text(event.organizer_name, related=related)[:255]
            event.subject = scrub.text(event.subject, related=related)[:500]
            event.body_preview = scrub.text(event.body_preview, related=related)[:255]
            event.location = scrub.text(event.location, related=related)[:500]
            if [getattr(event, f) for f in text_fields] != before:
                changed_events.append(event)
        if changed_events:
            CalendarEvent.objects.bulk_update(changed_events, text_fields, batch_size=500)
        counts["events_changed"] = len(changed_events)

        activities = EventActivity.objects.all()
        if workspace is not None:
            activities = activities.filter(event__workspace=workspace)
        changed_activities = []
        for activity in activities.filter(Q(event_id__in=related_events) | scrub.mentions("detail")).only(
            "id", "event_id", "detail"
        ):
            detail = scrub.text(activity.detail, related=activity.event_id in related_events)[:500]
            if detail != activity.detail:
                activity.detail = detail
                changed_activities.append(activity)
        if changed_activities:
            EventActivity.objects.bulk_update(changed_activities, ["detail"], batch_size=500)
        counts["activities_changed"] = len(changed_activities)

        # Transcripts: JSON is compared in Python (a text search over JSON differs between SQLite's
        # escaped and PostgreSQL's literal storage of non-ASCII names).
        transcripts = Transcript.objects.all()
        if workspace is not None:
            transcripts = transcripts.filter(workspace=workspace)
        changed_transcripts = []
        related_transcripts = set()
        t_fields = ["title", "text", "participants", "match_detail", "match_candidates"]
        for transcript in transcripts.only("id", "event_id", *t_fields).iterator(chunk_size=500):
            before = [getattr(transcript, f) for f in t_fields]
            related = transcript.event_id in related_events or any(
                isinstance(p, dict) and str(p.get("email", "")).strip().lower() == email
                for p in transcript.participants or []
            )
            if related:
                related_transcripts.add(transcript.pk)
            participants = []
            for p in transcript.participants or []:
                is_subject = isinstance(p, dict) and str(p.get("email", "")).strip().lower() == email
                if is_subject and not anonymise:
                    continue
                if is_subject:
                    p = {**p, "email": new_email, "name": new_name}
                participants.append(scrub.json(p, related=related))
            transcript.participants = participants
            transcript.title = scrub.text(transcript.title, related=related)[:500]
            transcript.text = scrub.text(transcript.text, related=related)
            transcript.match_detail = scrub.json(transcript.match_detail, related=related)
            transcript.match_candidates = scrub.json(transcript.match_candidates, related=related)
            if [getattr(transcript, f) for f in t_fields] != before:
                changed_transcripts.append(transcript)
        if changed_transcripts:
            Transcript.objects.bulk_update(changed_transcripts, t_fields, batch_size=200)
        counts["transcripts_changed"] = len(changed_transcripts)

        # Raw webhook bodies kept for reprocessing also name the participants.
        deliveries = TranscriptDelivery.objects.all()
        if workspace is not None:
            deliveries = deliveries.filter(workspace=workspace)
        changed_deliveries = []
        for delivery in deliveries.only("id", "transcript_id", "body", "error").iterator(chunk_size=200):
            related = delivery.transcript_id in related_transcripts or email in (delivery.body or "").lower()
            body, error = delivery.body, delivery.error
            delivery.body = _scrub_delivery_body(delivery.body, scrub, related=related)
            delivery.error = scrub.text(delivery.error, related=related)
            if (delivery.body, delivery.error) != (body, error):
                changed_deliveries.append(delivery)
        if changed_deliveries:
            TranscriptDelivery.objects.bulk_update(changed_deliveries, ["body", "error"], batch_size=200)
        counts["deliveries_changed"] = len(changed_deliveries)

    # The person asked to be removed from Ruby, so a CRM contact with their address goes too:
    # purge deletes it (attendee rows and deals simply lose the link), anonymise gives it the same
    # pseudonym as their attendee rows, so the contact's history and deal links survive.
    from deals.models import Contact

    contacts = Contact.objects.filter(email__iexact=email)
    if workspace is not None:
        contacts = contacts.filter(workspace=workspace)
    if anonymise:
        counts["crm_contacts_anonymised"] = contacts.update(email=new_email, name=new_name, title="")
    else:
        counts["crm_contacts_deleted"] = contacts.delete()[1].get(Contact._meta.label, 0)
    return counts


def _scrub_delivery_body(body: str, scrub: _Scrubber, *, related: bool) -> str:
    # Bodies are JSON from the sources; rewrite the decoded value so escaped non-ASCII names match too.
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return scrub.text(body, related=related)
    scrubbed = scrub.json(data, related=related)
    if scrubbed == data:
        return body
    return json.dumps(scrubbed, ensure_ascii=False)


# --- Deletion requests --------------------------------------------------------------------------


def deletion_request_open(
    *,
    by: User | None,
    requester: str,
    subject_user: User | None = None,
    subject_email: str = "",
    workspace: Workspace | None = None,
    kind: str = DataDeletionRequest.Kind.PURGE,
    scope: str = "",
    received_on: date | None = None,
) -> DataDeletionRequest:
    subject_email = (subject_email or "").strip().lower()
    if (subject_user is None) == (not subject_email):
        raise PrivacyError("A deletion request is about either a Ruby user or an attendee email address.")
    if kind == DataDeletionRequest.Kind.ANONYMISE and subject_user is not None:
        raise PrivacyError("Anonymise applies to an attendee email address; use Purge for a Ruby user.")
    with transaction.atomic():
        request = DataDeletionRequest.objects.create(
            requester=requester.strip(),
            subject_user=subject_user,
            subject_email=subject_email,
            workspace=workspace,
            kind=kind,
            scope=scope,
            received_on=received_on or timezone.localdate(),
            created_by=by,
        )
        audit_record(
            action=AuditEntry.Action.DELETION_OPENED,
            actor=by,
            actor_label="support",
            workspace=workspace,
            obj=request,
            reason=f"{request.get_kind_display()}; subject: {_subject_label(request)}; due {request.due_on}.",
        )
    return request


def _subject_label(request: DataDeletionRequest) -> str:
    # Type and id only: the request row is the one place the subject is named.
    if request.subject_user_id:
        return f"Ruby user #{request.subject_user_id}"
    return "an attendee email address"


def deletion_request_queue(*, deletion_request: DataDeletionRequest, kind: str, by: User) -> DataDeletionRequest:
    """Support chose Purge or Anonymise: validate, mark queued, run in the worker after commit."""
    if deletion_request.status == DataDeletionRequest.Status.DONE:
        raise PrivacyError(f"Request {deletion_request.pk} is already done.")
    if kind == DataDeletionRequest.Kind.ANONYMISE and not deletion_request.subject_email:
        raise PrivacyError(
            f"Request {deletion_request.pk}: Anonymise applies to an attendee email address; use Purge for a user."
        )
    if not deletion_request.subject_email and deletion_request.subject_user_id is None:
        raise PrivacyError(f"Request {deletion_request.pk} names no subject (the user may have been deleted).")
    with transaction.atomic():
        DataDeletionRequest.objects.filter(pk=deletion_request.pk).update(
            kind=kind, status=DataDeletionRequest.Status.QUEUED
        )
        request_id, by_id = deletion_request.pk, by.pk if by else None

        def enqueue() -> None:
            from django_q.tasks import async_task

            async_task(
                "calendar_sync.tasks.deletion_request_run_task",
                request_id,
                by_id,
                task_name=f"deletion-{request_id}",
            )

        transaction.on_commit(enqueue)
    deletion_request.refresh_from_db()
    return deletion_request


def deletion_request_run(*, deletion_request_id: int, by: User | None = None) -> DataDeletionRequest:
    """Carry out a request and close it with the counts. Safe to run twice: a done request is left as is."""
    try:
        with transaction.atomic():
            request = DataDeletionRequest.objects.select_for_update().get(pk=deletion_request_id)
            if request.status == DataDeletionRequest.Status.DONE:
                return request
            scrub = None
            if request.subject_email:
                # Names are read before the run removes them, to scrub the request row afterwards.
                email = request.subject_email.strip().lower()
                new_email, new_name = pseudonym_for(email)
                scrub = _Scrubber(
                    email=email, names=_names_of(email, request.workspace), new_email=new_email, new_name=new_name
                )
            if request.kind == DataDeletionRequest.Kind.ANONYMISE:
                counts = attendee_anonymise(email=request.subject_email, workspace=request.workspace)
                action = AuditEntry.Action.ANONYMISE
            elif request.subject_user_id:
                counts = calendar_data_purge(user=request.subject_user, workspace=request.workspace)
                action = AuditEntry.Action.PURGE
            else:
                counts = calendar_data_purge(email=request.subject_email, workspace=request.workspace)
                action = AuditEntry.Action.PURGE
            if scrub is not None:
                # The closed request keeps only the pseudonym: support can still find it by the email
                # (the admin search hashes the term the same way), but the row no longer names anyone.
                request.subject_email = scrub.new_email
                request.requester = scrub.text(request.requester)
                request.scope = scrub.text(request.scope)
                request.save(update_fields=["subject_email", "requester", "scope"])
            return deletion_request_close(deletion_request=request, action=action, counts=counts, by=by)
    except PrivacyError:
        log.warning("deletion request %s cannot run: its subject is missing or unusable", deletion_request_id)
        DataDeletionRequest.objects.filter(pk=deletion_request_id).update(status=DataDeletionRequest.Status.FAILED)
        raise


def deletion_request_close(
    *, deletion_request: DataDeletionRequest, action: str, counts: dict, by: User | None = None
) -> DataDeletionRequest:
    request = deletion_request
    now = timezone.now()
    request.status = DataDeletionRequest.Status.DONE
    request.completed_at = now
    request.result = {**counts, "action": action, "completed_at": now.isoformat()}
    request.save(update_fields=["status", "completed_at", "result"])
    audit_record(
        action=action,
        actor=by,
        actor_label="support" if by else "system",
        workspace=request.workspace,
        obj=request,
        reason=f"Subject: {_subject_label(request)}.",
        counts=counts,
    )
    audit_record(
        action=AuditEntry.Action.DELETION_CLOSED,
        actor=by,
        actor_label="support" if by else "system",
        workspace=request.workspace,
        obj=request,
        reason=(
            f"Done {timezone.localdate(now)}, due {request.due_on}"
            + (" (late)." if timezone.localdate(now) > request.due_on else ".")
        ),
        counts=counts,
    )
    return request


def deletion_requests_overdue():
    return DataDeletionRequest.objects.exclude(status=DataDeletionRequest.Status.DONE).filter(
        due_on__lt=timezone.localdate()
    )


# --- Retention ---------------------------------------------------------------------------------


def retention_close_out() -> dict:
    """What "retention" means here (privacy page, product doc §4, §10, §11):

    - a connection that is not connected or is disabled keeps no sync state: its delta link and
      subscription are cleared (and the subscription removed at Microsoft when we still can), so
      nothing can be fetched for it and no notification can trigger a sync;
    - a connection that Microsoft no longer accepts (not connected) keeps no token cache: the
      refresh token is useless and is deleted; a disabled connection keeps its tokens until support
      re-enables it or the user disconnects;
    - synced events are kept as history (product doc §11) until a deletion request or the user's
      "delete my synced data"; nothing outside the sync window is ever fetched (the sync engine);
    - open deletion requests past their 30-day due date are logged for support every run.
    """
    counts = {"sync_state_cleared": 0, "token_caches_deleted": 0, "subscriptions_removed": 0, "overdue_requests": 0}
    stale = CalendarConnection.objects.exclude(status=Status.CONNECTED).filter(
        ~Q(delta_link="") | ~Q(subscription_id="") | ~Q(subscription_client_state="")
    )
    for connection in stale:
        error = subscription_delete_best_effort(connection=connection)
        with transaction.atomic():
            conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
            if conn.status == Status.CONNECTED:  # reconnected meanwhile: its state is live again
                continue
            counts["subscriptions_removed"] += int(bool(conn.subscription_id) and not error)
            conn.delta_link = ""
            _subscription_fields_clear(conn)
            conn.save(update_fields=["delta_link", *_SUBSCRIPTION_FIELDS, "updated_at"])
            counts["sync_state_cleared"] += 1
    for conn in CalendarConnection.objects.filter(status=Status.NOT_CONNECTED).exclude(token_cache=""):
        with transaction.atomic():
            locked = CalendarConnection.objects.select_for_update().get(pk=conn.pk)
            if locked.status != Status.NOT_CONNECTED:
                continue
            locked.token_cache = ""
            locked.save(update_fields=["token_cache", "updated_at"])
            counts["token_caches_deleted"] += 1
    overdue = list(deletion_requests_overdue().values_list("pk", flat=True))
    counts["overdue_requests"] = len(overdue)
    if overdue:
        log.warning("deletion requests past their 30-day due date: %s", ", ".join(f"#{pk}" for pk in overdue))
    log.info("retention close-out %s", counts)
    return counts


_SUBSCRIPTION_FIELDS = ["subscription_id", "subscription_expires_at", "subscription_client_state"]


# --- Support staff ------------------------------------------------------------------------------

SUPPORT_GROUP = "Ruby support"
SUPPORT_PERMISSIONS = [
    "calendar_sync.view_calendarconnection",
    "calendar_sync.change_calendarconnection",
    "calendar_sync.support_connection",
    "calendar_sync.view_calendarevent",
    "calendar_sync.view_eventattendee",
    "calendar_sync.view_eventactivity",
    "calendar_sync.view_syncrun",
    "calendar_sync.view_datadeletionrequest",
    "calendar_sync.add_datadeletionrequest",
    "calendar_sync.change_datadeletionrequest",
    "ruby_site.view_auditentry",
    "ruby_site.view_user",
    "ruby_site.view_workspace",
    "ruby_site.view_membership",
]


def support_group_setup():
    """Create or update the "Ruby support" group: staff in it run the support console without being
    superusers. Idempotent; runs after every migrate and from `manage.py setup_support_group`."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # Permissions are created after migrate; make sure they exist when run on a fresh database.
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0)
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    permissions = []
    for dotted in SUPPORT_PERMISSIONS:
        app_label, codename = dotted.split(".")
        try:
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist as exc:
            raise PrivacyError(f"Permission {dotted} does not exist; run migrate first.") from exc
    group.permissions.set(permissions)
    return group
