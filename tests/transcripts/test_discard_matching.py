"""Discarding a meeting takes it out of transcript matching at once; restoring brings it back."""

from datetime import timedelta

from calendar_sync.services.events import event_discard, event_restore
from tests.transcripts.helpers import BASE, meeting, zoom_payload
from transcripts.services.corrections import transcript_match_change
from transcripts.services.ingest import transcript_ingest

SAM = ("Sam Seller", "sam@ruby-demo.example")
DANA = ("Dana", "dana@northwind.example")


def ingest(workspace, **kwargs):
    return transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(**kwargs)).transcript


def test_discard_releases_the_meetings_automatic_transcript(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    assert transcript.event == event
    event_discard(event=event, by=user)
    transcript.refresh_from_db()
    assert transcript.event is None
    assert transcript.match_status == "unmatched"


def test_discard_resolves_a_near_tie_it_was_part_of(workspace, user):
    first = meeting(user, start=BASE)
    second = meeting(user, start=BASE + timedelta(minutes=30))
    transcript = ingest(workspace, start=BASE + timedelta(minutes=15), people=[SAM, DANA])
    assert transcript.match_status == "ambiguous"
    event_discard(event=second, by=user)
    transcript.refresh_from_db()
    assert transcript.event == first


def test_discard_keeps_a_match_made_by_hand(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_change(transcript=transcript, event=event, user=user)
    event_discard(event=event, by=user)
    transcript.refresh_from_db()
    assert transcript.event == event and transcript.match_how == "manual"


def test_restore_matches_the_transcript_again(workspace, user):
    event = meeting(user)
    transcript = ingest(workspace, people=[SAM, DANA])
    event_discard(event=event, by=user)
    event_restore(event=event, by=user)
    transcript.refresh_from_db()
    assert transcript.event == event


def test_transcript_pages_name_the_owners_own_discarded_meeting(user_client, workspace, user):
    from django.urls import reverse

    event = meeting(user, subject="Northwind discovery")
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_change(transcript=transcript, event=event, user=user)
    event_discard(event=event, by=user)
    for url in (reverse("transcript_list"), reverse("transcript_detail", args=[transcript.pk])):
        page = user_client.get(url).content.decode()
        assert "Northwind discovery" in page and "Discarded" in page
        assert "colleague" not in page


def test_deal_team_member_sees_a_discarded_meeting_they_may_open_by_name(client, workspace, user, member):
    from django.urls import reverse

    from tests.factories import DealFactory

    deal = DealFactory(workspace=workspace, team=[member])
    event = meeting(user, subject="Northwind discovery", deal=deal)
    transcript = ingest(workspace, people=[SAM, DANA])
    transcript_match_change(transcript=transcript, event=event, user=user)
    event_discard(event=event, by=user)
    client.force_login(member)

    page = client.get(reverse("transcript_detail", args=[transcript.pk])).content.decode()

    assert "Northwind discovery" in page and "Discarded" in page and "colleague" not in page
