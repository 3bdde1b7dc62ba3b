"""The sandbox week, served through the same Graph client the real sync uses."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.utils import timezone

from calendar_sync.models import CalendarEvent, SyncRun
from calendar_sync.sandbox import events as sandbox
from calendar_sync.services.sync import sync_connection
from tests.factories import AccountFactory, ConnectionFactory

pytestmark = pytest.mark.django_db
IDENTITY = {"email": "sam@ruby-demo.example", "name": "Sam Seller", "oid": "oid-1", "tid": "tid-1"}


@pytest.fixture
def connection(user):
    """The logged-in user's own connection (conftest's `connection` belongs to `owner`)."""
    return ConnectionFactory(user=user)


@pytest.fixture
def sandbox_graph(rsps, graph_token, slept):
    def answer(request):
        status, body, headers = sandbox.calendar_view(IDENTITY, request.url)
        return status, headers, json.dumps(body)

    rsps.add_callback(responses.GET, sandbox_url(), callback=answer)


def sandbox_url():
    from django.conf import settings

    return f"{settings.MICROSOFT_GRAPH_URL}/v1.0/me/calendarView"


def test_the_week_is_the_same_for_the_same_person_and_day():
    today = datetime(2026, 11, 23, tzinfo=UTC).date()

    assert sandbox.week_for(IDENTITY, today=today) == sandbox.week_for(IDENTITY, today=today)
    assert sandbox.week_for(IDENTITY, today=today) != sandbox.week_for(
        {**IDENTITY, "email": "x@y.example"}, today=today
    )


def test_the_week_has_everything_the_demo_needs():
    week = sandbox.week_for(IDENTITY, today=datetime(2026, 11, 23, tzinfo=UTC).date())

    assert any(e["sensitivity"] == "private" for e in week)
    assert any(e["isCancelled"] for e in week) and any(e["isAllDay"] for e in week)
    assert sum(e["type"] == "occurrence" for e in week) >= 3
    assert len({e["seriesMasterId"] for e in week if e["seriesMasterId"]}) == 1
    assert len({e["originalStartTimeZone"] for e in week}) >= 4
    assert any(a["status"]["response"] == "declined" for e in week for a in e["attendees"])
    assert any("teams.microsoft.com" in (e["onlineMeeting"] or {}).get("joinUrl", "") for e in week)
    assert any("zoom.us" in (e["onlineMeeting"] or {}).get("joinUrl", "") for e in week)
    assert any("zoom.us" in e["location"]["displayName"] and not e["onlineMeeting"] for e in week)
    internal_only = [
        e for e in week if all(a["emailAddress"]["address"].endswith("@ruby-demo.example") for a in e["attendees"])
    ]
    assert len(internal_only) >= 3


def test_calendar_view_pages_with_next_links_and_honours_top():
    start = timezone.now()
    url = (
        f"https://graph.microsoft.com/v1.0/me/calendarView?startDateTime={start:%Y-%m-%dT%H:%M:%SZ}"
        f"&endDateTime={start + timedelta(days=7):%Y-%m-%dT%H:%M:%SZ}&$top=2"
    )

    status, body, _ = sandbox.calendar_view(IDENTITY, url)

    assert status == 200 and len(body["value"]) == 2 and "$skip=2" in body["@odata.nextLink"].replace("%24", "$")


def test_calendar_view_without_a_window_is_a_400():
    status, body, _ = sandbox.calendar_view(IDENTITY, "https://graph.microsoft.com/v1.0/me/calendarView")

    assert status == 400 and body["error"]["code"] == "ErrorInvalidParameter"


def test_a_sync_of_the_sandbox_week_stores_the_filtered_week(user, connection, sandbox_graph):
    AccountFactory(workspace=user.membership.workspace, domain="northwind.example")
    AccountFactory(workspace=user.membership.workspace, domain="contoso.example")

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    assert run.status == SyncRun.Status.SUCCEEDED and run.pages > 1
    assert (
        run.skip_reasons.get("internal", 0) >= 3 and run.skip_reasons.get("private") == 2
    )  # lunch with Dana, the dentist
    subjects = set(CalendarEvent.objects.values_list("subject", flat=True))
    assert "Weekly pipeline review" not in subjects and "Lunch with Dana" not in subjects
    assert "Joint call: Northwind & Contoso integration" in subjects
    joint = CalendarEvent.objects.get(subject__startswith="Joint call")
    assert joint.account is None
    discovery = CalendarEvent.objects.get(subject__startswith="Northwind — discovery")
    assert discovery.account.domain == "northwind.example" and len(discovery.body_preview) <= 255

    again = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    assert again.created == again.updated == again.removed == 0 and again.unchanged == run.created
