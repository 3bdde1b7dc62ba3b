"""Is the process running a sync run still there? So a killed worker never leaves a run "running" for long.

A run records the "host:pid" that claimed it. On PostgreSQL the claiming session also holds an advisory lock
named after the run until the run ends; PostgreSQL drops it when the session dies (kill -9, a lost connection),
from any machine. On SQLite (one machine by nature) a pid that no longer exists on this host tells the same.
Runs without a recorded worker fall back to the worker timeout (services/sync.py STALE_RUNNING_AFTER).
"""

from __future__ import annotations

import os
import socket

from django.db import connection as db_connection

from calendar_sync.models import SyncRun

LOCK_CLASS = 16_016  # the advisory-lock namespace of sync runs (pg_advisory_lock(int4, int4))
HOST = socket.gethostname()


def worker_id() -> str:
    return f"{HOST}:{os.getpid()}"


def _postgres() -> bool:
    return db_connection.vendor == "postgresql"


def run_lock_take(*, run_id: int) -> None:
    """Held by this session until run_lock_release (or until the session dies)."""
    if _postgres():
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, run_id])


def run_lock_release(*, run_id: int) -> None:
    if _postgres():
        try:
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, run_id])
        except Exception:  # noqa: BLE001 — a lost connection released it already
            pass


def run_is_orphaned(run: SyncRun) -> bool:
    """True when `run` is 'running' but the process that claimed it is gone."""
    if run.status != SyncRun.Status.RUNNING or not run.worker:
        return False
    if _postgres():
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, run.pk])
            free = cursor.fetchone()[0]
            if free:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, run.pk])
        # Our own session holds it too (re-entrant) when this process runs the sync inline.
        return bool(free) and run.worker != worker_id()
    host, _, pid = run.worker.rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
