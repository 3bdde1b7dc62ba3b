"""The week view: a day-by-day grid besides the list, remembered per user."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from calendar_sync.models import CalendarEvent
from calendar_sync.selectors.events import user_zone
from calendar_sync.selectors.week import week_grid
from tests.factories import ConnectionFactory, EventFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)


def test_choosing_week_is_remembered_for_the_user(user_client, user):
    response = user_client.post("/calendar/layout/", {"layout": "week"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.calendar_layout == "week"


def test_an_unknown_layout_falls_back_to_the_list(user_client, user):
    user_client.post("/calendar/layout/", {"layout": "month"})

    user.refresh_from_db()
    assert user.calendar_layout == "list"


def test_the_layout_switch_needs_a_post(user_client):
    assert user_client.get("/calendar/layout/?layout=week").status_code == 405


def test_the_layout_switch_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post("/calendar/layout/", {"layout": "week"}).status_code == 403


def test_a_user_of_another_workspace_never_sees_our_meetings_in_the_week(outsider_client, outsider, connection):
    EventFactory(connection=connection, subject="Northwind discovery")
    outsider.calendar_layout = "week"
    outsider.save()

    body = outsider_client.get("/calendar/").content.decode()

    assert "Northwind discovery" not in body


@time_machine.travel(NOW, tick=False)
def test_the_week_grid_links_each_meeting_to_its_page(user_client, user, connection):
    event = EventFactory(
        connection=connection, subject="Northwind discovery", starts_at=NOW + timedelta(days=1, hours=2)
    )
    user.calendar_layout = "week"
    user.save()

    body = user_client.get("/calendar/").content.decode()

    assert 'class="week-grid wh-' in body
    assert f'href="/calendar/events/{event.pk}/"' in body and "Northwind discovery" in body
    assert 'aria-pressed="true">Week</button>' in body


@time_machine.travel(NOW, tick=False)
def test_blocks_are_placed_by_local_time_in_their_day_column(user, connection):
    user.time_zone = "America/Toronto"  # UTC-5 in December
    EventFactory(connection=connection, starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 10:00 Toronto, Tue

    week = week_grid(CalendarEvent.objects.all(), user_zone(user), today=datetime(2026, 11, 30).date())

    assert [len(d.blocks) for d in week.days] == [0, 1, 0, 0, 0, 0, 0]
    assert week.hours[0] == 8 and week.hours[-1] == 17
    block = week.days[1].blocks[0]
    assert (block.top, block.height) == (20.0, 5.0)  # 2 h into a 10 h day, 30 minutes long


@time_machine.travel(NOW, tick=False)
def test_overlapping_meetings_share_the_column_side_by_side(user, connection):
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    EventFactory(connection=connection, starts_at=start, ends_at=start + timedelta(hours=1))
    EventFactory(connection=connection, starts_at=start + timedelta(minutes=30), ends_at=start + timedelta(hours=1))
    EventFactory(connection=connection, starts_at=start + timedelta(hours=3), ends_at=start + timedelta(hours=4))

    week = week_grid(CalendarEvent.objects.all(), user_zone(user), today=datetime(2026, 11, 30).date())

    blocks = week.days[1].blocks
    assert [(b.lane, b.lanes) for b in blocks] == [(0, 2), (1, 2), (0, 1)]
    assert (blocks[1].left, blocks[1].width) == (50.0, 50.0)
    assert blocks[1].css == "wt-25 whh-5 wl-1-2"  # 10:30 in an 8-18 day, 30 minutes, right half


@time_machine.travel(NOW, tick=False)
def test_the_week_grid_places_blocks_by_class_not_style_attribute(user_client, user, connection):
    # The Content-Security-Policy allows no inline styles: positions come from static/css/week-grid.css.
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    EventFactory(connection=connection, starts_at=start, ends_at=start + timedelta(minutes=30))
    user_client.post("/calendar/layout/", {"layout": "week"})
    page = user_client.get("/calendar/").content.decode()
    assert 'class="week-block wt-' in page
    assert "style=" not in page.split('class="week-scroll"', 1)[1]


@time_machine.travel(NOW, tick=False)
def test_an_early_meeting_widens_the_hours(user, connection):
    EventFactory(connection=connection, starts_at=datetime(2026, 12, 2, 6, 30, tzinfo=UTC))

    week = week_grid(CalendarEvent.objects.all(), user_zone(user), today=datetime(2026, 11, 30).date())

    assert week.hours[0] == 6


def test_past_view_stays_a_list_whatever_the_layout(user_client, user):
    user.calendar_layout = "week"
    user.save()

    assert 'class="week-grid wh-' not in user_client.get("/calendar/?view=past").content.decode()
