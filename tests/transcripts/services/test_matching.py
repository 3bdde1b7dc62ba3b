"""Matching transcripts to meetings by time and attendees (transcripts/services/matching.py)."""

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity
from tests.factories import TranscriptFactory, UserFactory
from tests.transcripts.helpers import BASE, meeting, zoom_payload
from transcripts.models import Transcript
from transcripts.services.corrections import (
    transcript_match_change,
    transcript_match_clear,
    transcript_match_confirm,
)
from transcripts.services.ingest import transcript_ingest
from transcripts.services.matching import transcripts_match, transcripts_rematch_for_events

SAM = ("Sam Seller", "sam@ruby-demo.example")
DANA = ("Dana", "dana@northwind.example")
LEE = ("Lee", "lee@northwind.example")


def ingest(workspace, **kwargs):
    return transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(**kwargs)).transcript


def test_exact_time_and_attendees_matches(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "matched"
    assert transcript.event == event
    assert transcript.match_how == "auto"
    assert transcript.match_score == 1.0


def test_matching_in_a_request_with_the_users_time_zone_active_still_matches(workspace, user):
    # A request activates the viewer's zone (WorkspaceMiddleware); the event times read on PostgreSQL as epochs
    # must stay UTC, or every match made from a page (Fetch now, Process again) is off by the zone's offset.
    event = meeting(user)
    with timezone.override(zoneinfo.ZoneInfo("America/Toronto")):
        transcript = ingest(workspace, people=[SAM, DANA])
    assert (transcript.match_status, transcript.event) == ("matched", event)


def test_match_detail_explains_score(workspace, user):
    meeting(user, minutes=55, guests=["dana@northwind.example", "lee@northwind.example", "kim@northwind.example"])
    transcript = ingest(
        workspace, start=BASE + timedelta(minutes=5), minutes=50, people=[SAM, DANA, LEE, ("Ann", "ann@x.example")]
    )
    detail = transcript.match_detail
    assert (detail["overlap_minutes"], detail["span_minutes"]) == (50, 55)
    assert (detail["participants_matched"], detail["participants_total"]) == (3, 4)
    from transcripts.matching import explain

    assert explain(detail) == "83% — 50 of 55 min overlap, 3 of 4 participants"


def test_shifted_start_still_matches(workspace, user):
    event = meeting(user, minutes=30)
    transcript = ingest(workspace, start=BASE + timedelta(minutes=10), minutes=30, people=[SAM, DANA])
    assert transcript.event == event


def test_late_join_matches(workspace, user):
    event = meeting(user, minutes=60)
    transcript = ingest(workspace, start=BASE + timedelta(minutes=20), minutes=40, people=[DANA])
    assert transcript.match_status == "matched"
    assert transcript.event == event


def test_same_time_different_attendees_stays_unmatched(workspace, user):
    meeting(user, guests=["kim@contoso.example"])
    transcript = ingest(workspace, people=[("Ravi", "ravi@fabrikam.example"), ("Pat", "pat@fabrikam.example")])
    assert transcript.match_status == "unmatched"
    assert transcript.event is None
    assert len(transcript.match_candidates) == 1  # shown, but not chosen


def test_picks_the_meeting_with_the_right_people(workspace, user, member):
    meeting(member, guests=["kim@contoso.example"])
    right = meeting(user, guests=["dana@northwind.example"])
    transcript = ingest(workspace, people=[DANA])
    assert transcript.event == right


def test_two_equally_good_meetings_are_ambiguous(workspace, user):
    first = meeting(user, guests=["dana@northwind.example"])
    second = meeting(user, guests=["dana@northwind.example"], start=BASE + timedelta(minutes=5))
    transcript = ingest(workspace, start=BASE + timedelta(minutes=2), minutes=31, people=[SAM, DANA])
    assert transcript.match_status == "ambiguous"
    assert transcript.event is None
    assert {c["event_id"] for c in transcript.match_candidates} == {first.pk, second.pk}


def test_same_meeting_on_two_calendars_is_not_ambiguous(workspace, user, member):
    mine = meeting(user, ical_uid="shared-uid")
    meeting(member, ical_uid="shared-uid")
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "matched"
    assert transcript.event == mine  # the copy on the organizer's calendar


def test_no_meeting_in_the_window_leaves_transcript_unmatched(workspace, user):
    meeting(user, start=BASE + timedelta(hours=3))
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "unmatched"
    assert transcript.match_candidates == []


def test_meeting_within_tolerance_is_a_candidate(workspace, user):
    meeting(user, start=BASE + timedelta(minutes=40), minutes=30)
    transcript = ingest(workspace, minutes=30, people=[SAM, DANA])  # ends 10 min before the meeting
    assert len(transcript.match_candidates) == 1


def test_discarded_meeting_is_never_matched(workspace, user):
    meeting(user, state=CalendarEvent.State.DISCARDED)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "unmatched"
    assert transcript.match_candidates == []


def test_removed_meeting_is_never_matched(workspace, user):
    meeting(user, removed_at=timezone.now())
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.event is None


def test_meeting_of_another_workspace_is_never_matched(workspace, user, outsider):
    meeting(outsider)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_candidates == []


def test_match_appears_after_a_later_sync(workspace, user):
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "unmatched"
    event = meeting(user)
    assert transcripts_rematch_for_events(workspace=workspace, event_ids=[event.pk]) == 1
    transcript.refresh_from_db()
    assert transcript.event == event


def test_rematch_ignores_events_of_other_workspaces(workspace, user, outsider):
    ingest(workspace, people=[SAM, DANA])
    foreign = meeting(outsider)
    assert transcripts_rematch_for_events(workspace=workspace, event_ids=[foreign.pk]) == 0


def test_rematch_leaves_manual_decisions_alone(workspace, user):
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_clear(transcript=transcript, user=user)
    event = meeting(user)
    assert transcripts_rematch_for_events(workspace=workspace, event_ids=[event.pk]) == 0
    transcript.refresh_from_db()
    assert transcript.event is None
    assert transcript.match_how == "manual"


def test_manual_match_survives_a_changed_redelivery(workspace, user):
    right = meeting(user)
    other = meeting(user, start=BASE + timedelta(hours=2), guests=["kim@contoso.example"])
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_change(transcript=transcript, event=other, user=user)
    ingest(workspace, people=[SAM, DANA], text="Edited words.")
    transcript.refresh_from_db()
    assert transcript.text.endswith("Edited words.")
    assert transcript.event == other
    assert transcript.match_how == "manual"
    assert right.transcripts.count() == 0


def test_confirmed_match_survives_rematching(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_confirm(transcript=transcript, user=user)
    meeting(user, guests=["dana@northwind.example"])  # an equally good rival appears later
    transcripts_match(transcripts=[transcript])
    transcript.refresh_from_db()
    assert (transcript.event, transcript.match_how, transcript.matched_by) == (event, "manual", user)


def test_automatic_match_records_activity_on_the_meeting(workspace, user):
    event = meeting(user)
    ingest(workspace, people=[SAM, DANA])
    assert EventActivity.objects.filter(event=event, action=EventActivity.Action.TRANSCRIPT).count() == 1


def test_batch_matching_uses_constant_queries(workspace, user):
    owner = UserFactory(workspace=workspace)
    for hour in range(20):
        meeting(owner, start=BASE + timedelta(hours=hour))
    transcripts = [
        TranscriptFactory(
            workspace=workspace,
            started_at=BASE + timedelta(hours=hour),
            ended_at=BASE + timedelta(hours=hour, minutes=30),
            participants=[{"name": "Dana", "email": "dana@northwind.example"}],
        )
        for hour in range(20)
    ]
    with CaptureQueriesContext(connection) as queries:
        counts = transcripts_match(transcripts=transcripts)
    assert counts["matched"] == 20
    assert len(queries) <= 5


@pytest.mark.parametrize("status", ["unmatched", "ambiguous"])
def test_rematch_counts_only_newly_matched(workspace, user, status):
    transcript = TranscriptFactory(
        workspace=workspace,
        started_at=BASE,
        ended_at=BASE + timedelta(minutes=30),
        match_status=status,
        participants=[{"name": "Dana", "email": "dana@northwind.example"}],
    )
    event = meeting(user)
    assert transcripts_rematch_for_events(workspace=workspace, event_ids=[event.pk]) == 1
    assert Transcript.objects.get(pk=transcript.pk).event == event
