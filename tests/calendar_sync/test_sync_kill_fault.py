"""Fault test (issue 16): SIGKILL the process running a sync on PostgreSQL; "Sync now" then works, nothing doubles."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db_connection

from calendar_sync.models import CalendarEvent, SyncRun
from calendar_sync.services.sync import INTERRUPTED, sync_connection, sync_request
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL"),
]

HANGING_SYNC = textwrap.dedent(
    """
    import sys, time, pathlib
    import django
    django.setup()
    import responses
    from django.conf import settings
    from calendar_sync.services import sync, tokens

    tokens.access_token_for = lambda connection, force_refresh=False: "token-1"
    marker = pathlib.Path(sys.argv[2])

    def hang(request):
        marker.write_text("fetching")
        time.sleep(300)

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", f"{settings.MICROSOFT_GRAPH_URL}/v1.0/me/calendarView", callback=hang)
        sync.sync_connection(connection_id=int(sys.argv[1]), trigger="manual")
    """
)


def _database_url() -> str:
    db = db_connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)


def test_sigkill_mid_sync_then_sync_now_syncs_without_duplicates(connection, fake_graph, tmp_path: Path):
    fake_graph.events = [graph_event(id=f"ev-{n}") for n in range(3)]
    assert sync_connection(connection_id=connection.pk, trigger="manual").created == 3

    script, marker = tmp_path / "hang.py", tmp_path / "fetching"
    script.write_text(HANGING_SYNC)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ruby_site.settings_test",
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    worker = subprocess.Popen(
        [sys.executable, str(script), str(connection.pk), str(marker)], env=env, cwd=settings.BASE_DIR
    )
    try:
        for _ in range(300):
            if marker.exists() or worker.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the worker never started fetching"
        running = SyncRun.objects.get(status=SyncRun.Status.RUNNING)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    fake_graph.events.append(graph_event(id="ev-new"))
    for _ in range(50):  # PostgreSQL ends the dead client's session (and its lock) within moments
        try:
            run = sync_request(connection=connection)
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    else:
        pytest.fail("Sync now still says a sync is running")

    running.refresh_from_db()
    assert (running.status, running.error) == (SyncRun.Status.FAILED, INTERRUPTED)
    run.refresh_from_db()  # the test settings run the queued task inline
    assert (run.status, run.created, run.unchanged) == (SyncRun.Status.SUCCEEDED, 1, 3)
    ids = list(CalendarEvent.objects.filter(connection=connection).values_list("provider_event_id", flat=True))
    assert sorted(ids) == ["ev-0", "ev-1", "ev-2", "ev-new"]
