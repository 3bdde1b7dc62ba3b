"""Issue 16: a 5,000-attendee meeting's admin page lists the first attendees and links to the paginated list."""

import pytest
from django.contrib.auth.models import Group

from calendar_sync.admin import ATTENDEE_INLINE_MAX
from calendar_sync.models import EventAttendee
from tests.factories import EventFactory, UserFactory


@pytest.fixture
def support_client(client, db):
    staff = UserFactory(email="support@ruby.example", is_staff=True, workspace=False)
    staff.save()
    staff.groups.add(Group.objects.get(name="Ruby support"))
    client.force_login(staff)
    return client


def test_town_hall_admin_page_shows_first_attendees_and_links_to_all(support_client, django_assert_max_num_queries):
    event = EventFactory(subject="All hands")
    EventAttendee.objects.bulk_create(
        [EventAttendee(event=event, email=f"person{n}@corp.example", name=f"Person {n}") for n in range(5000)]
    )

    with django_assert_max_num_queries(30):
        response = support_client.get(f"/admin/calendar_sync/calendarevent/{event.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 300_000
    assert html.count("@corp.example") == ATTENDEE_INLINE_MAX
    assert f'href="/admin/calendar_sync/eventattendee/?event__id__exact={event.pk}"' in html
    assert "All 5,000 attendees, page by page" in html


def test_the_attendee_list_is_paginated_for_one_event(support_client):
    event = EventFactory(subject="All hands")
    EventAttendee.objects.bulk_create(
        [EventAttendee(event=event, email=f"person{n}@corp.example", name=f"Person {n}") for n in range(250)]
    )
    response = support_client.get(f"/admin/calendar_sync/eventattendee/?event__id__exact={event.pk}")
    assert response.status_code == 200
    assert response.content.decode().count("@corp.example</") <= 100
    assert "250 attendees" in response.content.decode() or "250 event attendees" in response.content.decode()
