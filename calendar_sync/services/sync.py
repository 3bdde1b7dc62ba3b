"""The sync engine: one week of the default calendar, filtered, stored in bulk, linked (design.md §3.2).

sync_connection() fetches everything first and writes only when the fetch succeeded, so a failed
run leaves the stored events exactly as they were. The number of SQL queries does not depend on the
number of events: existing rows are read in one query, new and changed events are upserted with one
bulk_create(update_conflicts=True), their attendees replaced with one delete and one bulk_create.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from calendar_sync import auth, graph
from calendar_sync.models import CalendarConnection, CalendarEvent, EventActivity, EventAttendee, SyncRun
from calendar_sync.normalize import MalformedEvent, NormalizedEvent, normalize_event
from calendar_sync.signals import events_changed
from ruby_site.selectors import email_domain

log = logging.getLogger(__name__)

SYNC_WINDOW = timedelta(days=7)
# A run still "running" after the worker's hard timeout was killed with its worker; a "queued" run
# that no worker picked up for this long will never start. Neither should block the next sync.
STALE_RUNNING_AFTER = timedelta(seconds=settings.Q_CLUSTER.get("timeout", 300) + 60)
STALE_QUEUED_AFTER = timedelta(minutes=10)

ALREADY_RUNNING = "A sync is already running."
NOT_CONNECTED = "Outlook Calendar is not connected."

# The CalendarEvent columns a sync owns. Never state/discarded_*, account, deal or processed_at:
# those belong to the user and to linking, and a re-sync must not undo them.
SYNCED_FIELDS = [
    "ical_uid",
    "series_master_id",
    "event_type",
    "subject",
    "starts_at",
    "ends_at",
    "is_all_day",
    "location",
    "body_preview",
    "organizer_name",
    "organizer_email",
    "is_online",
    "join_url",
    "online_provider",
    "sensitivity",
    "show_as",
    "is_cancelled",
    "web_link",
]
UPSERT_UPDATE_FIELDS = [*SYNCED_FIELDS, "content_hash", "removed_at", "last_sync_run", "updated_at"]


class SyncNotPossible(Exception):
    """A sync cannot be requested now; the message is shown to the user as is."""


class SyncAlreadyRunning(SyncNotPossible):
    def __init__(self, message: str = ALREADY_RUNNING):
        super().__init__(message)


@dataclass
class _Plan:
    kept: dict[str, NormalizedEvent]
    hashes: dict[str, str]
    skip_reasons: Counter


def internal_domains_for(connection: CalendarConnection) -> frozenset[str]:
    domains = {d.strip().lower().lstrip("@") for d in (connection.workspace.internal_domains or []) if d}
    owner_domain = email_domain(connection.user.email)
    if owner_domain:
        domains.add(owner_domain)
    if connection.email:
        domains.add(email_domain(connection.email))
    domains.discard("")
    return frozenset(domains)


def attendees_reflag_internal(*, workspace) -> int:
    """Re-derive every stored attendee's internal mark after the workspace's internal domains change,
    by the same rule the sync uses — so readers can trust `is_internal` instead of re-checking domains.
    (A sync only re-flags the events of its own window.) Returns how many rows changed."""
    changed = 0
    for connection in CalendarConnection.objects.filter(workspace=workspace).select_related("user", "workspace"):
        internal = internal_domains_for(connection)
        flips = {True: [], False: []}
        rows = EventAttendee.objects.filter(event__connection=connection).values_list("pk", "email", "is_internal")
        for pk, email, is_internal in rows.iterator(chunk_size=2000):
            flag = email_domain(email) in internal
            if flag != is_internal:
                flips[flag].append(pk)
        for flag, pks in flips.items():
            for start in range(0, len(pks), 500):
                changed += EventAttendee.objects.filter(pk__in=pks[start : start + 500]).update(is_internal=flag)
    return changed


def skip_reason(event: NormalizedEvent, *, connection: CalendarConnection, internal: frozenset[str]) -> str | None:
    """Why this event is not synced, or None to keep it. Checked before anything is stored."""
    if event.is_private and not connection.sync_private:
        return "private"
    if connection.sync_only_online and not event.join_url:
        return "not_online"
    # No external person (organizer or attendee) = internal, the owner's solo appointments included.
    if not any(a.domain and a.domain not in internal for a in event.attendees):
        return "internal"
    return None


def _stale_cutoffs(now: datetime) -> Q:
    return Q(status=SyncRun.Status.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER) | Q(
        status=SyncRun.Status.QUEUED, created_at__lt=now - STALE_QUEUED_AFTER
    )


def _expire_stale_runs(connection_id: int, now: datetime) -> None:
    SyncRun.objects.filter(_stale_cutoffs(now), connection_id=connection_id).update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error="The sync was interrupted before it finished (the worker stopped or timed out).",
    )


def _lock_connection(connection_id: int) -> CalendarConnection:
    # PostgreSQL: the row lock serialises claimers for the few milliseconds of check-then-claim; the
    # second one then sees the first run 'running' and is refused. SQLite has no FOR UPDATE, but
    # settings open every transaction with BEGIN IMMEDIATE, which takes the database write lock, so
    # check-then-claim is serialised there too.
    qs = CalendarConnection.objects.select_related("workspace", "user")
    if db_connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=connection_id)


def sync_request(
    *,
    connection: CalendarConnection,
    trigger: str = SyncRun.Trigger.MANUAL,
    requested_by=None,
) -> SyncRun:
    """Queue a sync of this connection (a 'queued' SyncRun + a django-q2 task after commit).
    Raises SyncAlreadyRunning when one is queued or running, SyncNotPossible when not connected."""
    from django_q.tasks import async_task

    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection.pk)
        if locked.status != CalendarConnection.Status.CONNECTED:
            # The stored reason says why (disabled by support, disconnected, access lost) and what to do.
            raise SyncNotPossible(locked.status_reason or NOT_CONNECTED)
        _expire_stale_runs(locked.pk, now)
        if SyncRun.objects.filter(
            connection=locked, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
        ).exists():
            raise SyncAlreadyRunning()
        run = SyncRun.objects.create(
            connection=locked, trigger=trigger, requested_by=requested_by, status=SyncRun.Status.QUEUED
        )
        transaction.on_commit(
            lambda: async_task(
                "calendar_sync.tasks.sync_connection_task",
                locked.pk,
                trigger,
                run.pk,
                task_name=f"sync-connection-{locked.pk}-run-{run.pk}",
            )
        )
    return run


def _claim(*, connection_id: int, trigger: str, requested_by, run_id: int | None) -> tuple[SyncRun, bool]:
    """Mark a run 'running' if no other run of this connection is. Returns (run, claimed)."""
    now = timezone.now()
    with transaction.atomic():
        connection = _lock_connection(connection_id)
        _expire_stale_runs(connection.pk, now)
        run = None
        if run_id is not None:
            run = SyncRun.objects.filter(pk=run_id, connection=connection).first()
            if run is not None and run.status != SyncRun.Status.QUEUED:
                # django-q2 re-offered a task whose run already ended (or never was ours): nothing to do.
                run.connection = connection
                return run, False
        if run is None:
            run = SyncRun(connection=connection, trigger=trigger, requested_by=requested_by)
        run.connection = connection
        busy = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.RUNNING).exclude(pk=run.pk)
        if busy.exists():
            run.status, run.error, run.finished_at = SyncRun.Status.SKIPPED, ALREADY_RUNNING, now
            run.save()
            return run, False
        if connection.status != CalendarConnection.Status.CONNECTED:
            run.status, run.finished_at = SyncRun.Status.SKIPPED, now
            run.error = connection.status_reason or NOT_CONNECTED
            run.save()
            return run, False
        run.status, run.started_at = SyncRun.Status.RUNNING, now
        run.save()
        return run, True


def _finish(run: SyncRun, *, status: str, error: str = "") -> SyncRun:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save()
    conn_updates = {"last_error": error}
    if status == SyncRun.Status.SUCCEEDED:
        conn_updates["last_synced_at"] = run.finished_at
    CalendarConnection.objects.filter(pk=run.connection_id).update(**conn_updates)
    for key, value in conn_updates.items():
        setattr(run.connection, key, value)
    return run


def _fetch(run: SyncRun, connection: CalendarConnection, internal: frozenset[str]) -> _Plan:
    token = auth.get_access_token(connection)
    plan = _Plan(kept={}, hashes={}, skip_reasons=Counter())
    pages = graph.iter_calendar_view(
        access_token=token,
        start=run.window_start,
        end=run.window_end,
        page_size=graph.CALENDAR_PAGE_SIZE,
        refresh_token=lambda: auth.get_access_token(connection, force_refresh=True),
    )
    try:
        for page in pages:
            run.pages += 1
            run.requests += page.requests_made
            for raw in page.events:
                run.fetched += 1
                try:
                    event = normalize_event(raw)
                except MalformedEvent as exc:
                    log.warning(
                        "sync run=%s skipped a malformed event id=%s: %s", run.pk, exc.event_id or "?", exc.reason
                    )
                    plan.skip_reasons["malformed"] += 1
                    continue
                reason = skip_reason(event, connection=connection, internal=internal)
                if reason:
                    plan.skip_reasons[reason] += 1
                    continue
                # Graph should not repeat an id across pages; if it does, the last copy wins.
                plan.kept[event.provider_event_id] = event
    except graph.GraphError as exc:
        run.requests += exc.requests_made
        raise
    plan.hashes = {pid: event.content_hash(internal_domains=internal) for pid, event in plan.kept.items()}
    return plan


def _store(
    run: SyncRun, connection: CalendarConnection, plan: _Plan, internal: frozenset[str]
) -> tuple[list[int], list[int]]:
    """Write the plan; returns the ids of (new and changed events, every event in the window)."""
    now = timezone.now()
    window = Q(starts_at__lt=run.window_end, ends_at__gt=run.window_start, removed_at__isnull=True)
    existing = {
        row["provider_event_id"]: row
        for row in CalendarEvent.objects.filter(
            window | Q(provider_event_id__in=list(plan.kept)), connection=connection
        ).values("id", "provider_event_id", "content_hash", "removed_at")
    }

    to_write: list[CalendarEvent] = []
    unchanged_ids: list[int] = []
    for pid, event in plan.kept.items():
        row = existing.get(pid)
        if row and row["content_hash"] == plan.hashes[pid] and row["removed_at"] is None:
            run.unchanged += 1
            unchanged_ids.append(row["id"])
            continue
        if row:
            run.updated += 1
        else:
            run.created += 1
        to_write.append(
            CalendarEvent(
                workspace_id=connection.workspace_id,
                connection_id=connection.pk,
                owner_id=connection.user_id,
                provider_event_id=pid,
                content_hash=plan.hashes[pid],
                removed_at=None,
                first_sync_run_id=run.pk,
                last_sync_run_id=run.pk,
                created_at=now,
                updated_at=now,
                **{name: getattr(event, name) for name in SYNCED_FIELDS},
            )
        )
    gone_ids = [row["id"] for pid, row in existing.items() if pid not in plan.kept and row["removed_at"] is None]

    with transaction.atomic():
        changed_ids: list[int] = []
        if to_write:
            CalendarEvent.objects.bulk_create(
                to_write,
                update_conflicts=True,
                unique_fields=["connection", "provider_event_id"],
                update_fields=UPSERT_UPDATE_FIELDS,
            )
            # SQLite ≥ 3.35 and PostgreSQL return the ids of upserted rows, so every obj.pk is set here.
            changed_ids = [obj.pk for obj in to_write]
            replaced = [obj.pk for obj in to_write if obj.provider_event_id in existing]
            if replaced:
                EventAttendee.objects.filter(event_id__in=replaced).delete()
            _insert_attendees(
                [
                    (
                        obj.pk,
                        a.email,
                        a.name,
                        a.response,
                        a.attendee_type,
                        a.is_organizer,
                        bool(a.domain) and a.domain in internal,
                    )
                    for obj in to_write
                    for a in plan.kept[obj.provider_event_id].attendees
                ]
            )
        if gone_ids:
            # Deleted in Outlook, moved out of the week, or now filtered: hidden, not deleted. State
            # (discarded or not) is left alone; events already in the past never reach this list.
            run.removed = CalendarEvent.objects.filter(pk__in=gone_ids).update(removed_at=now)
            EventActivity.objects.bulk_create(
                [EventActivity(event_id=pk, action=EventActivity.Action.REMOVED, created_at=now) for pk in gone_ids]
            )
    return changed_ids, changed_ids + unchanged_ids


ATTENDEE_COLUMNS = ("event_id", "email", "name", "response", "attendee_type", "is_organizer", "is_internal")


def _insert_attendees(rows: list[tuple]) -> None:
    """Insert attendee rows (ATTENDEE_COLUMNS order) in one statement.

    PostgreSQL: COPY, several times faster than an INSERT of tens of thousands of rows built through
    the ORM (a week of a busy mailbox has ~4 attendees per meeting). Elsewhere: bulk_create."""
    if not rows:
        return
    if db_connection.vendor == "postgresql":
        table = EventAttendee._meta.db_table
        columns = ", ".join(f'"{name}"' for name in ATTENDEE_COLUMNS)
        with db_connection.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    EventAttendee.objects.bulk_create([EventAttendee(**dict(zip(ATTENDEE_COLUMNS, row, strict=True))) for row in rows])


def sync_connection(
    *,
    connection_id: int,
    trigger: str,
    requested_by=None,
    run_id: int | None = None,
    now: datetime | None = None,
) -> SyncRun:
    """Sync one connection's coming week now (in this process) and return its SyncRun.

    Refused (status 'skipped') when another sync of the connection is running or the connection is
    not connected. Failed runs keep the stored events untouched and record the error in plain words.
    """
    from calendar_sync.services.linking import link_events

    run, claimed = _claim(connection_id=connection_id, trigger=trigger, requested_by=requested_by, run_id=run_id)
    if not claimed:
        return run
    connection = run.connection
    start = (now or timezone.now()).replace(microsecond=0)
    run.window_start, run.window_end = start, start + SYNC_WINDOW
    internal = internal_domains_for(connection)
    try:
        plan = _fetch(run, connection, internal)
        run.skipped = sum(plan.skip_reasons.values())
        run.skip_reasons = dict(sorted(plan.skip_reasons.items()))
        changed_ids, window_ids = _store(run, connection, plan, internal)
    except auth.ReconnectRequired as exc:
        # auth already set the connection to not_connected with the reason the user sees.
        reason = str(exc) or "Microsoft no longer accepts Ruby's access; reconnect Outlook Calendar."
        return _finish(run, status=SyncRun.Status.FAILED, error=reason)
    except auth.TokenUnavailable:
        return _finish(
            run, status=SyncRun.Status.FAILED, error="Microsoft sign-in could not be reached; try again later."
        )
    except graph.GraphError as exc:
        log.warning("sync run=%s failed: %s", run.pk, exc)
        return _finish(run, status=SyncRun.Status.FAILED, error=str(exc))
    except Exception:
        log.exception("sync run=%s failed unexpectedly", run.pk)
        _finish(run, status=SyncRun.Status.FAILED, error="The sync failed unexpectedly; Ruby support was notified.")
        raise

    # Every event of the week is re-linked, not only changed ones: an account or contact added since the
    # last sync links here. link_events reads in bulk and writes only what changed.
    if window_ids:
        link_events(workspace=connection.workspace, event_ids=window_ids)
    if changed_ids:
        events_changed.send(sender=CalendarEvent, workspace=connection.workspace, event_ids=changed_ids)
    log.info(
        "sync run=%s connection=%s pages=%s fetched=%s created=%s updated=%s unchanged=%s removed=%s skipped=%s",
        run.pk,
        connection.pk,
        run.pages,
        run.fetched,
        run.created,
        run.updated,
        run.unchanged,
        run.removed,
        run.skipped,
    )
    return _finish(run, status=SyncRun.Status.SUCCEEDED)


def connection_set_sync_options(
    *, connection: CalendarConnection, sync_private: bool, sync_only_online: bool
) -> CalendarConnection:
    """Change the sync options; they apply at the next sync (nothing stored is touched now)."""
    connection.sync_private = sync_private
    connection.sync_only_online = sync_only_online
    connection.save(update_fields=["sync_private", "sync_only_online", "updated_at"])
    return connection


def connections_due(*, now: datetime | None = None) -> list[CalendarConnection]:
    """Connected connections whose workspace interval has elapsed since their last sync attempt."""
    now = now or timezone.now()
    candidates = (
        CalendarConnection.objects.filter(
            status=CalendarConnection.Status.CONNECTED, workspace__sync_interval_minutes__gt=0
        )
        .select_related("workspace")
        .annotate(last_run_at=Max("sync_runs__created_at"))
    )
    due = []
    for connection in candidates:
        interval = timedelta(minutes=connection.workspace.sync_interval_minutes)
        last = max(filter(None, [connection.last_synced_at, connection.last_run_at]), default=None)
        if last is None or last + interval <= now:
            due.append(connection)
    return due


def sync_schedule_fanout(*, now: datetime | None = None) -> int:
    """Queue a scheduled sync for every connection that is due; returns how many were queued."""
    queued = 0
    for connection in connections_due(now=now):
        try:
            sync_request(connection=connection, trigger=SyncRun.Trigger.SCHEDULE)
        except SyncNotPossible:
            continue
        queued += 1
    return queued
