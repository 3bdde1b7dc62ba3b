"""The calendar page, the meeting page and the action endpoints."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity
from calendar_sync.selectors.events import group_by_day, user_zone
from calendar_sync.views import events as event_views
from tests.factories import (
    AccountFactory,
    AttendeeFactory,
    ContactFactory,
    DealFactory,
    EventFactory,
    SyncRunFactory,
    TranscriptFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- the calendar page -------------------------------------------------------------------------------------


def test_calendar_lists_coming_week_grouped_by_day(owner_client, connection):
    now = timezone.now()
    EventFactory(connection=connection, subject="Tomorrow call", starts_at=now + timedelta(days=1))
    EventFactory(connection=connection, subject="In three days", starts_at=now + timedelta(days=3))
    EventFactory(connection=connection, subject="Way later", starts_at=now + timedelta(days=12))
    html = _html(owner_client.get(reverse("calendar")))
    assert html.index("Tomorrow call") < html.index("In three days")
    assert "Way later" not in html
    assert html.count('class="day"') == 2


def test_calendar_shows_meeting_details(owner_client, event, deal):
    event.location = "Room 4 / Teams"
    event.is_online = True
    event.online_provider = "teams"
    event.join_url = "https://teams.microsoft.com/l/meetup-join/abc"
    event.save()
    AttendeeFactory(event=event, name="Tina Tentative", response="tentativelyAccepted")
    AttendeeFactory(event=event, name="Dan Declined", response="declined")
    AttendeeFactory(event=event, name="Nora Noreply", response="notResponded")
    AttendeeFactory(event=event, name="Ian Insider", email="ian@ruby-demo.example", is_internal=True)
    html = _html(owner_client.get(reverse("calendar")))
    assert "Room 4 / Teams" in html
    assert 'href="https://teams.microsoft.com/l/meetup-join/abc"' in html and "Join Teams" in html
    for label in ("Accepted", "Tentative", "Declined", "No response", "Internal", "External"):
        assert label in html
    assert "Olivia Owner" not in html.split("Attendees")[1].split("</ul>")[0]  # the organizer is not repeated
    assert reverse("account_detail", args=[event.account.pk]) in html
    assert "Northwind expansion" in html  # the account's open deal, offered for one-click assignment


def test_calendar_links_linked_contacts(owner_client, event, workspace):
    contact = ContactFactory(workspace=workspace, name="Nina Northwind", email="nina@northwind.example")
    event.attendees.filter(email="nina@northwind.example").update(contact=contact)
    html = _html(owner_client.get(reverse("calendar")))
    assert reverse("contact_detail", args=[contact.pk]) in html


@pytest.mark.parametrize(
    "field, value, badge",
    [
        ("is_cancelled", True, "Cancelled"),
        ("sensitivity", "private", "Private"),
        ("is_online", True, "Online"),
        ("series_master_id", "AAMk-series", "Recurring"),
    ],
)
def test_calendar_badges(owner_client, event, field, value, badge):
    setattr(event, field, value)
    event.save()
    assert f">{badge}</span>" in _html(owner_client.get(reverse("calendar")))


def test_calendar_badges_matched_transcript(owner_client, event, workspace):
    TranscriptFactory(workspace=workspace, event=event, title="Discovery recording")
    assert "Transcript matched" in _html(owner_client.get(reverse("calendar")))


def test_calendar_never_links_a_javascript_join_url(owner_client, event):
    CalendarEvent.objects.filter(pk=event.pk).update(join_url="javascript:alert(1)", is_online=True)
    assert "javascript:alert" not in _html(owner_client.get(reverse("calendar")))


def test_all_day_meeting_shows_all_day(owner_client, connection):
    day = (timezone.now() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    EventFactory(connection=connection, subject="Offsite", is_all_day=True, starts_at=day, ends_at=day + timedelta(1))
    html = _html(owner_client.get(reverse("calendar")))
    assert "All day" in html


def test_calendar_hides_meetings_removed_in_outlook(owner_client, event):
    CalendarEvent.objects.filter(pk=event.pk).update(removed_at=timezone.now())
    assert "Northwind discovery call" not in _html(owner_client.get(reverse("calendar")))


def test_discarded_meeting_leaves_upcoming_and_shows_under_discarded(owner_client, event):
    CalendarEvent.objects.filter(pk=event.pk).update(state=CalendarEvent.State.DISCARDED)
    assert "Northwind discovery call" not in _html(owner_client.get(reverse("calendar")))
    assert "Northwind discovery call" in _html(owner_client.get(reverse("calendar") + "?view=discarded"))


def test_past_filter_shows_earlier_meetings(owner_client, connection):
    EventFactory(connection=connection, subject="Last week", starts_at=timezone.now() - timedelta(days=6))
    assert "Last week" not in _html(owner_client.get(reverse("calendar")))
    assert "Last week" in _html(owner_client.get(reverse("calendar") + "?view=past"))


def test_search_matches_subject(owner_client, event, connection):
    EventFactory(connection=connection, subject="Internal prep")
    html = _html(owner_client.get(reverse("calendar") + "?q=discovery"))
    assert "Northwind discovery call" in html and "Internal prep" not in html


def test_search_matches_attendee_email_and_lists_meeting_once(owner_client, event, connection):
    AttendeeFactory(event=event, email="nick@northwind.example", name="Nick Northwind")
    EventFactory(connection=connection, subject="Unrelated")
    html = _html(owner_client.get(reverse("calendar") + "?q=northwind.example"))
    assert html.count(f'id="event-{event.pk}"') == 1
    assert "Unrelated" not in html


def test_account_and_deal_filters(owner_client, event, deal, connection, workspace):
    other = EventFactory(connection=connection, subject="Contoso sync", account=AccountFactory(workspace=workspace))
    html = _html(owner_client.get(reverse("calendar") + f"?account={event.account_id}"))
    assert "Northwind discovery call" in html and other.subject not in html
    event.deal = deal
    event.save()
    html = _html(owner_client.get(reverse("calendar") + f"?deal={deal.pk}"))
    assert "Northwind discovery call" in html and other.subject not in html


def test_empty_calendar_says_what_to_do(client, owner):
    client.force_login(owner)
    html = _html(client.get(reverse("calendar")))
    assert reverse("settings_integrations") in html
    assert "seven days" in html and "every attendee is from your own organisation" in html


def test_empty_calendar_with_connection_does_not_ask_to_connect(owner_client, connection):
    html = _html(owner_client.get(reverse("calendar")))
    assert "Connect your Outlook calendar" not in html
    assert "Sync now" in html


def test_calendar_labels_the_time_zone(client, owner, event):
    owner.time_zone = "America/Toronto"
    owner.save()
    client.force_login(owner)
    assert "America/Toronto" in _html(client.get(reverse("calendar")))


def test_pagination_keeps_day_grouping(owner_client, connection):
    start = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    last = event_views.PAGE_SIZE
    for i in range(last + 1):
        EventFactory(connection=connection, subject=f"Same day {i:03d}", starts_at=start + timedelta(minutes=i))
    first = _html(owner_client.get(reverse("calendar")))
    second = _html(owner_client.get(reverse("calendar") + "?page=2"))
    assert "Same day 000" in first and f"Same day {last - 1:03d}" in first and f"Same day {last:03d}" not in first
    assert f"Same day {last:03d}" in second and "(continued)" in second


def test_calendar_for_user_of_other_workspace_shows_none_of_ours(outsider_client, event):
    assert "Northwind discovery call" not in _html(outsider_client.get(reverse("calendar")))


def test_calendar_requires_login(client):
    response = client.get(reverse("calendar"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- time zones ----------------------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 10, 30, 12, 0, tzinfo=UTC), tick=False)
def test_times_follow_the_users_zone_across_the_dst_change(client, owner, connection):
    owner.time_zone = "America/New_York"
    owner.save()
    # 18:00 UTC is 2 PM on Friday (EDT, UTC-4) but 1 PM on Monday after clocks go back on Nov 1 (EST, UTC-5).
    EventFactory(connection=connection, subject="Before", starts_at=datetime(2026, 10, 30, 18, 0, tzinfo=UTC))
    EventFactory(connection=connection, subject="After", starts_at=datetime(2026, 11, 2, 18, 0, tzinfo=UTC))
    # 03:30 UTC Tuesday is still Monday evening in New York: it belongs under Monday.
    EventFactory(connection=connection, subject="Late", starts_at=datetime(2026, 11, 3, 3, 30, tzinfo=UTC))
    client.force_login(owner)
    html = _html(client.get(reverse("calendar")))
    friday = html.split("Friday 30 October <span")[1].split('class="day"')[0]
    monday = html.split("Monday 2 November <span")[1]
    assert "EDT" in friday and "2:00 PM" in friday and "Before" in friday
    assert "EST" in monday and "1:00 PM" in monday and "After" in monday
    assert "10:30 PM" in monday and "Late" in monday
    assert "Tuesday 3 November" not in html
    assert "Today · Friday 30 October" in html


def test_group_by_day_keeps_all_day_meetings_on_their_date(connection):
    day = datetime(2026, 11, 2, tzinfo=UTC)
    event = EventFactory(connection=connection, is_all_day=True, starts_at=day, ends_at=day + timedelta(days=1))

    class NY:
        time_zone = "America/Los_Angeles"

    days = group_by_day([event], user_zone(NY))
    assert days[0].day == day.date()


# --- the meeting page --------------------------------------------------------------------------------------


def test_event_detail_shows_origin_transcripts_and_activity(owner_client, event, workspace, owner):
    run = SyncRunFactory(connection=event.connection)
    event.first_sync_run = run
    event.last_sync_run = run
    event.save()
    TranscriptFactory(workspace=workspace, event=event, title="Discovery recording")
    EventActivity.objects.create(event=event, actor=owner, action=EventActivity.Action.DISCARDED)
    html = _html(owner_client.get(reverse("event_detail", args=[event.pk])))
    assert f"run {run.pk}" in html
    assert "Discovery recording" in html
    assert "Discarded by" in html


def test_event_detail_of_other_workspace_is_404(outsider_client, event):
    assert outsider_client.get(reverse("event_detail", args=[event.pk])).status_code == 404


def test_event_detail_of_missing_meeting_is_404(owner_client):
    assert owner_client.get(reverse("event_detail", args=[999999])).status_code == 404


def test_event_detail_offers_workspace_open_deals_only(owner_client, event, deal, other_workspace):
    DealFactory(workspace=other_workspace, name="Foreign deal")
    DealFactory(workspace=event.workspace, name="Lost deal", stage="lost")
    html = _html(owner_client.get(reverse("event_detail", args=[event.pk])))
    assert "Northwind expansion" in html
    assert "Foreign deal" not in html and "Lost deal" not in html


# --- actions ----------------------------------------------------------------------------------------------

ACTIONS = ["event_discard", "event_restore", "event_process", "event_assign", "event_unassign"]


@pytest.mark.parametrize("action", ACTIONS)
def test_get_on_an_action_is_405(owner_client, event, action):
    assert owner_client.get(reverse(action, args=[event.pk])).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_action_without_csrf_token_is_403(owner, event, deal, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse(action, args=[event.pk]), {"deal": deal.pk}).status_code == 403


@pytest.mark.parametrize("action", ACTIONS)
def test_action_on_other_workspace_meeting_is_404(outsider_client, event, action):
    assert outsider_client.post(reverse(action, args=[event.pk])).status_code == 404


def test_discard_hides_event_from_calendar(owner_client, event):
    response = owner_client.post(reverse("event_discard", args=[event.pk]), {"next": reverse("calendar")})
    assert response.status_code == 302 and response["Location"] == reverse("calendar")
    event.refresh_from_db()
    assert event.state == CalendarEvent.State.DISCARDED
    page = owner_client.get(reverse("calendar"))
    html = _html(page)
    assert "Northwind discovery call" not in html.split('class="messages"')[-1].split("</ul>", 1)[-1]
    assert "discarded" in html.lower()


def test_discard_by_htmx_answers_the_updated_row(owner_client, event):
    response = owner_client.post(reverse("event_discard", args=[event.pk]), HTTP_HX_REQUEST="true")
    html = _html(response)
    assert html.strip().startswith("<article") and f'id="event-{event.pk}"' in html
    assert ">Discarded</span>" in html and "Restore" in html
    assert "<html" not in html


def test_restore_brings_the_meeting_back(owner_client, event, owner):
    owner_client.post(reverse("event_discard", args=[event.pk]))
    owner_client.post(reverse("event_restore", args=[event.pk]))
    event.refresh_from_db()
    assert event.state == CalendarEvent.State.ACTIVE
    assert "Northwind discovery call" in _html(owner_client.get(reverse("calendar")))


def test_next_parameter_must_stay_on_this_site(owner_client, event):
    response = owner_client.post(reverse("event_discard", args=[event.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("calendar")


def test_process_again_reports_what_changed(owner_client, event, workspace):
    ContactFactory(workspace=workspace, name="Nina Northwind", email="nina@northwind.example")
    event.account = None
    event.save()
    response = owner_client.post(reverse("event_process", args=[event.pk]), follow=True)
    assert "Linked 1 contact and the account Northwind; no new transcript matched." in _html(response)


def test_process_again_on_discarded_meeting_explains_instead(owner_client, event):
    CalendarEvent.objects.filter(pk=event.pk).update(state=CalendarEvent.State.DISCARDED)
    response = owner_client.post(reverse("event_process", args=[event.pk]), follow=True)
    assert "Restore it first" in _html(response)
    event.refresh_from_db()
    assert event.processed_at is None


def test_assign_to_deal_by_htmx_shows_the_deal(owner_client, event, deal):
    response = owner_client.post(reverse("event_assign", args=[event.pk]), {"deal": deal.pk}, HTTP_HX_REQUEST="true")
    html = _html(response)
    assert reverse("deal_detail", args=[deal.pk]) in html and "Unassign" in html
    event.refresh_from_db()
    assert event.deal == deal


def test_assign_other_workspace_deal_is_404_and_changes_nothing(owner_client, event, other_workspace):
    foreign = DealFactory(workspace=other_workspace)
    response = owner_client.post(reverse("event_assign", args=[event.pk]), {"deal": foreign.pk})
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.deal is None
    assert not EventActivity.objects.filter(event=event).exists()


def test_assign_without_a_deal_says_so(owner_client, event):
    response = owner_client.post(reverse("event_assign", args=[event.pk]), {"deal": "abc"}, follow=True)
    assert "Choose a deal" in _html(response)
    event.refresh_from_db()
    assert event.deal is None


def test_unassign_removes_the_deal(owner_client, deal_event):
    owner_client.post(reverse("event_unassign", args=[deal_event.pk]))
    deal_event.refresh_from_db()
    assert deal_event.deal is None


def test_team_member_who_unassigns_loses_sight_and_gets_a_plain_note(client, deal_event, team_member):
    client.force_login(team_member)
    response = client.post(reverse("event_unassign", args=[deal_event.pk]), HTTP_HX_REQUEST="true")
    html = _html(response)
    assert "no longer see this meeting" in html


# --- the deal page ------------------------------------------------------------------------------------------


def test_deal_page_lists_its_visible_meetings(client, deal_event, deal, team_member, other_member):
    client.force_login(team_member)
    assert "Northwind discovery call" in _html(client.get(reverse("deal_detail", args=[deal.pk])))
    client.force_login(other_member)
    assert "Northwind discovery call" not in _html(client.get(reverse("deal_detail", args=[deal.pk])))


# --- query bound ------------------------------------------------------------------------------------------


def _many_meetings(connection, workspace, n):
    account = AccountFactory(workspace=workspace)
    DealFactory(workspace=workspace, account=account)
    DealFactory(workspace=workspace, account=account)
    deal = DealFactory(workspace=workspace, account=account)
    contact = ContactFactory(workspace=workspace, account=account)
    start = timezone.now() + timedelta(hours=1)
    for i in range(n):
        event = EventFactory(
            connection=connection,
            starts_at=start + timedelta(minutes=45 * i),
            account=account,
            deal=deal if i % 3 == 0 else None,
        )
        AttendeeFactory(event=event, contact=contact, email=contact.email)
        AttendeeFactory(event=event, is_internal=True)
        if i % 5 == 0:
            TranscriptFactory(workspace=workspace, event=event)


def test_calendar_runs_a_bounded_number_of_queries(owner_client, connection, workspace, django_assert_max_num_queries):
    _many_meetings(connection, workspace, event_views.PAGE_SIZE + 10)  # a full page and more behind it
    with django_assert_max_num_queries(12):
        html = _html(owner_client.get(reverse("calendar")))
    assert html.count('class="event-row') == event_views.PAGE_SIZE


def test_event_detail_words_show_as_like_outlook(owner_client, event):
    event.show_as = "oof"
    event.save(update_fields=["show_as"])
    page = owner_client.get(reverse("event_detail", args=[event.pk])).content.decode()
    assert "Out of office" in page
