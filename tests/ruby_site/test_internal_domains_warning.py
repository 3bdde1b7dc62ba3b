"""Changing internal domains warns how many meetings will be hidden, says so afterwards, and never calls them
"Removed in Outlook"."""

import pytest

from calendar_sync.models import CalendarEvent
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory, TranscriptFactory

pytestmark = pytest.mark.django_db
FORM = {"name": "Acme Sales", "sync_interval_minutes": "60", "event_visibility": "owner_and_deal_team"}


@pytest.fixture
def partner_meetings(user):
    connection = ConnectionFactory(user=user)
    events = []
    for n in range(3):
        event = EventFactory(connection=connection, subject=f"Partner sync {n}")
        AttendeeFactory(event=event, email=f"p{n}@partner.example")
        events.append(event)
    customer = EventFactory(connection=connection, subject="Customer call")
    AttendeeFactory(event=customer, email="dana@northwind.example")
    return events


def _save(client, domains, **extra):
    return client.post("/settings/workspace/", {**FORM, "internal_domains_text": domains, **extra}, follow=True)


def test_adding_a_domain_warns_how_many_meetings_it_will_hide(user_client, partner_meetings):
    body = _save(user_client, "ruby-demo.example\npartner.example").content.decode()

    assert "Saving these internal domains will hide 3 meetings" in body
    assert CalendarEvent.objects.filter(removed_at__isnull=False).count() == 0


def test_confirming_hides_them_and_says_so(user_client, workspace, partner_meetings):
    body = _save(user_client, "ruby-demo.example\npartner.example", confirm_hidden="3").content.decode()

    assert "Workspace settings saved. 3 meetings are now hidden as internal." in body
    assert set(CalendarEvent.objects.filter(removed_reason="internal").values_list("subject", flat=True)) == {
        "Partner sync 0",
        "Partner sync 1",
        "Partner sync 2",
    }


def test_a_change_that_hides_nothing_saves_at_once(user_client, workspace, partner_meetings):
    body = _save(user_client, "ruby-demo.example\nelsewhere.example").content.decode()

    assert "Workspace settings saved." in body and "will hide" not in body
    workspace.refresh_from_db()
    assert workspace.internal_domains == ["ruby-demo.example", "elsewhere.example"]


def test_removing_the_domain_brings_the_meetings_back(user_client, partner_meetings):
    _save(user_client, "ruby-demo.example\npartner.example", confirm_hidden="3")

    body = _save(user_client, "ruby-demo.example").content.decode()

    assert "3 meetings are back on the calendar (no longer internal)." in body
    assert CalendarEvent.objects.filter(removed_at__isnull=False).count() == 0


def test_hidden_as_internal_is_never_called_removed_in_outlook(user_client, workspace, partner_meetings):
    event = partner_meetings[0]
    TranscriptFactory(workspace=workspace, event=event, match_how="manual", title="Partner call notes")
    _save(user_client, "ruby-demo.example\npartner.example", confirm_hidden="3")

    detail = user_client.get(f"/calendar/events/{event.pk}/").content.decode()
    transcripts = user_client.get("/transcripts/").content.decode()

    assert "Hidden as internal" in detail and "no longer in Outlook" not in detail
    assert "Hidden as internal" in transcripts and "Removed in Outlook" not in transcripts


def test_the_auto_create_setting_is_saved(user_client, workspace):
    _save(user_client, "ruby-demo.example", auto_create_from_calendar="on")

    workspace.refresh_from_db()
    assert workspace.auto_create_from_calendar is True
