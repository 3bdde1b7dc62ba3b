"""Issue 16: a connection whose token cache no key can read is marked "needs attention" alone."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db_connection

from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.services.sync import TOKENS_UNREADABLE, sync_schedule_fanout
from tests.calendar_sync.graph_fakes import graph_event
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_undecryptable_connection_is_marked_needs_attention_alone(
    connection, fake_graph, django_capture_on_commit_callbacks
):
    fake_graph.events = [graph_event(id="ev-1")]
    workspace = connection.workspace
    workspace.sync_interval_minutes = 15
    workspace.save()
    bad = ConnectionFactory(user=UserFactory(workspace=workspace))
    with db_connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "calendar_sync_calendarconnection" SET token_cache = %s WHERE id = %s',
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode(), bad.pk],
        )

    with django_capture_on_commit_callbacks(execute=True):
        queued = sync_schedule_fanout()

    assert queued == 2
    bad_state = CalendarConnection.objects.defer("token_cache").get(pk=bad.pk)
    assert (bad_state.status, bad_state.status_reason) == ("not_connected", TOKENS_UNREADABLE)
    assert SyncRun.objects.get(connection=bad).error == TOKENS_UNREADABLE
    assert CalendarConnection.objects.defer("token_cache").get(pk=connection.pk).status == "connected"
    assert SyncRun.objects.get(connection=connection).status == SyncRun.Status.SUCCEEDED
