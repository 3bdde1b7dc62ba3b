"""transcripts answers calendar_sync's signals (transcripts/receivers.py): re-matching when events change, and
letting go of events about to be deleted."""

from datetime import timedelta

from calendar_sync.models import CalendarEvent
from calendar_sync.signals import event_discarded, event_restored, events_changed, events_deleting
from tests.factories import TranscriptFactory
from tests.transcripts.helpers import BASE, meeting, zoom_payload
from transcripts import receivers
from transcripts.models import Transcript
from transcripts.services.ingest import transcript_ingest

SAM = ("Sam Seller", "sam@ruby-demo.example")
DANA = ("Dana", "dana@northwind.example")


def ingest(workspace, **kwargs):
    return transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(**kwargs)).transcript


def answers_of(responses) -> list:
    """The answers of transcripts' own receivers (other apps' receivers, if any, are left out)."""
    return [answer for receiver, answer in responses if receiver.__module__ == receivers.__name__]


def test_events_changed_matches_a_waiting_transcript_and_answers_the_count(workspace, user):
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.match_status == "unmatched"
    event = meeting(user)

    responses = events_changed.send(sender=CalendarEvent, workspace=workspace, event_ids=[event.pk])

    assert answers_of(responses) == [1]
    transcript.refresh_from_db()
    assert transcript.event == event


def test_event_discarded_takes_the_meeting_out_of_matching(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    CalendarEvent.objects.filter(pk=event.pk).update(state=CalendarEvent.State.DISCARDED)

    event_discarded.send(sender=CalendarEvent, event=event)

    transcript.refresh_from_db()
    assert (transcript.event, transcript.match_status) == (None, "unmatched")


def test_event_restored_matches_the_meeting_again(workspace, user):
    event = meeting(user, state=CalendarEvent.State.DISCARDED)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.event is None
    CalendarEvent.objects.filter(pk=event.pk).update(state=CalendarEvent.State.ACTIVE)

    responses = event_restored.send(sender=CalendarEvent, event=event)

    assert answers_of(responses) == [1]
    transcript.refresh_from_db()
    assert transcript.event == event


def test_events_deleting_unlinks_their_transcripts_and_answers_the_count(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.event == event

    responses = events_deleting.send(sender=CalendarEvent, event_ids=[event.pk])

    assert answers_of(responses) == [1]
    transcript.refresh_from_db()
    assert transcript.event is None
    assert transcript.match_status == "unmatched"
    assert (transcript.match_how, transcript.match_score, transcript.match_detail) == ("", None, {})
    assert (transcript.match_candidates, transcript.matched_at) == ([], None)


def test_events_deleting_drops_candidates_that_point_at_those_events(workspace, user):
    first = meeting(user, start=BASE)
    second = meeting(user, start=BASE + timedelta(minutes=30))
    transcript = ingest(workspace, start=BASE + timedelta(minutes=15), people=[SAM, DANA])
    assert transcript.match_status == "ambiguous"

    events_deleting.send(sender=CalendarEvent, event_ids=[second.pk])

    transcript.refresh_from_db()
    assert [c["event_id"] for c in transcript.match_candidates] == [first.pk]
    assert transcript.match_status == "unmatched"
    assert (transcript.match_score, transcript.match_detail) == (None, {})


def test_events_deleting_leaves_other_transcripts_alone(workspace, user):
    event = meeting(user)
    other = TranscriptFactory(workspace=workspace, match_status="unmatched", match_candidates=[])

    responses = events_deleting.send(sender=CalendarEvent, event_ids=[event.pk])

    assert answers_of(responses) == [0]
    assert Transcript.objects.get(pk=other.pk).updated_at == other.updated_at


def test_each_signal_reaches_transcripts_once():
    for signal in (events_changed, event_discarded, event_restored, events_deleting):
        ours = [r for r in signal._live_receivers(CalendarEvent)[0] if r.__module__ == receivers.__name__]
        assert len(ours) == 1
