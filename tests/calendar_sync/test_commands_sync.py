from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from tests.calendar_sync.connect_helpers import give_token_cache
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(user):
    """The logged-in user's own connection (conftest's `connection` belongs to `owner`)."""
    return ConnectionFactory(user=user)


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sync_calendars_prints_a_line_per_connection_and_a_summary(connection, member, fake_graph):
    ConnectionFactory(user=member, status=CalendarConnection.Status.NOT_CONNECTED, status_reason="Access expired.")
    fake_graph.events = [graph_event(id="ev-1")]

    output = run("sync_calendars")

    assert "sam@ruby-demo.example (acme): synced in" in output and "1 new" in output
    assert "mia@ruby-demo.example (acme): skipped — Access expired." in output
    assert "2 connection(s): 1 synced, 1 skipped, 0 failed." in output
    assert SyncRun.objects.filter(trigger="command").count() == 2
    assert CalendarEvent.objects.count() == 1


def test_sync_calendars_for_one_user(connection, member, fake_graph):
    ConnectionFactory(user=member)

    output = run("sync_calendars", "--user", "SAM@ruby-demo.example")

    assert "1 connection(s)" in output and "mia@" not in output


def test_sync_calendars_for_one_workspace(connection, outsider, fake_graph):
    give_token_cache(ConnectionFactory(user=outsider))

    output = run("sync_calendars", "--workspace", "other")

    assert "eve@other.example" in output and "sam@" not in output


def test_sync_calendars_with_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No user with the email address 'nobody@x.example'"):
        run("sync_calendars", "--user", "nobody@x.example")


def test_sync_calendars_with_an_unknown_workspace_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No workspace with the slug 'nope'"):
        run("sync_calendars", "--workspace", "nope")


def test_sync_calendars_for_a_user_without_a_connection_says_so(user):
    with pytest.raises(CommandError, match="No Outlook Calendar connection matches"):
        run("sync_calendars", "--user", user.email)


def test_sync_calendars_fails_loudly_when_a_sync_fails(connection, fake_graph):
    fake_graph.script = [(503, {})] * 4

    with pytest.raises(CommandError, match="1 failed"):
        run("sync_calendars")


def test_setup_schedules_is_idempotent(db):
    run("setup_schedules")
    run("setup_schedules")

    assert sorted(Schedule.objects.values_list("func", flat=True)) == [
        "calendar_sync.tasks.retention_task",
        "calendar_sync.tasks.schedule_fanout",
        "calendar_sync.tasks.subscriptions_renew_task",
        "transcripts.tasks.sources_due",
        "transcripts.tasks.teams_fetch_fanout",
    ]
    schedule = Schedule.objects.get(func="calendar_sync.tasks.schedule_fanout")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1 and schedule.repeats == -1


def test_setup_schedules_repairs_a_changed_schedule(db):
    run("setup_schedules")
    Schedule.objects.filter(func="calendar_sync.tasks.schedule_fanout").update(minutes=30)

    run("setup_schedules")

    assert Schedule.objects.get(func="calendar_sync.tasks.schedule_fanout").minutes == 1


def test_the_scheduled_task_queues_due_connections(connection, monkeypatch):
    from calendar_sync import tasks

    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: None)

    assert tasks.schedule_fanout() == 1
    assert SyncRun.objects.get().trigger == "schedule"
