"""Connect Teams transcripts (the extra, optional consent), and fetching an ended Teams meeting's transcript by its
join URL, matched exactly to that event. Microsoft is mocked with `responses` (bodies as in
tests/transcripts/sources/test_teams_graph.py, from Microsoft's Graph docs)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import msal
import pytest
import responses
from django.conf import settings
from django.db import connection as connection_db
from django.test import Client
from django.utils import timezone

from calendar_sync import auth, graph
from calendar_sync.models import CalendarConnection, EventActivity
from ruby_site.models import AuditEntry
from tests.calendar_sync.connect_helpers import (
    OBJECT_ID,
    TENANT_ID,
    add_openid_configuration,
    query_of,
    token_body,
    token_url,
)
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory, UserFactory
from tests.transcripts.sources.test_teams_graph import MEETING, TRANSCRIPTS, VTT
from transcripts.matching import explain
from transcripts.models import TeamsMeetingCheck, TeamsTranscriptGrant, Transcript
from transcripts.services.matching import transcripts_match
from transcripts.services.teams import teams_transcripts_fetch
from transcripts.sources import teams

CONNECT = "/settings/integrations/teams/connect/"
CALLBACK = "/settings/integrations/teams/callback/"
DISCONNECT = "/settings/integrations/teams/disconnect/"
FETCH = "/settings/integrations/teams/fetch/"
INTEGRATIONS = "/settings/integrations/"
PERSONAL = "9188040d-6c67-4c5b-b112-36a304b66dad"
JOIN_URL = MEETING["joinWebUrl"]
MEETING_ID = MEETING["id"]
GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(graph, "sleep", lambda seconds: None)


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user, tenant_id=TENANT_ID, object_id=OBJECT_ID, email=user.email)


def _teams_cache(access_token: str = "at-teams") -> str:
    cache = msal.SerializableTokenCache()
    cache.add(
        {
            "client_id": settings.MICROSOFT_CLIENT_ID,
            "scope": list(teams.SCOPES),
            "token_endpoint": token_url(),
            "environment": urlsplit(settings.MICROSOFT_LOGIN_URL).netloc,
            "response": {**token_body(access_token=access_token), "scope": " ".join(teams.SCOPES)},
            "params": {},
            "data": {},
        }
    )
    return cache.serialize()


@pytest.fixture
def grant(user, workspace, connection):
    return TeamsTranscriptGrant.objects.create(
        user=user, workspace=workspace, tenant_id=TENANT_ID, object_id=OBJECT_ID, token_cache=_teams_cache()
    )


@pytest.fixture
def ended_meeting(connection):
    end = timezone.now() - timedelta(hours=1)
    event = EventFactory(
        connection=connection,
        subject="Northwind — pilot recap",
        starts_at=end - timedelta(minutes=30),
        ends_at=end,
        online_provider="teams",
        is_online=True,
        join_url=JOIN_URL,
    )
    AttendeeFactory(event=event, email="dana@northwind.example", name="Dana Whitfield")
    return event


def _graph_answers(rsps, *, transcripts=None):
    add_openid_configuration(rsps)
    rsps.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"value": [MEETING]})
    listed = {"value": [TRANSCRIPTS["value"][0]]} if transcripts is None else transcripts
    rsps.get(f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts", json=listed)
    rsps.get(
        f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts/{TRANSCRIPTS['value'][0]['id']}/content",
        body=VTT,
        content_type="text/vtt",
    )


def _start(client, rsps) -> dict:
    add_openid_configuration(rsps)
    response = client.post(CONNECT)
    assert response.status_code == 302, response.content
    return query_of(response.url)


# --- the consent ---------------------------------------------------------------------------------


def test_connect_asks_microsoft_for_exactly_the_extra_teams_scopes(user_client, connection, rsps):
    query = _start(user_client, rsps)

    assert set(query["scope"].split()) == {
        "OnlineMeetings.Read",
        "OnlineMeetingTranscript.Read.All",
        "openid",
        "profile",
        "offline_access",
    }
    assert query["redirect_uri"] == "http://testserver/settings/integrations/teams/callback/"
    assert query["login_hint"] == "sam@ruby-demo.example" and query["code_challenge_method"] == "S256"


def test_the_calendar_connection_still_asks_exactly_calendars_read_and_user_read(user_client, rsps):
    add_openid_configuration(rsps)
    query = query_of(user_client.post("/settings/integrations/outlook/connect/").url)

    assert set(query["scope"].split()) == {
        "Calendars.Read",
        "User.Read",
        "email",
        "openid",
        "profile",
        "offline_access",
    }


def test_the_callback_stores_the_grant_encrypted_and_apart_from_the_calendar_cache(user_client, user, connection, rsps):
    query = _start(user_client, rsps)
    rsps.post(
        token_url(),
        json={
            **token_body(nonce=query["nonce"], access_token="at-t", refresh_token="rt-teams"),
            "scope": "OnlineMeetings.Read OnlineMeetingTranscript.Read.All",
        },
    )

    response = user_client.get(CALLBACK, {"code": "c1", "state": query["state"]}, follow=True)

    grant = TeamsTranscriptGrant.objects.get(user=user)
    assert grant.status == TeamsTranscriptGrant.Status.CONNECTED
    assert (grant.tenant_id, grant.object_id) == (TENANT_ID, OBJECT_ID)
    assert "rt-teams" in grant.token_cache and "rt-teams" not in (connection.token_cache or "")
    with connection_db.cursor() as cursor:
        cursor.execute(f"SELECT token_cache FROM {TeamsTranscriptGrant._meta.db_table} WHERE id = %s", [grant.pk])
        stored = cursor.fetchone()[0]
    assert "rt-teams" not in stored and stored.startswith("gAAAA")
    assert "Teams transcripts are connected" in response.content.decode()
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.CONNECT, object_type="transcripts.TeamsTranscriptGrant"
        ).count()
        == 1
    )


def test_another_microsoft_identity_than_the_calendars_is_refused_and_nothing_stored(
    user_client, user, connection, rsps
):
    query = _start(user_client, rsps)
    rsps.post(token_url(), json=token_body(nonce=query["nonce"], oid="ffffffff-0000-0000-0000-000000000001"))

    response = user_client.get(CALLBACK, {"code": "c1", "state": query["state"]}, follow=True)

    assert not TeamsTranscriptGrant.objects.filter(user=user).exists()
    assert "different Microsoft account than the one your Outlook Calendar is connected" in response.content.decode()


def test_a_personal_account_at_the_callback_is_recorded_as_such_without_tokens(user_client, user, connection, rsps):
    query = _start(user_client, rsps)
    rsps.post(token_url(), json=token_body(nonce=query["nonce"], tid=PERSONAL))

    response = user_client.get(CALLBACK, {"code": "c1", "state": query["state"]}, follow=True)

    grant = TeamsTranscriptGrant.objects.get(user=user)
    assert (grant.status, grant.token_cache) == (TeamsTranscriptGrant.Status.PERSONAL_ACCOUNT, "")
    assert "not available for personal Microsoft accounts" in response.content.decode()


def test_a_personal_calendar_connection_gets_the_card_saying_so_and_no_button(user_client, user, rsps):
    ConnectionFactory(user=user, tenant_id=PERSONAL, email=user.email)

    page = user_client.get(INTEGRATIONS).content.decode()

    assert "Teams transcripts are not available for personal Microsoft accounts" in page
    assert "Connect Teams transcripts</button>" not in page
    response = user_client.post(CONNECT, follow=True)
    assert "not available for personal Microsoft accounts" in response.content.decode() and len(rsps.calls) == 0


def test_the_card_offers_connect_once_the_calendar_is_connected(user_client, connection):
    page = user_client.get(INTEGRATIONS).content.decode()

    assert "Connect Teams transcripts</button>" in page
    assert "OnlineMeetingTranscript.Read.All" in page


def test_without_a_calendar_connection_connect_says_to_connect_outlook_first(user_client, rsps):
    response = user_client.post(CONNECT, follow=True)

    assert "Connect Outlook Calendar first" in response.content.decode() and len(rsps.calls) == 0


def test_a_replayed_callback_stores_nothing(user_client, user, connection):
    response = user_client.get(CALLBACK, {"code": "c1", "state": "forged"}, follow=True)

    assert not TeamsTranscriptGrant.objects.filter(user=user).exists()
    assert "Teams transcripts were not connected" in response.content.decode()


def test_disconnect_deletes_the_grant_and_keeps_fetched_transcripts(user_client, user, grant, ended_meeting, rsps):
    _graph_answers(rsps)
    teams_transcripts_fetch(grant_id=grant.pk)

    user_client.post(DISCONNECT)

    assert not TeamsTranscriptGrant.objects.filter(user=user).exists()
    assert Transcript.objects.filter(source="teams", event=ended_meeting).count() == 1


def test_state_changes_are_post_only(user_client):
    assert [user_client.get(url).status_code for url in (CONNECT, DISCONNECT, FETCH)] == [405, 405, 405]


def test_posts_need_the_csrf_token(client, user, connection):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)

    assert [csrf_client.post(url).status_code for url in (CONNECT, DISCONNECT, FETCH)] == [403, 403, 403]


def test_a_user_outside_any_workspace_gets_404(client, db):
    loner = UserFactory(email="loner@ruby-demo.example", workspace=False)
    client.force_login(loner)

    assert [client.post(url).status_code for url in (CONNECT, DISCONNECT, FETCH)] == [404, 404, 404]
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404


def test_a_user_from_another_workspace_cannot_fetch_or_disconnect_someone_elses_grant(outsider_client, grant):
    outsider_client.post(FETCH)
    outsider_client.post(DISCONNECT)

    assert TeamsTranscriptGrant.objects.filter(pk=grant.pk).exists()


# --- fetching by join URL ---------------------------------------------------------------------------


def test_an_ended_teams_meeting_gets_its_transcript_matched_exactly_at_100_percent(grant, ended_meeting, rsps):
    _graph_answers(rsps)

    counts = teams_transcripts_fetch(grant_id=grant.pk)

    transcript = Transcript.objects.get(source="teams")
    assert counts == {"checked": 1, "found": 1}
    assert (transcript.event_id, transcript.match_status, transcript.match_how, transcript.match_score) == (
        ended_meeting.pk,
        "matched",
        "exact",
        1.0,
    )
    assert explain(transcript.match_detail) == "100% — same Teams meeting"
    assert transcript.text == "User Name: This is a transcript test."
    assert transcript.external_id == MEETING_ID
    assert EventActivity.objects.filter(event=ended_meeting, detail__endswith="matched: same Teams meeting").exists()
    lookup = next(c.request for c in rsps.calls if "onlineMeetings?" in c.request.url)
    assert lookup.url == teams.meeting_lookup_url(JOIN_URL) and lookup.headers["Authorization"] == "Bearer at-teams"


def test_a_found_meeting_is_not_asked_about_again(grant, ended_meeting, rsps):
    _graph_answers(rsps)
    teams_transcripts_fetch(grant_id=grant.pk)
    calls = len(rsps.calls)

    assert teams_transcripts_fetch(grant_id=grant.pk) == {"checked": 0, "found": 0}
    assert len(rsps.calls) == calls


def test_automatic_rematching_leaves_the_exact_match_alone(grant, ended_meeting, connection, rsps):
    _graph_answers(rsps)
    teams_transcripts_fetch(grant_id=grant.pk)
    EventFactory(connection=connection, starts_at=ended_meeting.starts_at, ends_at=ended_meeting.ends_at)

    transcripts_match(transcripts=list(Transcript.objects.all()))

    transcript = Transcript.objects.get(source="teams")
    assert (transcript.event_id, transcript.match_how) == (ended_meeting.pk, "exact")


def test_a_meeting_still_running_or_not_on_teams_is_not_looked_up(grant, connection, rsps):
    EventFactory(
        connection=connection,
        online_provider="teams",
        join_url=JOIN_URL,
        starts_at=timezone.now() - timedelta(minutes=10),
        ends_at=timezone.now() + timedelta(minutes=20),
    )
    EventFactory(
        connection=connection,
        online_provider="zoom",
        join_url="https://us02web.zoom.us/j/81",
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
    )

    assert teams_transcripts_fetch(grant_id=grant.pk) == {"checked": 0, "found": 0}
    assert len(rsps.calls) == 0


def test_a_meeting_without_a_transcript_is_recorded_and_asked_again_later(grant, ended_meeting, rsps):
    _graph_answers(rsps, transcripts={"value": []})

    teams_transcripts_fetch(grant_id=grant.pk)

    check = TeamsMeetingCheck.objects.get(event=ended_meeting)
    assert (check.outcome, check.attempts) == ("no_transcript", 1)
    assert not Transcript.objects.exists()
    assert teams_transcripts_fetch(grant_id=grant.pk, now=timezone.now() + timedelta(minutes=31))["checked"] == 1


def test_a_401_puts_the_grant_in_needs_attention_with_graphs_reason(grant, ended_meeting, rsps):
    add_openid_configuration(rsps)
    rsps.get(
        f"{GRAPH}/v1.0/me/onlineMeetings",
        status=401,
        json={"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}},
    )

    teams_transcripts_fetch(grant_id=grant.pk)

    grant.refresh_from_db()
    assert grant.status == TeamsTranscriptGrant.Status.NEEDS_ATTENTION
    assert grant.status_reason == "Microsoft refused access to Teams transcripts (HTTP 401): InvalidAuthenticationToken"


def test_graph_unavailable_is_retried_on_a_later_run(grant, ended_meeting, rsps):
    add_openid_configuration(rsps)
    rsps.get(f"{GRAPH}/v1.0/me/onlineMeetings", status=503, json={"error": {"code": "serviceNotAvailable"}})

    teams_transcripts_fetch(grant_id=grant.pk)

    grant.refresh_from_db()
    check = TeamsMeetingCheck.objects.get(event=ended_meeting)
    assert grant.status == TeamsTranscriptGrant.Status.CONNECTED
    assert check.outcome == "failed" and check.detail.startswith("Microsoft Graph was busy or unreachable")


def test_the_card_shows_the_matched_meeting(user_client, grant, ended_meeting, rsps):
    _graph_answers(rsps)
    teams_transcripts_fetch(grant_id=grant.pk)

    page = user_client.get(INTEGRATIONS).content.decode()

    assert "1 transcript fetched" in page
    assert "Northwind — pilot recap" in page and "matched 100% — same Teams meeting" in page


def test_the_calendar_token_scopes_are_unchanged_by_the_grant(grant):
    assert auth.SCOPES == ["Calendars.Read", "User.Read"]
    assert CalendarConnection.objects.get(user=grant.user).token_cache in ("", None)


def test_a_match_set_by_hand_is_not_overridden_by_the_teams_fetch(user, grant, ended_meeting, connection, rsps):
    other = EventFactory(connection=connection)
    transcript = Transcript.objects.create(
        workspace=ended_meeting.workspace,
        source="teams",
        external_id=MEETING_ID,
        title="Recap",
        started_at=ended_meeting.starts_at,
        ended_at=ended_meeting.ends_at,
        event=other,
        match_status="matched",
        match_how="manual",
        matched_by=user,
    )
    _graph_answers(rsps)

    teams_transcripts_fetch(grant_id=grant.pk)

    transcript.refresh_from_db()
    assert (transcript.event_id, transcript.match_how) == (other.pk, "manual")
