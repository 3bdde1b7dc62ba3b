"""The daily retention close-out (calendar_sync.services.retention through its django-q2 task)."""

import datetime as dt
import logging

import responses
from django.utils import timezone
from django.utils.module_loading import import_string

from calendar_sync import tasks
from calendar_sync.models import CalendarConnection, CalendarEvent
from calendar_sync.services.deletion_requests import deletion_request_open
from tests.calendar_sync.privacy_data import connected_calendar, subscription_graph


def test_retention_clears_sync_state_of_not_connected_and_disabled(user, member):
    gone, _, _ = connected_calendar(user)
    CalendarConnection.objects.filter(pk=gone.pk).update(status="not_connected")
    disabled, _, _ = connected_calendar(member, subscription_id="sub-9", prefix="Orbit")
    CalendarConnection.objects.filter(pk=disabled.pk).update(status="disabled")

    with subscription_graph("sub-9", status=404) as graph:
        counts = tasks.retention_task()

    gone.refresh_from_db()
    disabled.refresh_from_db()
    for conn in (gone, disabled):
        assert (conn.delta_link, conn.subscription_id, conn.subscription_client_state) == ("", "", "")
    assert gone.token_cache == ""  # Microsoft no longer accepts it
    assert disabled.token_cache  # kept for re-enable
    # Neither has a token Ruby may use, so nothing is asked of Microsoft; the subscriptions expire.
    assert len(graph.calls) == 0
    assert counts == {
        "sync_state_cleared": 2,
        "token_caches_deleted": 1,
        "subscriptions_removed": 0,
        "overdue_requests": 0,
    }
    assert CalendarEvent.objects.count() == 6  # history is kept


def test_retention_leaves_connected_connections_alone(user):
    connection, _, _ = connected_calendar(user)
    with responses.RequestsMock():
        tasks.retention_task()
    connection.refresh_from_db()
    assert connection.subscription_id == "sub-123" and connection.delta_link and connection.token_cache


def test_retention_logs_overdue_requests_without_personal_data(user, caplog):
    caplog.set_level(logging.WARNING)
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=45),
    )
    counts = tasks.retention_task()
    assert counts["overdue_requests"] == 1
    assert f"#{late.pk}" in caplog.text and "a@x.example" not in caplog.text


def test_privacy_schedules_name_the_retention_task():
    specs = tasks.privacy_schedules()
    assert [s["name"] for s in specs] == ["calendar_sync.retention"]
    assert import_string(specs[0]["func"]) is tasks.retention_task
