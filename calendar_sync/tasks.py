"""django-q2 tasks: thin, take ids, call services (design.md §7.5).

Sections: sync (schedule fan-out, one connection), privacy (purge, anonymise, retention).
"""

from django_q.models import Schedule

from calendar_sync.services.deletion_requests import deletion_request_run
from calendar_sync.services.retention import retention_close_out
from calendar_sync.services.subscriptions import (
    push_notifications_process,
    subscription_ensure,
    subscriptions_renew_due,
)
from calendar_sync.services.sync import sync_connection, sync_schedule_fanout
from ruby_site.models import User

# --- sync ------------------------------------------------------------------------------------


def sync_connection_task(connection_id: int, trigger: str, run_id: int | None = None) -> dict:
    """Run one queued sync. Safe to run twice: a run that already ended is left alone."""
    run = sync_connection(connection_id=connection_id, trigger=trigger, run_id=run_id)
    return {"run": run.pk, "status": run.status}


def schedule_fanout() -> int:
    """Every minute (setup_schedules): queue a sync for each connection whose workspace interval elapsed."""
    return sync_schedule_fanout()


# --- live updates (change notifications) ------------------------------------------------------


def push_notifications_task(connection_id: int) -> str:
    """After an accepted notification: coalesce the burst and act once (see push_notifications_process)."""
    return push_notifications_process(connection_id=connection_id)


def subscription_ensure_task(connection_id: int) -> str:
    """After Connect: create the connection's change-notification subscription (when push is on)."""
    return subscription_ensure(connection_id=connection_id)


def subscriptions_renew_task() -> dict:
    """Every 15 minutes (setup_schedules): renew subscriptions that are due, recreate missing ones."""
    return subscriptions_renew_due()


# --- privacy ---------------------------------------------------------------------------------


def deletion_request_run_task(request_id: int, by_id: int | None = None) -> dict:
    """Run one deletion request (Purge or Anonymise). Safe to run twice: a done request is skipped."""
    by = User.objects.filter(pk=by_id).first() if by_id else None
    request = deletion_request_run(deletion_request_id=request_id, by=by)
    return {"request": request.pk, "status": request.status}


def retention_task() -> dict:
    """Daily close-out of stale sync state and tokens; see services.retention.retention_close_out."""
    return retention_close_out()


def privacy_schedules() -> list[dict]:
    """Schedule specs for `setup_schedules`: create or update each by its unique `name`, e.g.
    Schedule.objects.update_or_create(name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"})."""
    return [
        {
            "name": "calendar_sync.retention",
            "func": "calendar_sync.tasks.retention_task",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
        }
    ]
