"""Purge and anonymise of an attendee email (calendar_sync.services.erasure, with transcripts' receivers)."""

import pytest

from calendar_sync.models import CalendarEvent, EventAttendee
from calendar_sync.services.erasure import PrivacyError, attendee_anonymise, attendee_purge, pseudonym_for
from deals.models import Contact
from tests.calendar_sync.privacy_data import alice_everywhere, find_everywhere
from tests.factories import (
    AttendeeFactory,
    ConnectionFactory,
    ContactFactory,
    DealFactory,
    EventFactory,
    TranscriptFactory,
)

ALICE = "alice.moreau@client.example"


def test_anonymise_leaves_no_trace_of_email_or_name_anywhere(user):
    alice_everywhere(user)
    needles = [ALICE, "Alice Moreau", "Moreau"]
    assert find_everywhere(needles)
    attendees_before = EventAttendee.objects.count()
    events_before = CalendarEvent.objects.count()

    attendee_anonymise(email="ALICE.MOREAU@client.example")

    assert find_everywhere(needles) == []
    assert EventAttendee.objects.count() == attendees_before
    assert CalendarEvent.objects.count() == events_before


def test_anonymise_uses_one_stable_pseudonym_everywhere(user):
    transcript = alice_everywhere(user)
    attendee_anonymise(email=ALICE)
    email, name = pseudonym_for(ALICE)
    assert email.endswith("@anonymised.invalid") and name.startswith("Anonymised attendee ")
    assert EventAttendee.objects.filter(email=email, name=name).count() == 3
    assert CalendarEvent.objects.filter(organizer_email=email, organizer_name=name).count() == 1
    transcript.refresh_from_db()
    assert {"name": name, "email": email} in transcript.participants
    assert name in transcript.text


def test_anonymise_reports_what_it_changed_in_each_table(user):
    alice_everywhere(user)

    counts = attendee_anonymise(email=ALICE)

    assert counts == {
        "attendees": 3,
        "events_changed": 1,
        "activities_changed": 1,
        "transcripts_changed": 1,
        "deliveries_changed": 1,
        "crm_contacts_anonymised": 1,
    }


def test_anonymise_twice_is_harmless(user):
    alice_everywhere(user)
    attendee_anonymise(email=ALICE)
    snapshot = sorted(EventAttendee.objects.values_list("email", "name"))
    again = attendee_anonymise(email=ALICE)
    assert again["attendees"] == 0 and again["transcripts_changed"] == 0
    assert sorted(EventAttendee.objects.values_list("email", "name")) == snapshot


def test_anonymise_gives_the_crm_contact_the_same_pseudonym_and_keeps_its_deals(user):
    contact = ContactFactory(workspace=user.membership.workspace, email=ALICE, name="Alice Moreau")
    DealFactory(workspace=user.membership.workspace, account=contact.account)
    AttendeeFactory(email=ALICE, name="Alice Moreau", contact=contact)

    counts = attendee_anonymise(email=ALICE)

    contact.refresh_from_db()
    assert (contact.email, contact.name) == pseudonym_for(ALICE)
    assert counts["crm_contacts_anonymised"] == 1


def test_anonymise_needs_an_email_address(db):
    with pytest.raises(PrivacyError, match="^Give the attendee's email address.$"):
        attendee_anonymise(email="alice")


def test_purge_needs_an_email_address(db):
    with pytest.raises(PrivacyError, match="^Give the attendee's email address.$"):
        attendee_purge(email="")


def test_purge_of_an_attendee_email_deletes_their_crm_contact(user):
    contact = ContactFactory(workspace=user.membership.workspace, email=ALICE)
    AttendeeFactory(email=ALICE, name="Alice Moreau", contact=contact)

    counts = attendee_purge(email=ALICE)

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert counts["crm_contacts_deleted"] == 1
    assert not EventAttendee.objects.filter(email=ALICE).exists()


def test_purge_of_attendee_email_removes_rows_and_mentions(user):
    transcript = alice_everywhere(user)
    events_before = CalendarEvent.objects.count()
    counts = attendee_purge(email=ALICE)
    assert counts["attendees"] == 3
    assert find_everywhere([ALICE, "Alice Moreau"]) == []
    assert CalendarEvent.objects.count() == events_before
    transcript.refresh_from_db()
    assert [p["email"] for p in transcript.participants] == [user.email]


def test_purge_of_attendee_email_empties_the_organizer_fields(user):
    alice_everywhere(user)
    attendee_purge(email=ALICE)
    organised = CalendarEvent.objects.get(subject="Call with [removed]")
    assert (organised.organizer_email, organised.organizer_name) == ("", "")


def test_attendee_purge_is_limited_to_the_workspace_when_given(user, outsider):
    AttendeeFactory(event__connection=ConnectionFactory(user=user), email="alice@client.example")
    theirs = EventFactory(connection__user=outsider)
    AttendeeFactory(event=theirs, email="alice@client.example")
    attendee_purge(email="alice@client.example", workspace=user.membership.workspace)
    assert EventAttendee.objects.filter(email="alice@client.example").count() == 1


def test_one_word_name_is_replaced_only_where_the_person_is_involved(user):
    AttendeeFactory(email="alice@client.example", name="Alice")
    theirs = TranscriptFactory(participants=[{"name": "Alice", "email": "alice@client.example"}], text="Alice: hi")
    someone_else = TranscriptFactory(participants=[{"name": "Alice", "email": "alice@other.example"}], text="Alice: yo")
    attendee_anonymise(email="alice@client.example")
    theirs.refresh_from_db()
    someone_else.refresh_from_db()
    assert "Alice" not in theirs.text
    assert someone_else.text == "Alice: yo"
    assert someone_else.participants == [{"name": "Alice", "email": "alice@other.example"}]


def test_full_name_and_email_are_replaced_even_in_unrelated_text(user):
    AttendeeFactory(email=ALICE, name="Alice Moreau")
    note = TranscriptFactory(text=f"We should invite Alice Moreau ({ALICE}) next time.")
    attendee_anonymise(email=ALICE)
    note.refresh_from_db()
    email, name = pseudonym_for(ALICE)
    assert note.text == f"We should invite {name} ({email}) next time."
