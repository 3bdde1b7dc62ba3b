from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calendar_sync import graph
from calendar_sync.models import CalendarConnection, CalendarEvent, EventAttendee, SyncRun
from calendar_sync.services import sync as sync_service
from calendar_sync.services.lifecycle import ACCESS_LOST_REASON
from calendar_sync.services.sync import SyncAlreadyRunning, sync_connection, sync_request
from calendar_sync.signals import events_changed
from ruby_site.models import AuditEntry
from tests.calendar_sync.connect_helpers import add_openid_configuration, give_token_cache, token_url
from tests.calendar_sync.graph_fakes import graph_event, person
from tests.factories import AccountFactory, ConnectionFactory, ContactFactory, EventFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(user):
    """The logged-in user's own connection (conftest's `connection` belongs to `owner`)."""
    return ConnectionFactory(user=user)


def run_sync(connection, **kwargs):
    return sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL, **kwargs)


def test_sync_stores_external_meeting_with_organizer_and_attendees(connection, fake_graph):
    fake_graph.events = [
        graph_event(
            id="ev-1",
            subject="Northwind discovery",
            attendees=[person("dana@northwind.example", "Dana"), person("morgan@ruby-demo.example", "Morgan")],
            join_url="https://teams.microsoft.com/l/meetup-join/abc",
        )
    ]

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    event = CalendarEvent.objects.get(connection=connection, provider_event_id="ev-1")
    assert event.subject == "Northwind discovery"
    assert event.owner == connection.user and event.workspace == connection.workspace
    assert event.join_url == "https://teams.microsoft.com/l/meetup-join/abc" and event.online_provider == "teams"
    rows = {(a.email, a.response, a.is_organizer, a.is_internal) for a in event.attendees.all()}
    assert rows == {
        ("sam@ruby-demo.example", "organizer", True, True),
        ("dana@northwind.example", "accepted", False, False),
        ("morgan@ruby-demo.example", "accepted", False, True),
    }


def test_all_internal_meeting_is_not_synced(connection, fake_graph):
    fake_graph.events = [graph_event(attendees=[person("morgan@ruby-demo.example")])]

    run = run_sync(connection)

    assert not CalendarEvent.objects.exists()
    assert run.skipped == 1 and run.skip_reasons == {"internal": 1}


def test_owner_own_domain_counts_as_internal(connection, fake_graph):
    connection.workspace.internal_domains = []
    connection.workspace.save()
    fake_graph.events = [graph_event(attendees=[person("morgan@ruby-demo.example")])]

    run_sync(connection)

    assert not CalendarEvent.objects.exists()


def test_event_without_other_attendees_is_internal(connection, fake_graph):
    fake_graph.events = [graph_event(subject="Focus time", attendees=[])]

    run = run_sync(connection)

    assert not CalendarEvent.objects.exists()
    assert run.skip_reasons == {"internal": 1}


def test_meeting_organized_by_a_customer_is_external(connection, fake_graph):
    fake_graph.events = [graph_event(organizer="ravi@fabrikam.example", attendees=[person("sam@ruby-demo.example")])]

    run_sync(connection)

    assert CalendarEvent.objects.count() == 1


@pytest.mark.parametrize("sensitivity", ["private", "confidential", "personal"])
def test_private_event_is_not_synced_by_default(connection, fake_graph, sensitivity):
    fake_graph.events = [graph_event(sensitivity=sensitivity)]

    run = run_sync(connection)

    assert not CalendarEvent.objects.exists()
    assert run.skip_reasons == {"private": 1}


def test_private_event_is_synced_with_sync_private(connection, fake_graph):
    connection.sync_private = True
    connection.save()
    fake_graph.events = [graph_event(sensitivity="private")]

    run_sync(connection)

    assert CalendarEvent.objects.get().sensitivity == "private"


def test_turning_sync_private_off_removes_private_events_at_next_sync(connection, fake_graph):
    connection.sync_private = True
    connection.save()
    fake_graph.events = [graph_event(id="private-1", sensitivity="private")]
    run_sync(connection)
    connection.sync_private = False
    connection.save()

    run = run_sync(connection)

    assert CalendarEvent.objects.get(provider_event_id="private-1").removed_at is not None
    assert run.removed == 1


def test_sync_only_online_keeps_only_events_with_a_join_link(connection, fake_graph):
    connection.sync_only_online = True
    connection.save()
    fake_graph.events = [
        graph_event(id="teams", join_url="https://teams.microsoft.com/l/meetup-join/1"),
        graph_event(id="zoom-in-location", location="https://acme.zoom.us/j/123456"),
        graph_event(id="in-person", location="Northwind HQ"),
    ]

    run = run_sync(connection)

    assert set(CalendarEvent.objects.values_list("provider_event_id", flat=True)) == {"teams", "zoom-in-location"}
    assert run.skip_reasons == {"not_online": 1}


def test_in_person_meetings_are_synced_when_sync_only_online_is_off(connection, fake_graph):
    fake_graph.events = [graph_event(location="Northwind HQ")]

    run_sync(connection)

    assert CalendarEvent.objects.count() == 1


def test_pagination_follows_every_page(connection, fake_graph, monkeypatch):
    monkeypatch.setattr(graph, "CALENDAR_PAGE_SIZE", 3)
    fake_graph.events = [graph_event(id=f"ev-{i}") for i in range(8)]

    run = run_sync(connection)

    assert run.pages == 3 and run.requests == 3 and run.fetched == 8
    assert CalendarEvent.objects.count() == 8


def test_resync_of_unchanged_data_writes_nothing(connection, fake_graph):
    fake_graph.events = [graph_event(id=f"ev-{i}") for i in range(3)]
    run_sync(connection)
    before = list(CalendarEvent.objects.values_list("id", "updated_at", "last_sync_run_id"))
    attendee_ids = set(EventAttendee.objects.values_list("id", flat=True))

    with CaptureQueriesContext(db_connection) as queries:
        run = run_sync(connection)

    assert (run.created, run.updated, run.unchanged, run.removed) == (0, 0, 3, 0)
    assert list(CalendarEvent.objects.values_list("id", "updated_at", "last_sync_run_id")) == before
    assert set(EventAttendee.objects.values_list("id", flat=True)) == attendee_ids
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        and any(t in q["sql"] for t in ('"calendar_sync_calendarevent"', '"calendar_sync_eventattendee"'))
    ]
    assert writes == []


def test_changed_event_is_updated_and_its_attendees_replaced(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1", subject="Old")]
    run_sync(connection)
    fake_graph.events = [
        graph_event(id="ev-1", subject="New", attendees=[person("kim@contoso.example", response="declined")])
    ]

    run = run_sync(connection)

    event = CalendarEvent.objects.get()
    assert run.updated == 1 and event.subject == "New"
    assert set(event.attendees.values_list("email", "response")) == {
        ("sam@ruby-demo.example", "organizer"),
        ("kim@contoso.example", "declined"),
    }


def test_event_deleted_in_outlook_is_marked_removed(connection, fake_graph):
    fake_graph.events = [graph_event(id="keep"), graph_event(id="deleted")]
    run_sync(connection)
    fake_graph.events = [graph_event(id="keep")]

    run = run_sync(connection)

    assert run.removed == 1
    assert CalendarEvent.objects.get(provider_event_id="deleted").removed_at is not None
    assert CalendarEvent.objects.get(provider_event_id="keep").removed_at is None


def test_removed_event_that_comes_back_is_restored(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1")]
    run_sync(connection)
    fake_graph.events = []
    run_sync(connection)
    fake_graph.events = [graph_event(id="ev-1")]

    run_sync(connection)

    assert CalendarEvent.objects.get().removed_at is None


def test_past_events_stay_when_they_leave_the_window(connection, fake_graph):
    past = EventFactory(
        connection=connection, starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3)
    )
    fake_graph.events = []

    run = run_sync(connection)

    past.refresh_from_db()
    assert past.removed_at is None and run.removed == 0


def test_discarded_event_stays_discarded_across_syncs(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1", subject="Before")]
    run_sync(connection)
    CalendarEvent.objects.update(state=CalendarEvent.State.DISCARDED, discarded_at=timezone.now())
    fake_graph.events = [graph_event(id="ev-1", subject="After")]

    run_sync(connection)

    event = CalendarEvent.objects.get()
    assert event.state == CalendarEvent.State.DISCARDED and event.subject == "After"


def test_malformed_event_is_skipped_while_the_others_are_stored(connection, fake_graph):
    broken = graph_event(id="broken")
    broken["start"] = {"dateTime": "not a time", "timeZone": "UTC"}
    fake_graph.events = [graph_event(id="good-1"), broken, graph_event(id="good-2")]

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert set(CalendarEvent.objects.values_list("provider_event_id", flat=True)) == {"good-1", "good-2"}
    assert run.skip_reasons == {"malformed": 1}


def test_429_with_retry_after_then_success(connection, fake_graph, slept):
    fake_graph.script = [(429, {"Retry-After": "7"})]
    fake_graph.events = [graph_event(id="ev-1")]

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert slept == [7.0] and run.requests == 2
    assert CalendarEvent.objects.count() == 1


def test_503_exhausted_fails_the_run_and_keeps_old_events(connection, fake_graph):
    fake_graph.events = [graph_event(id="old", subject="Old subject")]
    run_sync(connection)
    fake_graph.events = []
    fake_graph.script = [(503, {})] * graph.MAX_ATTEMPTS

    run = run_sync(connection)

    assert run.status == SyncRun.Status.FAILED
    assert "HTTP 503" in run.error and run.requests == graph.MAX_ATTEMPTS
    event = CalendarEvent.objects.get()
    assert event.removed_at is None and event.subject == "Old subject"
    connection.refresh_from_db()
    assert "HTTP 503" in connection.last_error


def test_401_refreshes_the_token_once_and_succeeds(connection, fake_graph, graph_token):
    fake_graph.script = [(401, {})]
    fake_graph.events = [graph_event(id="ev-1")]

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert fake_graph.tokens == ["token-1", "token-2"]
    assert len(graph_token()) == 1 and "grant_type=refresh_token" in graph_token()[0].request.body
    assert "rt-2" in CalendarConnection.objects.get(pk=connection.pk).token_cache


def test_second_401_fails_the_run_without_a_retry_storm(connection, fake_graph):
    fake_graph.script = [(401, {}), (401, {})]

    run = run_sync(connection)

    assert run.status == SyncRun.Status.FAILED
    assert len(fake_graph.calls) == 2


def test_401_after_a_refresh_marks_the_connection_not_connected_with_the_reason(connection, fake_graph):
    fake_graph.script = [(401, {}), (401, {})]

    run = run_sync(connection)

    reason = "Microsoft refused access to your calendar (401). Reconnect from Settings -> Integrations."
    assert run.error == reason
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED and connection.status_reason == reason


def test_403_marks_the_connection_not_connected_and_audits_it(connection, fake_graph):
    fake_graph.script = [(403, {})]

    run = run_sync(connection)

    reason = "Microsoft refused access to your calendar (403). Reconnect from Settings -> Integrations."
    assert run.status == SyncRun.Status.FAILED and run.error == reason
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED and connection.status_reason == reason
    assert connection.token_cache == ""
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_LOST, object_id=str(connection.pk)).count() == 1


def test_403_keeps_the_stored_events(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1")]
    run_sync(connection)
    fake_graph.script = [(403, {})]

    run_sync(connection)

    assert CalendarEvent.objects.get().removed_at is None


def test_after_a_403_the_scheduled_fanout_skips_the_connection(connection, fake_graph):
    connection.workspace.sync_interval_minutes = 15
    connection.workspace.save()
    fake_graph.script = [(403, {})]
    run_sync(connection, now=timezone.now() - timedelta(hours=1))
    SyncRun.objects.update(created_at=timezone.now() - timedelta(hours=1))

    assert sync_service.sync_schedule_fanout() == 0

    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.SCHEDULE).count() == 0


def test_a_transient_graph_error_keeps_the_connection_connected_and_due(connection, fake_graph):
    connection.workspace.sync_interval_minutes = 15
    connection.workspace.save()
    fake_graph.script = [(503, {})] * graph.MAX_ATTEMPTS
    run = run_sync(connection)
    SyncRun.objects.update(created_at=timezone.now() - timedelta(hours=1))

    assert run.status == SyncRun.Status.FAILED and run.error.startswith("Microsoft Graph is busy")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert sync_service.connections_due() == [connection]


def _expiring_token(connection):
    give_token_cache(connection, access_token="token-old", expires_in=60)


def test_refused_refresh_fails_the_run_with_the_access_lost_reason(connection, rsps, slept):
    _expiring_token(connection)
    add_openid_configuration(rsps)
    rsps.post(token_url(), status=400, json={"error": "invalid_grant", "error_description": "AADSTS50173: revoked"})

    run = run_sync(connection)

    assert run.status == SyncRun.Status.FAILED and run.error == ACCESS_LOST_REASON
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_LOST).count() == 1


def test_token_unavailable_fails_the_run_and_can_retry_later(connection, rsps, slept):
    _expiring_token(connection)
    add_openid_configuration(rsps)
    rsps.post(token_url(), status=500, body="oops")

    run = run_sync(connection)

    assert run.status == SyncRun.Status.FAILED
    assert run.error == "Microsoft sign-in could not be reached; try again later."
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_connection_that_is_not_connected_is_skipped_and_nothing_fetched(connection, fake_graph):
    connection.status = CalendarConnection.Status.NOT_CONNECTED
    connection.save()

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SKIPPED
    assert fake_graph.calls == []


def test_second_trigger_while_running_is_refused(connection, fake_graph):
    SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING, started_at=timezone.now())

    run = run_sync(connection)

    assert run.status == SyncRun.Status.SKIPPED and run.error == "A sync is already running."
    assert fake_graph.calls == []


def test_sync_request_refuses_while_a_run_is_queued(connection):
    SyncRunFactory(connection=connection, status=SyncRun.Status.QUEUED)

    with pytest.raises(SyncAlreadyRunning, match="A sync is already running"):
        sync_request(connection=connection)


def test_run_left_running_by_a_killed_worker_does_not_block_the_next_sync(connection, fake_graph):
    stale = SyncRunFactory(
        connection=connection, status=SyncRun.Status.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )

    run = run_sync(connection)

    stale.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and stale.status == SyncRun.Status.FAILED


def test_queued_run_is_executed_by_the_task(connection, fake_graph, django_capture_on_commit_callbacks):
    fake_graph.events = [graph_event(id="ev-1")]

    with django_capture_on_commit_callbacks(execute=True):
        queued = sync_request(connection=connection, requested_by=connection.user)

    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.SUCCEEDED and queued.created == 1
    assert SyncRun.objects.count() == 1


def test_task_for_a_run_that_already_ended_does_nothing(connection, fake_graph):
    done = SyncRunFactory(connection=connection, status=SyncRun.Status.SUCCEEDED)

    run = sync_connection(connection_id=connection.pk, trigger="manual", run_id=done.pk)

    assert run.pk == done.pk and fake_graph.calls == []


def test_run_records_counts_and_the_connection_last_synced_at(connection, fake_graph):
    fake_graph.events = [graph_event(id="ev-1"), graph_event(attendees=[])]

    run = run_sync(connection)

    assert (run.pages, run.requests, run.fetched, run.created, run.skipped) == (1, 1, 2, 1, 1)
    assert run.window_end - run.window_start == timedelta(days=7)
    connection.refresh_from_db()
    assert connection.last_synced_at == run.finished_at and connection.last_error == ""


def test_attendees_link_to_contacts_and_the_event_to_the_one_account(connection, fake_graph):
    northwind = AccountFactory(workspace=connection.workspace, domain="northwind.example")
    dana = ContactFactory(workspace=connection.workspace, email="dana@northwind.example", account=northwind)
    fake_graph.events = [graph_event(attendees=[person("dana@northwind.example"), person("lee@northwind.example")])]

    run_sync(connection)

    event = CalendarEvent.objects.get()
    assert event.account == northwind and event.deal is None
    assert event.attendees.get(email="dana@northwind.example").contact == dana


def test_meeting_with_two_accounts_leaves_the_account_empty(connection, fake_graph):
    AccountFactory(workspace=connection.workspace, domain="northwind.example")
    AccountFactory(workspace=connection.workspace, domain="contoso.example")
    fake_graph.events = [graph_event(attendees=[person("dana@northwind.example"), person("kim@contoso.example")])]

    run_sync(connection)

    assert CalendarEvent.objects.get().account is None


def test_events_changed_is_sent_for_new_and_changed_events_only(connection, fake_graph):
    sent = []

    def receiver(sender, workspace, event_ids, **kwargs):
        sent.append((workspace, sorted(event_ids)))

    events_changed.connect(receiver, dispatch_uid="test_sync_events_changed")
    try:
        fake_graph.events = [graph_event(id="ev-1")]
        run_sync(connection)
        run_sync(connection)
    finally:
        events_changed.disconnect(dispatch_uid="test_sync_events_changed")

    assert sent == [(connection.workspace, [CalendarEvent.objects.get().pk])]


def test_request_carries_the_utc_window_select_and_prefer_headers(connection, fake_graph):
    now = datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)

    run_sync(connection, now=now)

    request = fake_graph.calls[0]
    assert "startDateTime=2026-11-23T09%3A30%3A15Z" in request.url
    assert "endDateTime=2026-11-30T09%3A30%3A15Z" in request.url
    assert "%24select=id%2CiCalUId" in request.url and "body%2C" not in request.url
    assert 'outlook.timezone="UTC"' in request.headers["Prefer"]
    assert "odata.maxpagesize=1000" in request.headers["Prefer"]


@pytest.mark.parametrize("count", [10, 1000])
def test_sql_query_count_of_a_sync_does_not_grow_with_the_number_of_events(
    connection, fake_graph, django_assert_max_num_queries, count
):
    northwind = AccountFactory(workspace=connection.workspace, domain="northwind.example")
    ContactFactory(workspace=connection.workspace, email="dana@northwind.example", account=northwind)
    start = timezone.now() + timedelta(hours=2)
    fake_graph.events = [
        graph_event(
            id=f"ev-{i}",
            start=start + timedelta(minutes=i),
            attendees=[person("dana@northwind.example"), person(f"guest{i}@prospect{i}.example")],
        )
        for i in range(count)
    ]
    EventFactory(connection=connection, provider_event_id="ev-0", subject="stale copy", starts_at=start)

    # +2 on PostgreSQL: the run's session lock is taken and released (services/run_liveness.py).
    with django_assert_max_num_queries(24):
        run = run_sync(connection)

    assert run.created == count - 1 and run.updated == 1
    assert CalendarEvent.objects.filter(account=northwind).count() == count


def test_resync_query_count_does_not_grow_with_the_number_of_events(
    connection, fake_graph, django_assert_max_num_queries
):
    fake_graph.events = [graph_event(id=f"ev-{i}") for i in range(500)]
    run_sync(connection)
    fake_graph.events = fake_graph.events[:250]

    # +2 on PostgreSQL: the run's session lock is taken and released (services/run_liveness.py).
    with django_assert_max_num_queries(24):
        run = run_sync(connection)

    assert run.unchanged == 250 and run.removed == 250


def test_schedule_fanout_queues_only_connections_whose_interval_elapsed(user, member, workspace, monkeypatch):
    from tests.factories import ConnectionFactory

    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    workspace.sync_interval_minutes = 60
    workspace.save()
    now = timezone.now()
    due = ConnectionFactory(user=user, last_synced_at=now - timedelta(minutes=61))
    fresh = ConnectionFactory(user=member, last_synced_at=now - timedelta(minutes=30))

    assert sync_service.sync_schedule_fanout(now=now) == 1

    assert SyncRun.objects.filter(connection=due, trigger="schedule", status="queued").count() == 1
    assert not SyncRun.objects.filter(connection=fresh).exists()


def test_schedule_fanout_counts_a_recent_failed_run_as_the_last_attempt(connection):
    connection.workspace.sync_interval_minutes = 15
    connection.workspace.save()
    SyncRunFactory(
        connection=connection, status=SyncRun.Status.FAILED, created_at=timezone.now() - timedelta(minutes=5)
    )

    assert sync_service.connections_due() == []


def test_schedule_fanout_skips_manual_only_workspaces_and_disconnected_connections(connection, outsider):
    from tests.factories import ConnectionFactory

    connection.workspace.sync_interval_minutes = 0
    connection.workspace.save()
    ConnectionFactory(user=outsider, status=CalendarConnection.Status.NOT_CONNECTED)

    assert sync_service.connections_due() == []


def test_an_account_added_after_the_first_sync_links_at_the_next_sync(connection, fake_graph):
    fake_graph.events = [graph_event(attendees=[person("kim@contoso.example")])]
    run_sync(connection)
    contoso = AccountFactory(workspace=connection.workspace, domain="contoso.example")

    run = run_sync(connection)

    assert run.unchanged == 1 and CalendarEvent.objects.get().account == contoso
