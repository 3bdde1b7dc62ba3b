"""The sync engine: one week of a connection's calendar, filtered, stored in bulk, linked (design.md §3.2).

The engine asks the connection's provider (calendar_sync.providers) for the normalised events of the window; it
does the filtering, storing (services/sync_store.py) and linking itself and never names a provider. It fetches
everything first and writes only when the fetch succeeded, so a failed run leaves the stored events exactly as
they were. A permanent provider error (access refused) becomes connection state: not connected, with the reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_q import tasks as q_tasks
from django_q.models import Schedule

from calendar_sync.errors import WaitBudgetExceeded, wait_budget
from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from calendar_sync.normalize import NormalizedEvent
from calendar_sync.providers import ProviderError, provider_for
from calendar_sync.services import run_liveness
from calendar_sync.services.lifecycle import NOT_CONNECTED, connection_mark_access_lost, connection_mark_refused
from calendar_sync.services.linking import link_events
from calendar_sync.services.sync_store import Plan, internal_domains_for, is_internal_address, store_plan
from calendar_sync.signals import events_changed
from ruby_site.errors import UserFacingError
from ruby_site.fields import DecryptionError

log = logging.getLogger(__name__)

SYNC_WINDOW = timedelta(days=7)
# A run still "running" after the worker's hard timeout was killed with its worker; a "queued" run
# that no worker picked up for this long will never start. Neither should block the next sync.
STALE_RUNNING_AFTER = timedelta(seconds=settings.Q_CLUSTER.get("timeout", 300) + 60)
STALE_QUEUED_AFTER = timedelta(minutes=10)

ALREADY_RUNNING = "A sync is already running."
TOKENS_UNREADABLE = (
    "Ruby can no longer read this connection's stored Microsoft sign-in (the encryption key changed). "
    "Reconnect Outlook Calendar from Settings -> Integrations."
)
INTERRUPTED = "The sync was interrupted before it finished (the worker stopped or timed out)."
# All the waiting (Retry-After, backoff) one run may do; past it the run ends and is requeued with the wait.
SYNC_WAIT_BUDGET_SECONDS = 120


class SyncNotPossible(UserFacingError):
    """A sync cannot be requested now; the message is shown to the user as is."""

    code = "sync_not_possible"


class SyncAlreadyRunning(SyncNotPossible):
    code = "sync_already_running"

    def __init__(self, message: str = ALREADY_RUNNING):
        super().__init__(message)


def skip_reason(event: NormalizedEvent, *, connection: CalendarConnection, internal: frozenset[str]) -> str | None:
    """Why this event is not synced, or None to keep it. Checked before anything is stored."""
    if event.is_private and not connection.sync_private:
        return "private"
    if connection.sync_only_online and not event.join_url:
        return "not_online"
    # No external person (organizer or attendee) = internal, the owner's solo appointments included.
    if not any(a.domain and not is_internal_address(a.email, internal) for a in event.attendees):
        return "internal"
    return None


def _stale_cutoffs(now: datetime) -> Q:
    return Q(status=SyncRun.Status.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER) | Q(
        status=SyncRun.Status.QUEUED, created_at__lt=now - STALE_QUEUED_AFTER
    )


def _expire_stale_runs(connection_id: int, now: datetime, *, check_orphans: bool = False) -> None:
    orphans = []
    if check_orphans:  # requests only: the worker's claim stays within the engine's query budget
        running = SyncRun.objects.filter(connection_id=connection_id, status=SyncRun.Status.RUNNING).exclude(worker="")
        orphans = [run.pk for run in running if run_liveness.run_is_orphaned(run)]
    SyncRun.objects.filter(_stale_cutoffs(now) | Q(pk__in=orphans), connection_id=connection_id).update(
        status=SyncRun.Status.FAILED, finished_at=now, error=INTERRUPTED
    )


def _lock_connection(connection_id: int, *, with_tokens: bool = False) -> CalendarConnection:
    # PostgreSQL: the row lock serialises claimers for the few milliseconds of check-then-claim; the
    # second one then sees the first run 'running' and is refused. SQLite has no FOR UPDATE, but
    # settings open every transaction with BEGIN IMMEDIATE, which takes the database write lock, so
    # check-then-claim is serialised there too.
    # The token cache is read only where it is used (tokens.py): a row that cannot be decrypted must not
    # break the claim, the fan-out or anyone else's sync.
    qs = CalendarConnection.objects.select_related("workspace", "user")
    if db_connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    if with_tokens:  # the sync needs them: read in the same query, unless no key can read them
        try:
            return qs.get(pk=connection_id)
        except DecryptionError:
            pass  # loaded deferred below; the sync then meets the error where it reads them, and says so
    return qs.defer("token_cache").get(pk=connection_id)


def sync_request(
    *,
    connection: CalendarConnection,
    trigger: str = SyncRun.Trigger.MANUAL,
    requested_by=None,
) -> SyncRun:
    """Queue a sync of this connection (a 'queued' SyncRun + a django-q2 task after commit).
    Raises SyncAlreadyRunning when one is queued or running, SyncNotPossible when not connected."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection.pk)
        if locked.status != CalendarConnection.Status.CONNECTED:
            # The stored reason says why (disabled by support, disconnected, access lost) and what to do.
            raise SyncNotPossible(locked.status_reason or NOT_CONNECTED)
        _expire_stale_runs(locked.pk, now, check_orphans=True)
        if SyncRun.objects.filter(
            connection=locked, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
        ).exists():
            raise SyncAlreadyRunning()
        run = SyncRun.objects.create(
            connection=locked, trigger=trigger, requested_by=requested_by, status=SyncRun.Status.QUEUED
        )
        transaction.on_commit(
            lambda: q_tasks.async_task(
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
        connection = _lock_connection(connection_id, with_tokens=True)
        _expire_stale_runs(connection.pk, now)
        run = None
        if run_id is not None:
            run = SyncRun.objects.filter(pk=run_id, connection=connection).first()
            if run is not None and _redelivered(run):
                # django-q2 re-offers a task only after its worker died (retry > timeout): the run it started
                # never finished, so it ends interrupted and this delivery syncs in a new run.
                SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
                    status=SyncRun.Status.FAILED, finished_at=now, error=INTERRUPTED
                )
                trigger, requested_by, run = run.trigger, run.requested_by, None
            elif run is not None and run.status != SyncRun.Status.QUEUED:
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
        run.status, run.started_at, run.worker = SyncRun.Status.RUNNING, now, run_liveness.worker_id()
        run.save()
        # Taken before the claim commits, so no one ever sees this run 'running' without its lock.
        run_liveness.run_lock_take(run_id=run.pk)
        return run, True


def _redelivered(run: SyncRun) -> bool:
    if run.status == SyncRun.Status.RUNNING:
        return True
    if run.status != SyncRun.Status.FAILED or run.error != INTERRUPTED:
        return False
    return not SyncRun.objects.filter(connection_id=run.connection_id, created_at__gt=run.created_at).exists()


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


def _fetch(run: SyncRun, connection: CalendarConnection, internal: frozenset[str]) -> Plan:
    plan = Plan(kept={}, hashes={}, skip_reasons=Counter())
    pages = provider_for(connection).fetch_window(connection, start=run.window_start, end=run.window_end)
    try:
        for page in pages:
            run.pages += 1
            run.requests += page.requests_made
            run.fetched += page.fetched
            for exc in page.malformed:
                log.warning("sync run=%s skipped a malformed event id=%s: %s", run.pk, exc.event_id or "?", exc.reason)
                plan.skip_reasons["malformed"] += 1
            for event in page.events:
                reason = skip_reason(event, connection=connection, internal=internal)
                if reason:
                    plan.skip_reasons[reason] += 1
                    continue
                # A provider should not repeat an id across pages; if it does, the last copy wins.
                plan.kept[event.provider_event_id] = event
    except ProviderError as exc:
        run.requests += exc.requests_made
        raise
    plan.hashes = {pid: event.content_hash(internal_domains=internal) for pid, event in plan.kept.items()}
    return plan


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
    run, claimed = _claim(connection_id=connection_id, trigger=trigger, requested_by=requested_by, run_id=run_id)
    if not claimed:
        return run
    try:
        return _sync_claimed(run, now=now)
    finally:
        run_liveness.run_lock_release(run_id=run.pk)


def _sync_claimed(run: SyncRun, *, now: datetime | None) -> SyncRun:
    connection = run.connection
    start = (now or timezone.now()).replace(microsecond=0)
    run.window_start, run.window_end = start, start + SYNC_WINDOW
    internal = internal_domains_for(connection)
    try:
        with wait_budget(SYNC_WAIT_BUDGET_SECONDS):
            plan = _fetch(run, connection, internal)
        run.skipped = sum(plan.skip_reasons.values())
        run.skip_reasons = dict(sorted(plan.skip_reasons.items()))
        changed_ids, window_ids = store_plan(run, connection, plan, internal)
    except WaitBudgetExceeded as exc:
        return _requeue_throttled(run, wait_seconds=exc.retry_after)
    except DecryptionError:
        log.warning("sync run=%s: connection %s has a token cache no key can read", run.pk, connection.pk)
        connection_mark_refused(connection=connection, reason=TOKENS_UNREADABLE)
        return _finish(run, status=SyncRun.Status.FAILED, error=TOKENS_UNREADABLE)
    except ProviderError as exc:
        error = provider_for(connection).describe(exc)
        log.warning("sync run=%s failed (%s): %s", run.pk, "permanent" if exc.permanent else "transient", exc)
        # Only the user can fix a permanent error: not connected with the reason, so the schedule stops retrying.
        if exc.kind == "access_lost":
            connection_mark_access_lost(connection=connection, microsoft_error=exc.code)
        elif exc.permanent:
            connection_mark_refused(connection=connection, reason=error)
        return _finish(run, status=SyncRun.Status.FAILED, error=error)
    except Exception:
        log.exception("sync run=%s failed unexpectedly", run.pk)
        _finish(run, status=SyncRun.Status.FAILED, error="The sync failed unexpectedly; Ruby support was notified.")
        raise
    except BaseException:
        # django-q2's timeout is a SystemExit raised inside the task; a shutdown is KeyboardInterrupt. Neither
        # is an Exception, and either would leave the run 'running'. (kill -9 is seen by run_liveness instead.)
        log.warning("sync run=%s stopped by the worker (timeout or shutdown)", run.pk)
        try:
            _finish(run, status=SyncRun.Status.FAILED, error=INTERRUPTED)
        except Exception:  # noqa: BLE001 — the database may be what went away; expiry covers it
            log.exception("sync run=%s could not be marked interrupted", run.pk)
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


def _requeue_throttled(run: SyncRun, *, wait_seconds: float) -> SyncRun:
    """End the run 'throttled, will retry at HH:MM' and queue the next one for then (no sleep in the worker)."""
    at = timezone.now() + timedelta(seconds=max(1.0, wait_seconds))
    connection = run.connection
    run = _finish(
        run, status=SyncRun.Status.FAILED, error=f"Throttled by the calendar provider; will retry at {at:%H:%M} UTC."
    )
    with transaction.atomic():
        retry = SyncRun.objects.create(connection=connection, trigger=run.trigger, status=SyncRun.Status.QUEUED)
        q_tasks.schedule(
            "calendar_sync.tasks.sync_connection_task",
            connection.pk,
            str(run.trigger),  # a plain str: django-q2 stores args as a literal it evaluates back
            retry.pk,
            name=f"sync-connection-{connection.pk}-run-{retry.pk}",
            schedule_type=Schedule.ONCE,
            repeats=1,
            next_run=at,
        )
    log.info("sync run=%s throttled past its budget; run=%s queued for %s", run.pk, retry.pk, at.isoformat())
    return run


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
        .defer("token_cache")
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
        except Exception:  # one connection's trouble never stops the others' syncs
            log.exception("schedule fan-out: connection %s could not be queued", connection.pk)
            continue
        queued += 1
    return queued
