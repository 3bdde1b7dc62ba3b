from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(user):
    """The logged-in user's own connection (conftest's `connection` belongs to `owner`)."""
    return ConnectionFactory(user=user)


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_sync_now_with_htmx_queues_a_run_and_answers_with_the_status_line(user_client, connection):
    response = user_client.post(reverse("sync_now", args=[connection.pk]), **HTMX)

    assert response.status_code == 200
    run = SyncRun.objects.get(connection=connection)
    assert run.status == SyncRun.Status.QUEUED and run.trigger == "manual"
    html = response.content.decode()
    assert "Sync started." in html and "Sync queued" in html
    assert 'hx-trigger="every 2s"' in html


def test_sync_now_runs_the_task_after_commit(user_client, connection, fake_graph, django_capture_on_commit_callbacks):
    fake_graph.events = [graph_event(id="ev-1")]

    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("sync_now", args=[connection.pk]), **HTMX)

    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    assert CalendarEvent.objects.filter(connection=connection).count() == 1


def test_sync_now_without_javascript_redirects_back(user_client, connection):
    response = user_client.post(reverse("sync_now", args=[connection.pk]), {"next": "/calendar/"})

    assert response.status_code == 302 and response["Location"] == "/calendar/"


def test_sync_now_ignores_an_offsite_next(user_client, connection):
    response = user_client.post(reverse("sync_now", args=[connection.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("settings_integrations")


def test_second_sync_now_says_a_sync_is_already_running(user_client, connection):
    SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING, started_at=timezone.now())

    response = user_client.post(reverse("sync_now", args=[connection.pk]), **HTMX)

    assert "A sync is already running." in response.content.decode()
    assert SyncRun.objects.count() == 1


def test_sync_now_on_a_disconnected_connection_says_so(user_client, connection):
    connection.status = CalendarConnection.Status.NOT_CONNECTED
    connection.save()

    response = user_client.post(reverse("sync_now", args=[connection.pk]), follow=True)

    assert "Outlook Calendar is not connected." in response.content.decode()
    assert not SyncRun.objects.exists()


def test_sync_now_of_another_workspace_is_404(outsider_client, connection):
    response = outsider_client.post(reverse("sync_now", args=[connection.pk]))

    assert response.status_code == 404
    assert not SyncRun.objects.exists()


def test_sync_now_of_a_colleagues_connection_is_404(member_client, connection):
    assert member_client.post(reverse("sync_now", args=[connection.pk])).status_code == 404


@pytest.mark.parametrize("name", ["sync_now", "sync_options"])
def test_get_on_post_views_is_405(user_client, connection, name):
    assert user_client.get(reverse(name, args=[connection.pk])).status_code == 405


def test_post_on_the_status_endpoint_is_405(user_client, connection):
    assert user_client.post(reverse("sync_status", args=[connection.pk])).status_code == 405


def test_status_shows_last_synced_with_the_event_count_and_stops_polling(user_client, connection):
    SyncRunFactory(connection=connection, created=3, updated=1, unchanged=2, finished_at=timezone.now())

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert "Last synced" in html and "(6 events)" in html
    assert "hx-trigger" not in html


def test_status_polls_while_a_run_is_running(user_client, connection):
    SyncRunFactory(connection=connection, status=SyncRun.Status.RUNNING, started_at=timezone.now())

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert 'hx-trigger="every 2s"' in html and "Syncing your Outlook calendar" in html
    assert "disabled" in html


def test_status_shows_the_latest_failure_in_plain_words(user_client, connection):
    SyncRunFactory(connection=connection, finished_at=timezone.now(), created=2)
    SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED, error="Microsoft Graph is busy.")

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert "(2 events)" in html and "Latest sync failed" in html and "Microsoft Graph is busy." in html


def test_status_hides_a_failure_from_before_the_user_reconnected(user_client, connection):
    failed_at = timezone.now() - timedelta(minutes=5)
    SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED, error="Access lost.", finished_at=failed_at)
    connection.connected_at = timezone.now()
    connection.save(update_fields=["connected_at"])

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert "Latest sync failed" not in html and "Access lost." not in html


def test_status_of_another_workspace_is_404(outsider_client, connection):
    assert outsider_client.get(reverse("sync_status", args=[connection.pk])).status_code == 404


def test_sync_options_are_off_by_default_and_saved(user_client, connection):
    assert not connection.sync_private and not connection.sync_only_online

    response = user_client.post(reverse("sync_options", args=[connection.pk]), {"sync_private": "on"}, **HTMX)

    connection.refresh_from_db()
    assert connection.sync_private and not connection.sync_only_online
    assert "apply at the next sync" in response.content.decode()


def test_unchecking_a_sync_option_turns_it_off(user_client, connection):
    connection.sync_only_online = True
    connection.save()

    response = user_client.post(reverse("sync_options", args=[connection.pk]), {"next": "/calendar/"})

    connection.refresh_from_db()
    assert not connection.sync_only_online and response["Location"] == "/calendar/"


def test_sync_options_of_another_workspace_is_404(outsider_client, connection):
    response = outsider_client.post(reverse("sync_options", args=[connection.pk]), {"sync_private": "on"})

    connection.refresh_from_db()
    assert response.status_code == 404 and not connection.sync_private


def test_status_include_renders_with_only_the_connection_in_context(user):
    connection = ConnectionFactory(user=user, sync_private=True)
    request = RequestFactory().get("/settings/integrations/")
    request.user = user

    html = Template('{% include "calendar_sync/_sync_status.html" %}').render(
        Context({"connection": connection, "request": request})
    )

    assert "Not synced yet." in html and "Sync now" in html
    assert "Sync private appointments" in html and "Sync only online meetings" in html
    assert 'name="sync_private" checked' in html and 'name="sync_only_online" checked' not in html


def test_a_sync_that_just_finished_reads_just_now(user_client, connection):
    SyncRunFactory(connection=connection, created=1, finished_at=timezone.now())

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert "Last synced" in html and "just now" in html and "0 minutes" not in html


def test_the_options_form_works_without_javascript_under_csrf_checks(user, connection):
    import re

    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = client.get(reverse("sync_status", args=[connection.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    response = client.post(
        reverse("sync_options", args=[connection.pk]), {"csrfmiddlewaretoken": token, "sync_only_online": "on"}
    )

    connection.refresh_from_db()
    assert response.status_code == 302 and connection.sync_only_online


def test_status_finds_the_last_good_run_behind_many_failures(user_client, connection):
    SyncRunFactory(connection=connection, created=4, finished_at=timezone.now())
    for _ in range(12):
        SyncRunFactory(connection=connection, status=SyncRun.Status.FAILED, error="Busy.")

    html = user_client.get(reverse("sync_status", args=[connection.pk])).content.decode()

    assert "(4 events)" in html and "Busy." in html
