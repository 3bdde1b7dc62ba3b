"""Two triggers at the same moment against a real database lock (PostgreSQL; SQLite has one writer anyway)."""

import json
import threading

import pytest
import responses
from django.db import connection as db_connection

from calendar_sync.models import CalendarEvent, SyncRun
from calendar_sync.services.sync import sync_connection
from tests.calendar_sync.graph_fakes import FakeCalendar, graph_event
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection(user):
    """The logged-in user's own connection (conftest's `connection` belongs to `owner`)."""
    return ConnectionFactory(user=user)


def test_a_second_trigger_during_a_sync_is_refused(connection, rsps, graph_token, slept):
    if db_connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: run with DATABASE_URL=postgres://…")
    inside, release = threading.Event(), threading.Event()

    def slow_graph(request):
        inside.set()
        release.wait(10)
        return 200, {}, json.dumps({"value": [graph_event(id="ev-1")]})

    rsps.add_callback(responses.GET, FakeCalendar.url, callback=slow_graph)
    results = {}

    def first():
        try:
            results["first"] = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.SCHEDULE)
        finally:
            db_connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    second = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)
    release.set()
    thread.join(10)

    assert second.status == SyncRun.Status.SKIPPED and second.error == "A sync is already running."
    assert results["first"].status == SyncRun.Status.SUCCEEDED
    assert CalendarEvent.objects.count() == 1
