"""The rough edges a newcomer hits (issue 14): each one, as the page shows it."""

from datetime import date

import pytest

from calendar_sync.normalize import BODY_PREVIEW_MAX
from calendar_sync.templatetags.calendar_events import preview
from tests.factories import ConnectionFactory, DealFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served_not_a_404(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"


def test_every_page_links_the_favicon(client):
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()


def test_a_cancelled_meeting_offers_no_join_link(user_client, user):
    EventFactory(
        connection=ConnectionFactory(user=user),
        subject="Cancelled call",
        is_cancelled=True,
        join_url="https://teams.microsoft.com/l/meetup-join/abc",
        online_provider="teams",
    )

    body = user_client.get("/calendar/").content.decode()

    assert "Cancelled call" in body and "Join Teams" not in body


def test_a_live_meeting_still_offers_its_join_link(user_client, user):
    EventFactory(
        connection=ConnectionFactory(user=user),
        join_url="https://teams.microsoft.com/l/meetup-join/abc",
        online_provider="teams",
    )

    assert "Join Teams" in user_client.get("/calendar/").content.decode()


def test_a_cut_preview_ends_at_a_word_with_an_ellipsis():
    text = ("alpha beta " * 40)[:BODY_PREVIEW_MAX]

    shown = preview(text)

    assert shown.endswith("…") and len(shown) <= BODY_PREVIEW_MAX
    assert shown[:-1].split(" ")[-1] in {"alpha", "beta"}


def test_a_short_preview_is_shown_whole():
    assert preview("See you Thursday.") == "See you Thursday."


def test_deal_owner_is_shown_by_name_not_email(user_client, user, workspace):
    user.first_name, user.last_name = "Sam", "Seller"
    user.save()
    deal = DealFactory(workspace=workspace, owner=user, name="Northwind renewal")

    list_body = user_client.get("/deals/").content.decode()
    detail_body = user_client.get(f"/deals/{deal.pk}/").content.decode()

    assert '<td class="hide-sm">Sam Seller</td>' in list_body
    assert "<dt>Owner</dt><dd>Sam Seller</dd>" in detail_body


def test_dates_use_the_one_product_format(user_client, workspace):
    deal = DealFactory(workspace=workspace, close_date=date(2027, 1, 31))

    body = user_client.get(f"/deals/{deal.pk}/").content.decode()

    assert "<dt>Close date</dt><dd>Sun 31 Jan 2027</dd>" in body
    assert "Jan. 31, 2027" not in body
