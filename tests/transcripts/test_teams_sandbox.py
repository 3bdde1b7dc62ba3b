"""The sandbox's Teams meetings (sandbox/teams.py) through the sandbox transport: the Graph calls of
transcripts.sources.teams answered in-process, and refused for a token without the Teams scopes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from calendar_sync import graph
from calendar_sync.sandbox import events, teams, tokens
from calendar_sync.sandbox.identities import identity_for
from transcripts.sources import teams as teams_source  # the real client, over the sandbox transport

SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)
IDENTITY = identity_for("sam@ruby-demo.example", "Sam Seller")
TEAMS_SCOPE = "OnlineMeetings.Read OnlineMeetingTranscript.Read.All openid profile"


@pytest.fixture(autouse=True)
def sandbox_on(db):
    with SANDBOX:
        yield


def _token(scope: str) -> str:
    return tokens.issue_tokens(IDENTITY, client_id="ruby-sandbox-client", scope=scope)["access_token"]


def _recap_join_url() -> str:
    (recap,) = [e for e in events.week_for(IDENTITY) if e["subject"] in events.TRANSCRIBED_SUBJECTS]
    return recap["onlineMeeting"]["joinUrl"]


def test_the_ended_recap_has_a_transcript_by_its_join_url():
    record = teams_source.fetch(access_token=_token(TEAMS_SCOPE), join_url=_recap_join_url())

    assert record["subject"] == "Northwind — pilot recap"
    assert record["transcript"]["content"].startswith("WEBVTT\n\n0:0:0.0 --> 0:0:5.320\n<v Sam Seller>")


def test_a_calendar_only_token_is_refused_with_graphs_403():
    token = _token("Calendars.Read User.Read email openid profile")

    with pytest.raises(graph.GraphAuthError) as caught:
        graph.get_json(
            f"{graph.graph_url('/v1.0/me/onlineMeetings')}?$filter=JoinWebUrl%20eq%20'x'", access_token=token
        )

    assert (caught.value.status, caught.value.code) == (403, "Forbidden")


def test_a_coming_teams_meeting_has_no_transcript():
    coming = next(
        e
        for e in events.week_for(IDENTITY)
        if e["onlineMeetingProvider"] == "teamsForBusiness"
        and e["onlineMeeting"]
        and e["subject"] not in events.TRANSCRIBED_SUBJECTS
    )
    meeting_id = teams.meeting_id(coming["onlineMeeting"]["joinUrl"])

    data = graph.get_json(
        graph.graph_url(f"/v1.0/me/onlineMeetings/{meeting_id}/transcripts"), access_token=_token(TEAMS_SCOPE)
    ).data

    assert data["value"] == []


def test_the_sandbox_consent_grants_what_was_asked():
    assert tokens.consented_scope("OnlineMeetings.Read OnlineMeetingTranscript.Read.All offline_access openid") == (
        "OnlineMeetings.Read OnlineMeetingTranscript.Read.All openid"
    )
    assert tokens.consented_scope("") == tokens.GRANTED_SCOPE
