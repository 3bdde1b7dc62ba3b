"""Insights a seller acts on (issue 14), each against hand-built data: possible no-shows, people never met,
meetings per week (SVG), deals with no meeting in the next 14 days, this week by deal stage, and links."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calendar_sync.models import EventAttendee
from deals.models import Deal
from tests.factories import AccountFactory, AttendeeFactory, ContactFactory, DealFactory, TranscriptFactory
from tests.transcripts.helpers import meeting
from transcripts.charts import meetings_per_week, weekly_bars_svg
from transcripts.insights import account_insights, deal_insights
from transcripts.insights_home import deals_without_next_meeting, week_by_stage

R = EventAttendee.Response
pytestmark = pytest.mark.django_db


def at(days, hours=0):
    return timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)


@pytest.fixture
def account(workspace):
    return AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")


def test_a_meeting_every_external_invitee_declined_is_a_possible_no_show(user, account):
    declined = meeting(user, start=at(-3), guests=[], account=account, subject="Declined")
    AttendeeFactory(event=declined, email="dana@northwind.example", response=R.DECLINED)
    AttendeeFactory(event=declined, email="lee@northwind.example", response=R.DECLINED)
    TranscriptFactory(workspace=account.workspace, event=declined)

    data = account_insights(account=account, user=user)

    assert [(e.subject, e.no_show_why) for e in data["no_shows"]] == [("Declined", "every external invitee declined")]


def test_a_meeting_that_ended_without_a_transcript_is_a_possible_no_show(user, account):
    meeting(user, start=at(-2), guests=["dana@northwind.example"], account=account, subject="Silent")
    held = meeting(user, start=at(-1), guests=["dana@northwind.example"], account=account, subject="Held")
    TranscriptFactory(workspace=account.workspace, event=held)

    data = account_insights(account=account, user=user)

    assert [(e.subject, e.no_show_why) for e in data["no_shows"]] == [("Silent", "ended without a transcript")]
    assert data["no_show_count"] == 1


def test_a_coming_meeting_is_never_a_no_show(user, account):
    meeting(user, start=at(2), guests=["dana@northwind.example"], account=account)

    assert account_insights(account=account, user=user)["no_show_count"] == 0


def test_people_on_the_account_never_met_include_contacts_without_meetings(user, account, workspace):
    ContactFactory(workspace=workspace, account=account, name="Kim Alvarez", email="kim@northwind.example")
    meeting(user, start=at(-5), guests=["dana@northwind.example"], account=account)
    meeting(user, start=at(3), guests=["lee@northwind.example"], account=account)

    data = account_insights(account=account, user=user)

    assert [p["email"] for p in data["never_met"]] == ["lee@northwind.example", "kim@northwind.example"]


def test_meetings_per_week_counts_twelve_weeks_ending_this_week():
    today = timezone.localdate()
    now = timezone.now()

    weeks = meetings_per_week([now, now, now - timedelta(weeks=2), now - timedelta(weeks=20)], today=today)

    assert len(weeks) == 12
    assert weeks[-1][1] == 2 and weeks[-3][1] == 1 and sum(n for _, n in weeks) == 3


def test_the_chart_is_an_svg_with_one_bar_per_week():
    weeks = meetings_per_week([timezone.now()])

    svg = str(weekly_bars_svg(weeks))

    assert svg.startswith("<svg") and svg.count("<rect") == 12
    assert 'aria-label="Meetings per week, last 12 weeks: 1 in all"' in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_account_page_shows_the_chart_and_links_its_counts(user_client, user, account):
    meeting(user, start=at(-3), guests=["dana@northwind.example"], account=account)

    body = user_client.get(f"/deals/accounts/{account.pk}/").content.decode()

    assert '<svg class="chart-weekly"' in body
    assert f'<a href="/calendar/?view=past&amp;days=30&amp;account={account.pk}">1</a>' in body


def test_deal_page_links_its_counts_to_the_calendar(user_client, user, workspace, account):
    deal = DealFactory(workspace=workspace, account=account, owner=user)
    meeting(user, start=at(-3), guests=["dana@northwind.example"], deal=deal, account=account)

    body = user_client.get(f"/deals/{deal.pk}/").content.decode()

    assert f'<a href="/calendar/?view=past&amp;days=30&amp;deal={deal.pk}">1</a>' in body
    assert '<svg class="chart-weekly"' in body


def test_deals_with_no_meeting_in_the_next_14_days(user, workspace, account):
    booked = DealFactory(workspace=workspace, account=account, owner=user, name="Booked")
    quiet = DealFactory(workspace=workspace, account=account, owner=user, name="Quiet")
    far = DealFactory(workspace=workspace, account=account, owner=user, name="Far")
    DealFactory(workspace=workspace, owner=user, name="Won", stage=Deal.Stage.WON)
    meeting(user, start=at(3), deal=booked)
    meeting(user, start=at(-7), deal=quiet)
    meeting(user, start=at(20), deal=far)

    rows = deals_without_next_meeting(user=user, workspace=workspace)

    assert [(r["deal"].name, r["last_meeting"] is not None) for r in rows] == [("Far", False), ("Quiet", True)]


def test_this_week_by_deal_stage_in_pipeline_order(user, workspace, account):
    proposal = DealFactory(workspace=workspace, owner=user, stage=Deal.Stage.PROPOSAL)
    discovery = DealFactory(workspace=workspace, owner=user, stage=Deal.Stage.DISCOVERY)
    meeting(user, start=at(1), deal=proposal)
    meeting(user, start=at(2), deal=discovery)
    meeting(user, start=at(3), deal=discovery)
    meeting(user, start=at(4))
    meeting(user, start=at(9), deal=proposal)

    rows = week_by_stage(user=user, workspace=workspace)

    assert [(r["stage"], r["count"]) for r in rows] == [("Discovery", 2), ("Proposal", 1), ("No deal yet", 1)]


def test_home_shows_the_stage_counts_linked_to_their_meetings(user_client, user, workspace):
    deal = DealFactory(workspace=workspace, owner=user, stage=Deal.Stage.PROPOSAL)
    event = meeting(user, start=at(1), deal=deal, subject="Pricing call")

    body = user_client.get("/").content.decode()

    assert "<summary><b>1</b> Proposal</summary>" in body
    assert f'<a href="/calendar/events/{event.pk}/">Pricing call</a>' in body


def test_insights_never_count_a_colleagues_meeting(user, member, account):
    meeting(member, start=at(-2), guests=["dana@northwind.example"], account=account)

    data = account_insights(account=account, user=user)

    assert data["no_show_count"] == 0 and data["meeting_count"] == 0


def test_deal_insights_never_met_lists_invited_only_people(user, workspace, account):
    deal = DealFactory(workspace=workspace, account=account, owner=user)
    meeting(user, start=at(2), guests=["kim@northwind.example"], deal=deal)

    assert [p["email"] for p in deal_insights(deal=deal, user=user)["never_met"]] == ["kim@northwind.example"]
