"""Meeting insights on deal, account and contact pages, and the home page's coming week."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventAttendee
from ruby_site.models import Workspace
from tests.factories import AccountFactory, AttendeeFactory, ContactFactory, DealFactory, TranscriptFactory
from tests.transcripts.helpers import meeting
from transcripts.insights import account_insights, contact_meetings, deal_insights, week_by_deal

R = EventAttendee.Response


def at(days, hours=0):
    return timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)


def attend(event, email, response):
    AttendeeFactory(event=event, email=email, name=email.split("@")[0].title(), response=response)


@pytest.fixture
def story(workspace, user, member):
    """One deal: two past meetings (one with a transcript), one coming, one discarded, one of a colleague."""
    account = AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    deal = DealFactory(workspace=workspace, account=account, owner=user)
    ContactFactory(workspace=workspace, email="dana@northwind.example", name="Dana", account=account)
    recent = meeting(user, start=at(-10), guests=[], deal=deal, account=account, subject="Recent")
    attend(recent, "dana@northwind.example", R.ACCEPTED)
    attend(recent, "lee@northwind.example", R.DECLINED)
    old = meeting(user, start=at(-40), guests=[], deal=deal, account=account, subject="Old")
    attend(old, "dana@northwind.example", R.TENTATIVE)
    coming = meeting(user, start=at(2), guests=[], deal=deal, account=account, subject="Coming")
    attend(coming, "dana@northwind.example", R.NOT_RESPONDED)
    attend(coming, "kim@northwind.example", R.NONE)
    meeting(user, start=at(-5), guests=["zed@northwind.example"], deal=deal, state=CalendarEvent.State.DISCARDED)
    meeting(member, start=at(-3), guests=["pat@northwind.example"], account=account, subject="Colleague's")
    TranscriptFactory(workspace=workspace, event=recent, match_status="matched")
    return {"deal": deal, "account": account, "recent": recent, "old": old, "coming": coming}


def test_deal_insights_numbers(story, user):
    data = deal_insights(deal=story["deal"], user=user)
    assert data["next_meeting"] == story["coming"]
    assert data["last_meeting"] == story["recent"]
    assert data["meetings_last_30_days"] == 1
    assert data["meeting_count"] == 3
    assert data["without_transcript_count"] == 1
    assert data["without_transcript"] == [story["old"]]
    assert data["transcript_count"] == 1


def test_stakeholders_with_latest_response(story, user):
    people = {p["email"]: p for p in deal_insights(deal=story["deal"], user=user)["stakeholders"]}
    assert set(people) == {"dana@northwind.example", "lee@northwind.example", "kim@northwind.example"}
    assert (people["dana@northwind.example"]["met"], people["dana@northwind.example"]["response"]) == (
        2,
        R.NOT_RESPONDED,
    )
    assert people["lee@northwind.example"]["response_label"] == "Declined"
    assert people["kim@northwind.example"]["met"] == 0
    assert "sam@ruby-demo.example" not in people  # internal people are not stakeholders


def test_attendees_not_yet_contacts_get_an_add_link(story, user):
    not_contacts = deal_insights(deal=story["deal"], user=user)["not_contacts"]
    assert [p["email"] for p in not_contacts] == ["lee@northwind.example", "kim@northwind.example"]
    link = urlparse(not_contacts[0]["add_url"])
    assert link.path == reverse("contact_create")
    assert parse_qs(link.query) == {
        "email": ["lee@northwind.example"],
        "name": ["Lee"],
        "account": [str(story["account"].pk)],
    }


def test_account_insights_count_only_meetings_the_user_may_see(story, user):
    data = account_insights(account=story["account"], user=user)
    assert data["meeting_count"] == 3
    assert "pat@northwind.example" not in {p["email"] for p in data["stakeholders"]}


def test_workspace_visibility_counts_colleagues_meetings(story, user, workspace):
    Workspace.objects.filter(pk=workspace.pk).update(event_visibility="workspace")
    user.membership.workspace.refresh_from_db()
    data = account_insights(account=story["account"], user=user)
    assert data["meeting_count"] == 4


def test_deal_team_sees_the_deals_meetings(story, member):
    assert deal_insights(deal=story["deal"], user=member)["meeting_count"] == 0
    story["deal"].team.add(member)
    assert deal_insights(deal=story["deal"], user=member)["meeting_count"] == 3


def test_transcript_assigned_to_deal_brings_its_meeting(workspace, user):
    deal = DealFactory(workspace=workspace)
    event = meeting(user, start=at(-1))
    TranscriptFactory(workspace=workspace, event=event, deal=deal)
    assert deal_insights(deal=deal, user=user)["last_meeting"] == event


def test_contact_meetings(story, user, workspace):
    dana = workspace.contacts.get(email="dana@northwind.example")
    assert contact_meetings(contact=dana, user=user) == [story["coming"], story["recent"], story["old"]]


def test_insights_run_a_fixed_number_of_queries(story, user, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        deal_insights(deal=story["deal"], user=user)


def test_deal_page_shows_insights(user_client, story):
    page = user_client.get(reverse("deal_detail", args=[story["deal"].pk])).content.decode()
    assert "Meeting activity" in page
    assert "Add as contact" in page
    assert "Coming" in page


def test_account_page_shows_insights(user_client, story):
    page = user_client.get(reverse("account_detail", args=[story["account"].pk])).content.decode()
    assert "Meetings, last 30 days" in page


def test_deal_page_of_another_workspace_is_404(outsider_client, story):
    assert outsider_client.get(reverse("deal_detail", args=[story["deal"].pk])).status_code == 404


def test_home_groups_the_coming_week_by_deal(user_client, story, user, workspace):
    unassigned = meeting(user, start=at(1), guests=["ravi@fabrikam.example"], subject="Fabrikam intro")
    meeting(user, start=at(9), guests=["ravi@fabrikam.example"], subject="Too far")
    groups = week_by_deal(user=user, workspace=workspace)
    assert [(g["deal"], [e.subject for e in g["events"]]) for g in groups] == [
        (story["deal"], ["Coming"]),
        (None, [unassigned.subject]),
    ]
    page = user_client.get(reverse("home")).content.decode()
    assert "Fabrikam intro" in page and "Not assigned to a deal" in page


def test_home_leaves_out_internal_meetings(user, workspace):
    meeting(user, start=at(1), guests=["mia@ruby-demo.example"], subject="Internal sync")
    assert week_by_deal(user=user, workspace=workspace) == []


def test_cancelled_meetings_do_not_count_in_insights(story, user):
    meeting(user, start=at(1), deal=story["deal"], account=story["account"], subject="Cancelled", is_cancelled=True)
    meeting(user, start=at(-2), deal=story["deal"], account=story["account"], is_cancelled=True)
    data = deal_insights(deal=story["deal"], user=user)
    assert data["next_meeting"] == story["coming"]
    assert data["last_meeting"] == story["recent"]
    assert data["meetings_last_30_days"] == 1
    assert data["without_transcript_count"] == 1
