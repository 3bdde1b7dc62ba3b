"""Status in one place (issue 14): the card says its state once with one action; the calendar header shows a
connection problem with Reconnect instead of "Last synced … ago"."""

import pytest
from django.utils import timezone

from calendar_sync.models import CalendarConnection
from tests.factories import ConnectionFactory, SyncRunFactory

pytestmark = pytest.mark.django_db
REVOKED = "Microsoft no longer accepts Ruby's access (the consent was revoked). Reconnect to restore."


@pytest.fixture
def revoked(user):
    connection = ConnectionFactory(user=user, status=CalendarConnection.Status.NOT_CONNECTED, status_reason=REVOKED)
    SyncRunFactory(connection=connection, finished_at=timezone.now())
    return connection


def test_calendar_header_shows_the_problem_and_reconnect(user_client, revoked):
    body = user_client.get("/calendar/").content.decode()

    assert "<strong>Outlook Calendar is not connected.</strong> " + REVOKED.replace("'", "&#x27;") in body
    assert '<button type="submit">Reconnect</button>' in body
    assert "Last synced" not in body


def test_calendar_header_shows_the_last_sync_when_connected(user_client, user):
    connection = ConnectionFactory(user=user)
    SyncRunFactory(connection=connection, finished_at=timezone.now())

    body = user_client.get("/calendar/").content.decode()

    assert "Last synced" in body and "is not connected" not in body


def test_calendar_header_says_a_disabled_connection_once(user_client, user):
    ConnectionFactory(
        user=user,
        status=CalendarConnection.Status.DISABLED,
        status_reason="Disabled by Ruby support: Requested by IT. Contact support@heyruby.io.",
    )

    body = user_client.get("/calendar/").content.decode()

    assert body.count("Disabled by Ruby support") == 0
    assert "was disabled by Ruby support.</strong> Requested by IT. Contact support@heyruby.io." in body


def test_revoked_card_says_not_connected_once_with_one_action(user_client, revoked):
    body = user_client.get("/settings/integrations/").content.decode()
    card = body.split('id="outlook-card"')[1].split("</article>")[0]

    assert card.count("Not connected") == 1
    assert card.count("<button") == 1 and ">Reconnect</button>" in card
    assert "Last synced" not in card


def test_disabled_card_says_disabled_once(user_client, user):
    ConnectionFactory(
        user=user,
        status=CalendarConnection.Status.DISABLED,
        status_reason="Disabled by Ruby support: Requested by IT. Contact support@heyruby.io.",
    )

    body = user_client.get("/settings/integrations/").content.decode()
    card = body.split('id="outlook-card"')[1].split("</article>")[0]

    assert card.count("Disabled by Ruby support") == 1
    assert "Requested by IT. Contact support@heyruby.io." in card


def test_connected_card_offers_sync_now_and_no_reconnect(user_client, user):
    ConnectionFactory(user=user)

    body = user_client.get("/settings/integrations/").content.decode()
    card = body.split('id="outlook-card"')[1].split("</article>")[0]

    assert "Sync now" in card and "Reconnect" not in card
