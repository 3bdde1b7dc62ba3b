"""Discard, restore, process again, assign and unassign: what they change and what they record."""

import pytest

from calendar_sync.models import CalendarEvent, EventActivity
from calendar_sync.services.events import (
    EventActionError,
    ProcessSummary,
    event_assign_deal,
    event_discard,
    event_process_again,
    event_restore,
    event_unassign_deal,
)
from calendar_sync.services.linking import LinkSummary, link_events
from calendar_sync.signals import events_changed
from ruby_site.errors import UserFacingError
from tests.factories import ContactFactory, DealFactory, TranscriptFactory

pytestmark = pytest.mark.django_db


def _actions(event):
    return list(EventActivity.objects.filter(event=event).order_by("id").values_list("action", flat=True))


def test_discard_keeps_the_row_and_records_who(event, owner):
    event_discard(event=event, by=owner)
    event.refresh_from_db()
    assert event.state == CalendarEvent.State.DISCARDED
    assert event.discarded_by == owner and event.discarded_at is not None
    assert _actions(event) == ["discarded"]


def test_discard_twice_records_once(event, owner):
    event_discard(event=event, by=owner)
    event_discard(event=event, by=owner)
    assert _actions(event) == ["discarded"]


def test_restore_makes_the_meeting_active_again(event, owner):
    event_discard(event=event, by=owner)
    event_restore(event=event, by=owner)
    event.refresh_from_db()
    assert event.state == CalendarEvent.State.ACTIVE
    assert event.discarded_at is None and event.discarded_by is None
    assert _actions(event) == ["discarded", "restored"]


def test_restore_of_active_meeting_does_nothing(event, owner):
    event_restore(event=event, by=owner)
    assert _actions(event) == []


def test_process_again_links_contacts_and_account_and_sets_processed_at(event, owner, workspace, account):
    contact = ContactFactory(workspace=workspace, email="nina@northwind.example")
    CalendarEvent.objects.filter(pk=event.pk).update(account=None)
    event.refresh_from_db()
    summary = event_process_again(event=event, by=owner)
    event.refresh_from_db()
    assert event.account == account
    assert event.attendees.get(email="nina@northwind.example").contact == contact
    assert event.processed_at is not None
    assert summary.message == "Linked 1 contact and the account Northwind; no new transcript matched."
    activity = EventActivity.objects.get(event=event)
    assert activity.action == "processed" and activity.detail == summary.message


def test_process_again_matches_a_waiting_transcript_to_this_meeting(event, owner, workspace):
    transcript = TranscriptFactory(
        workspace=workspace,
        started_at=event.starts_at,
        ended_at=event.ends_at,
        participants=[{"name": "Nina Northwind", "email": "nina@northwind.example"}],
    )

    summary = event_process_again(event=event, by=owner)

    transcript.refresh_from_db()
    assert transcript.event == event
    assert summary.message.endswith("matched 1 transcript.")


def test_process_again_says_what_went_wrong_in_words_the_view_shows(event, owner):
    event_discard(event=event, by=owner)

    with pytest.raises(UserFacingError) as refused:
        event_process_again(event=event, by=owner)

    assert str(refused.value) == "This meeting is discarded, so Ruby does not process it. Restore it first."


def test_process_again_reports_the_count_its_receivers_answer(event, owner, workspace):
    calls = []

    def receiver(sender, *, workspace, event_ids, **kwargs):
        calls.append((workspace, list(event_ids)))
        return 2

    events_changed.connect(receiver)
    try:
        summary = event_process_again(event=event, by=owner)
    finally:
        events_changed.disconnect(receiver)
    assert calls == [(workspace, [event.pk])]
    assert summary.message.endswith("matched 2 transcripts.")


def test_process_again_refuses_a_discarded_meeting(event, owner):
    event_discard(event=event, by=owner)
    with pytest.raises(EventActionError):
        event_process_again(event=event, by=owner)
    event.refresh_from_db()
    assert event.processed_at is None


def test_process_summary_says_when_nothing_changed():
    assert ProcessSummary(link=LinkSummary(events=1), transcripts_matched=0).message == (
        "Links were already up to date; no new transcript matched."
    )


def test_process_summary_mentions_a_cleared_account():
    message = ProcessSummary(link=LinkSummary(events=1, accounts_cleared=1), transcripts_matched=1).message
    assert message.startswith("Cleared the account") and message.endswith("matched 1 transcript.")


def test_assign_deal_records_the_deal_name(event, deal, owner):
    event_assign_deal(event=event, deal=deal, by=owner)
    event.refresh_from_db()
    assert event.deal == deal
    assert EventActivity.objects.get(event=event).detail == "Northwind expansion"


def test_reassign_names_the_previous_deal(event, deal, owner, workspace):
    event_assign_deal(event=event, deal=deal, by=owner)
    other = DealFactory(workspace=workspace, name="Second deal")
    event_assign_deal(event=event, deal=other, by=owner)
    assert EventActivity.objects.filter(event=event).first().detail == "Second deal (was Northwind expansion)"


def test_assign_refuses_a_deal_of_another_workspace(event, owner, other_workspace):
    with pytest.raises(EventActionError):
        event_assign_deal(event=event, deal=DealFactory(workspace=other_workspace), by=owner)
    event.refresh_from_db()
    assert event.deal is None and _actions(event) == []


def test_unassign_clears_the_deal_and_records_it(deal_event, owner):
    event_unassign_deal(event=deal_event, by=owner)
    deal_event.refresh_from_db()
    assert deal_event.deal is None
    assert _actions(deal_event) == ["unassigned"]


def test_unassign_without_a_deal_does_nothing(event, owner):
    event_unassign_deal(event=event, by=owner)
    assert _actions(event) == []


def test_discarded_meeting_is_not_linked_by_process_or_sync(event, owner, workspace):
    """Discarded meetings are left out of linking (link_events skips them)."""

    ContactFactory(workspace=workspace, email="nina@northwind.example")
    event_discard(event=event, by=owner)
    assert link_events(workspace=workspace, event_ids=[event.pk]).events == 0
    assert event.attendees.filter(contact__isnull=False).count() == 0
