"""Issue 16: one bad event never costs the others; a run's counts are what was stored."""

import pytest

from calendar_sync.models import CalendarEvent, SyncRun
from calendar_sync.normalize import EARLIEST, LATEST, normalize_event
from calendar_sync.services import sync_store
from calendar_sync.services.sync import sync_connection
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)


def run_sync(connection):
    return sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)


def test_nul_and_lone_surrogate_in_texts_are_removed_and_the_event_stored(connection, fake_graph):
    fake_graph.events = [
        graph_event(id="nul", subject="Dana\u0000 intro", preview="Hi\u0000 Dana", location="Room\u00001"),
        graph_event(id="surrogate", subject="Pricing \ud800call"),
        graph_event(id="good", subject="Plain call"),
    ]
    run = run_sync(connection)
    assert (run.status, run.created, run.skipped) == (SyncRun.Status.SUCCEEDED, 3, 0)
    stored = dict(CalendarEvent.objects.values_list("provider_event_id", "subject"))
    assert stored == {"nul": "Dana intro", "surrogate": "Pricing call", "good": "Plain call"}
    nul = CalendarEvent.objects.get(provider_event_id="nul")
    assert (nul.body_preview, nul.location) == ("Hi Dana", "Room1")


def test_end_of_time_in_pacific_and_start_of_time_in_tokyo_are_clamped_per_event(connection, fake_graph):
    endless = graph_event(id="endless")
    endless["end"] = {"dateTime": "9999-12-31T23:59:59", "timeZone": "Pacific Standard Time"}
    ancient = graph_event(id="ancient")
    ancient["start"] = {"dateTime": "0001-01-01T00:00:00", "timeZone": "Tokyo Standard Time"}
    fake_graph.events = [endless, ancient, graph_event(id="good")]
    run = run_sync(connection)
    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 3)
    assert CalendarEvent.objects.get(provider_event_id="endless").ends_at == LATEST
    assert CalendarEvent.objects.get(provider_event_id="ancient").starts_at == EARLIEST


def test_malformed_event_is_skipped_with_its_reason_and_counted(connection, fake_graph, caplog):
    broken = graph_event(id="broken")
    broken["start"] = {"dateTime": "not a time", "timeZone": "UTC"}
    fake_graph.events = [broken, graph_event(id="good")]
    run = run_sync(connection)
    assert (run.status, run.created, run.skipped, run.skip_reasons) == (
        SyncRun.Status.SUCCEEDED,
        1,
        1,
        {"malformed": 1},
    )
    assert "skipped a malformed event id=broken: unreadable start time" in caplog.text
    assert list(CalendarEvent.objects.values_list("provider_event_id", flat=True)) == ["good"]


def test_impossible_value_anywhere_is_a_malformed_event_not_a_crash():
    event = graph_event(id="odd")
    event["end"] = {"dateTime": "2026-01-01T00:00:00", "timeZone": ["not", "a", "zone"]}
    with pytest.raises(ValueError, match="unknown time zone for the end time"):
        normalize_event(event)


def test_a_failed_write_reports_nothing_created(connection, fake_graph, monkeypatch):
    fake_graph.events = [graph_event(id=f"ev-{n}") for n in range(4)]

    def failing_insert(rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sync_store, "_insert_attendees", failing_insert)
    with pytest.raises(RuntimeError):
        run_sync(connection)
    run = SyncRun.objects.get()
    assert (run.status, run.created, run.updated) == (SyncRun.Status.FAILED, 0, 0)
    assert not CalendarEvent.objects.exists()
