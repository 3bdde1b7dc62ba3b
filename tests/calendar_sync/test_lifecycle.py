"""Connection lifecycle: a Ruby user's purge, support's disable / re-enable (calendar_sync.services.lifecycle).
Microsoft is faked at its HTTP boundary (Graph's subscription DELETE); the connection holds a real MSAL cache."""

import pytest
import responses

from calendar_sync.models import CalendarConnection, CalendarEvent
from calendar_sync.services.erasure import PrivacyError
from calendar_sync.services.lifecycle import connection_disable, connection_reenable, user_calendar_purge
from ruby_site.models import AuditEntry
from tests.calendar_sync.privacy_data import (
    ACCESS_TOKEN,
    GRAPH,
    REFRESH_TOKEN,
    connected_calendar,
    find_everywhere,
    subscription_graph,
)
from tests.factories import EventFactory, TranscriptFactory
from transcripts.models import Transcript

# The user's account itself (login, allauth address) is not calendar data and stays.
ACCOUNT_TABLES = {"ruby_site.User", "account.EmailAddress", "socialaccount.SocialAccount"}


@pytest.fixture
def graph():
    with subscription_graph("sub-123") as rsps:
        yield rsps


# --- purge of a Ruby user ------------------------------------------------------------------------


def test_purge_of_user_removes_every_row_holding_their_calendar_data(user, member, graph):
    connection, events, transcript = connected_calendar(user)
    kept_connection, kept_events, _ = connected_calendar(
        member, subscription_id="", prefix="Orbit", token_cache='{"RefreshToken": "another-users-token"}'
    )
    needles = [user.email, REFRESH_TOKEN, ACCESS_TOKEN, "client-state-secret", "$deltatoken=abc"]
    for event in events:
        needles += [event.subject, event.location, event.body_preview, event.provider_event_id, event.ical_uid]
        needles += [a.email for a in event.attendees.all()] + [a.name for a in event.attendees.all()]
    assert find_everywhere(needles, skip=ACCOUNT_TABLES)  # the walk does see them before

    counts = user_calendar_purge(user=user)

    assert find_everywhere(needles, skip=ACCOUNT_TABLES) == []
    assert counts == {
        "connections": 1,
        "subscription_removed": 1,
        "events": 3,
        "attendees": 3,
        "activities": 3,
        "transcripts_detached": 1,
        "sync_runs": 1,
        "token_caches": 1,
    }
    assert CalendarEvent.objects.filter(connection=kept_connection).count() == len(kept_events)
    transcript.refresh_from_db()
    assert transcript.event_id is None and transcript.match_detail == {}


def test_purge_of_user_removes_the_subscription_at_microsoft_with_their_token(user, graph):
    connected_calendar(user)
    user_calendar_purge(user=user)
    assert [(c.request.method, c.request.url) for c in graph.calls] == [
        ("DELETE", f"{GRAPH}/v1.0/subscriptions/sub-123")
    ]
    assert graph.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_purge_of_user_stops_their_connection(user, graph):
    connection, _, _ = connected_calendar(user)
    user_calendar_purge(user=user)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert connection.token_cache == ""
    assert connection.status_reason.startswith("Your synced calendar data was deleted on ")
    assert connection.status_reason.endswith(". Connect again to resume syncing.")


def test_purge_twice_is_harmless(user, graph):
    connected_calendar(user)
    user_calendar_purge(user=user)
    again = user_calendar_purge(user=user)
    assert again["events"] == 0 and again["sync_runs"] == 0 and again["token_caches"] == 0
    assert CalendarConnection.objects.filter(user=user).count() == 1


def test_purge_detaches_ambiguous_candidates_pointing_at_purged_events(user, graph):
    _, events, _ = connected_calendar(user)
    other = EventFactory()
    ambiguous = TranscriptFactory(
        workspace=user.membership.workspace,
        match_status="ambiguous",
        match_candidates=[{"event_id": events[1].pk, "subject": events[1].subject}, {"event_id": other.pk}],
    )
    user_calendar_purge(user=user)
    ambiguous.refresh_from_db()
    assert ambiguous.match_candidates == [{"event_id": other.pk}]
    assert ambiguous.match_status == Transcript.MatchStatus.UNMATCHED


# --- support disable / re-enable --------------------------------------------------------------


def test_disable_requires_a_reason(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    with pytest.raises(PrivacyError, match="^A reason is required to disable a connection.$"):
        connection_disable(connection=connection, by=user, reason="   ")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_disable_sets_reason_the_user_sees_and_audits(user, graph):
    connection, _, _ = connected_calendar(user)
    connection_disable(connection=connection, by=user, reason="Requested by the customer's IT team")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.DISABLED
    assert connection.status_reason == (
        "Disabled by Ruby support: Requested by the customer's IT team. Contact support@heyruby.io."
    )
    assert connection.subscription_id == "" and connection.delta_link == ""
    assert connection.token_cache  # kept so re-enable can resume
    assert len(graph.calls) == 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE)
    assert entry.reason == "Requested by the customer's IT team"


def test_disable_records_a_failed_subscription_removal(user):
    connection, _, _ = connected_calendar(user)
    with subscription_graph("sub-123", status=400):
        connection_disable(connection=connection, by=user, reason="check")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.DISABLED
    assert connection.last_error.startswith("The Microsoft subscription could not be removed: ")


def test_reenable_with_tokens_reconnects(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="check")
    assert connection_reenable(connection=connection, by=user) is True
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED and connection.status_reason == ""
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REENABLE).count() == 1


def test_reenable_without_tokens_asks_to_reconnect(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="check")
    CalendarConnection.objects.filter(pk=connection.pk).update(token_cache="")
    connection.refresh_from_db()
    connection_reenable(connection=connection, by=user)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert connection.status_reason == ("Re-enabled by Ruby support. Connect Outlook Calendar again to resume syncing.")


def test_reenable_of_connected_connection_changes_nothing(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    assert connection_reenable(connection=connection, by=user) is False
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REENABLE).exists()


def test_disabled_connection_reason_names_support_address(user):
    # The card (connection work) shows status_reason for a disabled connection; this is what it says.
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="Paused at the customer's request")
    connection.refresh_from_db()
    assert "support@heyruby.io" in connection.status_reason


def test_no_request_to_microsoft_without_a_subscription(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    with responses.RequestsMock() as rsps:
        connection_disable(connection=connection, by=user, reason="check")
    assert len(rsps.calls) == 0
