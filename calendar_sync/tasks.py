"""django-q2 tasks: thin, take ids, call services (design.md §7.5).

Sections: sync (schedule fan-out, one connection), privacy (purge, anonymise, retention).
"""

# --- sync ------------------------------------------------------------------------------------


def sync_connection_task(connection_id: int, trigger: str, run_id: int | None = None) -> dict:
    """Run one queued sync. Safe to run twice: a run that already ended is left alone."""
    from calendar_sync.services.sync import sync_connection

    run = sync_connection(connection_id=connection_id, trigger=trigger, run_id=run_id)
    return {"run": run.pk, "status": run.status}


def schedule_fanout() -> int:
    """Every minute (setup_schedules): queue a sync for each connection whose workspace interval elapsed."""
    from calendar_sync.services.sync import sync_schedule_fanout

    return sync_schedule_fanout()


# --- privacy ---------------------------------------------------------------------------------
