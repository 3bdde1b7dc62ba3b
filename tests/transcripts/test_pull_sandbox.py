"""The sandbox's Gong and Granola: Test connection and a pull through the platform, offline, ending in transcripts
matched to the right synced meetings (Gong and Granola serve every other meeting in time order)."""

import json
from datetime import timedelta

import pytest

from tests.factories import TranscriptSourceFactory, UserFactory
from tests.transcripts.helpers import BASE, meeting
from transcripts.models import Transcript
from transcripts.services.pulls import transcript_source_pull
from transcripts.services.sources import transcript_source_test
from transcripts.sources.sandbox import pull_vendors

CREDS = {
    "gong": {"access_key": "AK-SANDBOX", "access_key_secret": "sandbox-secret"},
    "granola": {"api_key": "grn_sandbox_key"},
}


@pytest.fixture(autouse=True)
def sandbox_on(settings, time_machine):
    settings.TRANSCRIPT_SANDBOX = True
    time_machine.move_to(BASE + timedelta(days=1), tick=False)


@pytest.fixture
def meetings(user):
    """Seven external meetings an hour apart, with different guests so that none is ambiguous."""
    return [
        meeting(user, start=BASE + timedelta(hours=i), subject=f"Call {i}", guests=(f"guest{i}@northwind.example",))
        for i in range(7)
    ]


def _config(workspace, source, **creds):
    return TranscriptSourceFactory(
        workspace=workspace, source=source, secret="", credentials=json.dumps({**CREDS[source], **creds})
    )


@pytest.mark.parametrize(
    ("source", "summary"),
    [
        ("gong", "Connected. Gong accepted the access key (1 users visible)"),
        ("granola", "Connected. Granola accepted the API key (notes visible)"),
    ],
)
def test_test_connection_says_connected_offline(workspace, user, meetings, source, summary):
    assert transcript_source_test(source_config=_config(workspace, source)) == (True, summary)


@pytest.mark.parametrize(
    ("source", "field", "said"),
    [
        ("gong", "access_key_secret", "Gong refused the credentials (403): “Access denied”."),
        ("granola", "api_key", "Granola refused the credentials (401): “Unauthorized - Invalid API key”."),
    ],
)
def test_a_credential_with_wrong_in_it_is_refused_in_the_vendors_words(workspace, source, field, said):
    config = _config(workspace, source, **{field: "wrong-one"})
    worked, what = transcript_source_test(source_config=config)
    config.refresh_from_db()
    assert (worked, what, config.state) == (False, f"{said} Save new ones, then Test connection.", "needs_attention")


def test_a_gong_fetch_follows_the_cursor_and_matches_each_call_to_its_meeting(workspace, user, meetings):
    config = _config(workspace, "gong")
    expected = meetings[0::2]  # every other meeting in time order, from the first
    assert len(expected) > pull_vendors.PAGE_SIZE  # more than one page of calls: the cursor is followed

    assert transcript_source_pull(source_config_id=config.pk) == len(expected)

    transcripts = Transcript.objects.filter(source="gong").order_by("started_at")
    assert [(t.event_id, t.match_status) for t in transcripts] == [(e.pk, "matched") for e in expected]
    assert transcripts[0].text.startswith("Sam Seller: Thanks for making the time today.\n")
    config.refresh_from_db()
    assert (config.pull_cursor, config.last_error) == ("", "")


def test_a_granola_fetch_matches_each_note_to_its_meeting(workspace, user, meetings):
    config = _config(workspace, "granola")
    expected = meetings[1::2]  # the others

    assert transcript_source_pull(source_config_id=config.pk) == len(expected)

    transcripts = Transcript.objects.filter(source="granola").order_by("started_at")
    assert [(t.event_id, t.match_status) for t in transcripts] == [(e.pk, "matched") for e in expected]
    assert "Speaker A: Happy to." in transcripts[0].text


def test_the_sandbox_serves_only_the_meetings_of_the_workspace_holding_the_key(
    workspace, user, meetings, other_workspace
):
    outsider = UserFactory(email="olga@other.example", workspace=other_workspace)
    for i in range(4):
        meeting(outsider, start=BASE + timedelta(hours=i), guests=("x@elsewhere.example",))
    config = _config(other_workspace, "gong", access_key="AK-OTHER")

    transcript_source_pull(source_config_id=config.pk)

    assert set(Transcript.objects.values_list("workspace_id", flat=True)) == {other_workspace.pk}
    assert not Transcript.objects.filter(event__workspace=workspace).exists()


def test_an_ended_teams_meeting_is_left_to_teams_transcripts(workspace, user):
    teams = meeting(user, start=BASE, subject="Teams recap", online_provider="teams")
    later = meeting(user, start=BASE + timedelta(days=2), subject="Teams next week", online_provider="teams")
    zoom = meeting(user, start=BASE + timedelta(hours=2), subject="Zoom call", guests=("ann@tailspin.example",))

    served = pull_vendors.meetings("gong", [workspace.pk], None) + pull_vendors.meetings(
        "granola", [workspace.pk], None
    )

    assert sorted(e.pk for e in served) == sorted([zoom.pk, later.pk]) and teams.pk not in [e.pk for e in served]
