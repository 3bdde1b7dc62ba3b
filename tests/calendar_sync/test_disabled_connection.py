"""A connection disabled by Ruby support is never fetched — by the schedule, "Sync now" or the command —
and its owner sees why. Driven through the public entry points (task, view, management command)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from calendar_sync import tasks
from calendar_sync.models import SyncRun
from calendar_sync.services.privacy import connection_disable
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Unusual sync volume under investigation"


@pytest.fixture
def disabled(user, workspace):
    workspace.sync_interval_minutes = 15
    workspace.save(update_fields=["sync_interval_minutes"])
    support = UserFactory(email="sasha@ruby-support.example", is_staff=True)
    connection = ConnectionFactory(user=user, token_cache="{}")
    return connection_disable(connection=connection, by=support, reason=REASON)


@pytest.fixture
def no_graph(rsps, monkeypatch):
    """Any call to Microsoft (token or Graph) fails the test."""
    from calendar_sync.services import tokens

    def refuse(*args, **kwargs):
        raise AssertionError("a disabled connection must not ask Microsoft for a token")

    monkeypatch.setattr(tokens, "access_token_for", refuse)
    yield rsps
    assert len(rsps.calls) == 0


def test_schedule_fanout_skips_a_disabled_connection(disabled, member, no_graph, django_capture_on_commit_callbacks):
    colleague = ConnectionFactory(user=member)

    with django_capture_on_commit_callbacks() as callbacks:
        queued = tasks.schedule_fanout()

    assert queued == 1
    assert len(callbacks) == 1
    assert not SyncRun.objects.filter(connection=disabled).exists()
    assert SyncRun.objects.filter(connection=colleague, trigger=SyncRun.Trigger.SCHEDULE).count() == 1


def test_sync_now_on_a_disabled_connection_says_why_and_queues_nothing(user_client, disabled, no_graph):
    response = user_client.post(f"/calendar/connections/{disabled.pk}/sync/", follow=True)

    assert response.status_code == 200
    notices = [str(m) for m in response.context["messages"]]
    assert any("Disabled by Ruby support" in n and REASON in n for n in notices), notices
    assert not SyncRun.objects.filter(connection=disabled).exists()


def test_sync_now_by_htmx_on_a_disabled_connection_says_why(user_client, disabled, no_graph):
    response = user_client.post(f"/calendar/connections/{disabled.pk}/sync/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert REASON in response.content.decode()
    assert not SyncRun.objects.filter(connection=disabled).exists()


def test_sync_calendars_command_skips_a_disabled_connection_and_says_why(user, disabled, no_graph):
    out = StringIO()

    call_command("sync_calendars", "--user", user.email, stdout=out)

    assert "skipped" in out.getvalue() and REASON in out.getvalue()
    run = SyncRun.objects.get(connection=disabled)
    assert run.status == SyncRun.Status.SKIPPED and REASON in run.error


def test_queued_sync_of_a_connection_disabled_meanwhile_fetches_nothing(user, disabled, no_graph):
    # A run queued just before support disabled the connection: the worker must still not fetch.
    run = SyncRun.objects.create(connection=disabled, trigger=SyncRun.Trigger.SCHEDULE, status=SyncRun.Status.QUEUED)

    tasks.sync_connection_task(disabled.pk, SyncRun.Trigger.SCHEDULE, run.pk)

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SKIPPED and REASON in run.error


def test_owner_sees_on_the_card_why_the_connection_is_disabled(user_client, disabled):
    page = user_client.get("/settings/integrations/").content.decode()

    assert "Disabled by Ruby support" in page and REASON in page
    assert "support@" in page
    assert f'/calendar/connections/{disabled.pk}/sync/"' not in page  # no Sync now button while disabled


def test_command_for_a_workspace_with_only_a_disabled_connection_does_not_fail(user, workspace, disabled, no_graph):
    out = StringIO()
    try:
        call_command("sync_calendars", "--workspace", workspace.slug, stdout=out)
    except CommandError as exc:  # pragma: no cover - the assertion below explains
        pytest.fail(f"a skipped connection is not a failure: {exc}")
    assert "1 skipped" in out.getvalue()
