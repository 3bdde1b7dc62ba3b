"""Issue 16: a sync has a waiting budget and never stays 'running' after its worker timed out or died."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone
from django_q.models import Schedule

from calendar_sync.models import SyncRun
from calendar_sync.services import run_liveness
from calendar_sync.services import sync as sync_service
from calendar_sync.services.sync import INTERRUPTED, sync_connection, sync_request
from calendar_sync.tasks import sync_connection_task
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)


def test_throttling_past_the_budget_ends_the_run_and_requeues_it_with_the_wait(connection, fake_graph, slept):
    fake_graph.events = [graph_event(id="ev-1")]
    fake_graph.script = [(429, {"Retry-After": "60"})] * 3

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    assert slept == [60.0, 60.0]  # 120 s in all, then no more sleeping in the worker
    assert run.status == SyncRun.Status.FAILED
    retry_at = timezone.now() + timedelta(seconds=60)
    assert run.error in {
        f"Throttled by the calendar provider; will retry at {(retry_at - timedelta(seconds=s)):%H:%M} UTC."
        for s in (0, 2)
    }
    queued = SyncRun.objects.get(status=SyncRun.Status.QUEUED)
    schedule = Schedule.objects.get(func="calendar_sync.tasks.sync_connection_task")
    assert schedule.args == f"({connection.pk}, 'manual', {queued.pk})"
    assert timedelta(seconds=55) < schedule.next_run - timezone.now() <= timedelta(seconds=60)


def test_the_requeued_run_syncs_when_its_time_comes(connection, fake_graph, slept):
    fake_graph.events = [graph_event(id="ev-1")]
    fake_graph.script = [(429, {"Retry-After": "60"})] * 3
    sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)
    queued = SyncRun.objects.get(status=SyncRun.Status.QUEUED)

    result = sync_connection_task(connection.pk, "manual", queued.pk)

    assert result == {"run": queued.pk, "status": "succeeded"}


def test_worker_timeout_systemexit_marks_the_run_interrupted(connection, fake_graph, monkeypatch):
    def timed_out(*args, **kwargs):
        raise SystemExit("django-q timeout")

    monkeypatch.setattr(sync_service, "store_plan", timed_out)
    with pytest.raises(SystemExit):
        sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    run = SyncRun.objects.get()
    assert (run.status, run.error) == (SyncRun.Status.FAILED, INTERRUPTED)
    monkeypatch.undo()
    assert sync_request(connection=connection).status == SyncRun.Status.QUEUED


def test_redelivered_task_of_a_run_left_running_syncs(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1")]
    left = SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING, started_at=timezone.now())

    result = sync_connection_task(connection.pk, "manual", left.pk)

    left.refresh_from_db()
    assert (left.status, left.error) == (SyncRun.Status.FAILED, INTERRUPTED)
    new = SyncRun.objects.exclude(pk=left.pk).get()
    assert result == {"run": new.pk, "status": "succeeded"} and new.created == 1


def test_redelivered_task_of_an_expired_run_syncs(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1")]
    expired = SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED, error=INTERRUPTED)

    result = sync_connection_task(connection.pk, "manual", expired.pk)

    assert result["status"] == "succeeded" and result["run"] != expired.pk


def test_sync_now_after_the_worker_process_died_is_not_already_running(connection):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    SyncRunFactory(
        connection=connection,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now(),
        worker=f"{run_liveness.HOST}:{dead.pid}",
    )

    run = sync_request(connection=connection)

    assert run.status == SyncRun.Status.QUEUED
    assert SyncRun.objects.get(status=SyncRun.Status.FAILED).error == INTERRUPTED


def test_a_live_run_still_blocks_sync_now(connection):
    run = SyncRunFactory(
        connection=connection,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now(),
        worker=f"{run_liveness.HOST}:{os.getppid()}",
    )
    other = None
    if db_connection.vendor == "postgresql":  # the live worker's session holds the run's lock
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [run_liveness.LOCK_CLASS, run.pk])
    try:
        with pytest.raises(sync_service.SyncAlreadyRunning):
            sync_request(connection=connection)
    finally:
        if other is not None:
            other.close()
