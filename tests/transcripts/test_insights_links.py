"""Numbers link to the meetings they count (issue 14): on the account and deal pages, "Meetings, last 30 days",
"Without a transcript" and "Possible no-shows" open the calendar's Past view filtered to exactly those meetings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import EventAttendee
from tests.factories import AccountFactory, AttendeeFactory, DealFactory, TranscriptFactory
from tests.transcripts.helpers import meeting
from transcripts.insights import account_insights, deal_insights

pytestmark = pytest.mark.django_db
R = EventAttendee.Response


def at(days, hours=0):
    return timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)


@pytest.fixture
def story(workspace, user):
    account = AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    deal = DealFactory(workspace=workspace, account=account, owner=user)
    other = AccountFactory(workspace=workspace, name="Contoso", domain="contoso.example")
    m = {
        "recent": meeting(user, start=at(-10), deal=deal, account=account),
        "today": meeting(user, start=at(0, -3), deal=deal, account=account),
        "old": meeting(user, start=at(-40), deal=deal, account=account),
        "declined": meeting(user, start=at(-5), guests=[], deal=deal, account=account),
        "deal_only": meeting(user, start=at(-12), deal=deal),
        "cancelled": meeting(user, start=at(-7), deal=deal, account=account, is_cancelled=True),
        "coming": meeting(user, start=at(2), deal=deal, account=account),
        "other": meeting(user, start=at(-3), account=other),
    }
    AttendeeFactory(event=m["declined"], email="lee@northwind.example", response=R.DECLINED)
    for key in ("recent", "declined", "deal_only"):
        TranscriptFactory(workspace=workspace, event=m[key], match_status="matched")
    return {"account": account, "deal": deal, **m}


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {e.pk for e in response.context["page"].object_list}


def _pks(story, *keys):
    return {story[k].pk for k in keys}


def test_account_meetings_last_30_days_opens_exactly_those(story, user, user_client):
    data = account_insights(account=story["account"], user=user)

    assert data["meetings_last_30_days"] == 4
    assert _listed(user_client, data["past_url"]) == _pks(story, "recent", "today", "declined", "deal_only")


def test_account_without_transcript_opens_exactly_those(story, user, user_client):
    data = account_insights(account=story["account"], user=user)

    assert data["without_transcript_count"] == 2
    assert _listed(user_client, data["no_transcript_url"]) == _pks(story, "today", "old")


def test_account_possible_no_shows_open_exactly_those(story, user, user_client):
    data = account_insights(account=story["account"], user=user)

    assert data["no_show_count"] == 3
    assert _listed(user_client, data["no_show_url"]) == _pks(story, "today", "old", "declined")


def test_deal_numbers_open_exactly_the_meetings_they_count(story, user, user_client):
    data = deal_insights(deal=story["deal"], user=user)

    assert _listed(user_client, data["past_url"]) == _pks(story, "recent", "today", "declined", "deal_only")
    assert _listed(user_client, data["no_transcript_url"]) == _pks(story, "today", "old")
    assert _listed(user_client, data["no_show_url"]) == _pks(story, "today", "old", "declined")


def test_the_account_page_links_each_number(story, user_client):
    page = user_client.get(reverse("account_detail", args=[story["account"].pk])).content.decode()
    query = f"account={story['account'].pk}"

    assert f'<a href="/calendar/?view=past&amp;days=30&amp;{query}">4</a>' in page
    assert f'<a href="/calendar/?view=past&amp;flag=no_transcript&amp;{query}">2</a>' in page
    assert f'<a href="/calendar/?view=past&amp;flag=no_show&amp;{query}">3</a>' in page


def test_a_user_of_another_workspace_gets_nothing_from_the_links(story, user, outsider_client):
    data = account_insights(account=story["account"], user=user)

    for url in (data["past_url"], data["no_transcript_url"], data["no_show_url"]):
        assert _listed(outsider_client, url) == set()


def test_an_unknown_flag_or_days_is_ignored(story, user_client):
    plain = _listed(user_client, f"/calendar/?view=past&account={story['account'].pk}")

    assert _listed(user_client, f"/calendar/?view=past&flag=bogus&days=x&account={story['account'].pk}") == plain
