"""The calendar in a real browser: seeded meetings → discard → restore → assign to a deal → the deal's team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ruby_site.models import Membership
from tests.e2e.helpers import login, meeting_row, open_calendar, screenshot
from tests.factories import AccountFactory, AttendeeFactory, ConnectionFactory, DealFactory, EventFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def seeded(transactional_db):
    from tests.factories import WorkspaceFactory

    workspace = WorkspaceFactory(name="Acme Sales", slug="acme-e2e", internal_domains=["acme.example"])
    owner = UserFactory(email="sam@acme.example", first_name="Sam", workspace=workspace, workspace__role="admin")
    colleague = UserFactory(email="mia@acme.example", first_name="Mia", workspace=workspace)
    assert colleague.membership.role == Membership.Role.MEMBER
    account = AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    deal = DealFactory(workspace=workspace, account=account, name="Northwind expansion", owner=owner)
    connection = ConnectionFactory(user=owner)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    subjects = ["Northwind discovery call", "Contoso pricing review", "Fabrikam onboarding"]
    events = {}
    for i, subject in enumerate(subjects):
        event = EventFactory(
            connection=connection,
            subject=subject,
            starts_at=start + timedelta(days=i, hours=i),
            account=account if i == 0 else None,
            is_online=True,
            online_provider="teams",
            join_url="https://teams.microsoft.com/l/meetup-join/e2e",
        )
        AttendeeFactory(
            event=event, email=owner.email, name="Sam", response="organizer", is_organizer=True, is_internal=True
        )
        AttendeeFactory(event=event, email=f"guest{i}@northwind.example", name=f"Guest {i}", response="accepted")
        events[subject] = event
    return {"owner": owner, "colleague": colleague, "deal": deal, "events": events}


def test_discard_restore_assign_and_share_with_the_deal_team(page, browser, live_server, seeded, artifacts):
    base = live_server.url
    login(page, base, "sam@acme.example", PASSWORD)
    open_calendar(page, base)
    for subject in seeded["events"]:
        expect(meeting_row(page, subject)).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, artifacts, "calendar-seeded", widths=(390,))

    # Discard: the row answers in place (htmx), then the meeting is gone from Upcoming and under Discarded.
    row = meeting_row(page, "Contoso pricing review")
    row.get_by_role("button", name="Discard").click()
    expect(row.locator(".badge", has_text="Discarded")).to_be_visible()
    open_calendar(page, base)
    expect(meeting_row(page, "Contoso pricing review")).to_have_count(0)
    open_calendar(page, base, view="discarded")
    row = meeting_row(page, "Contoso pricing review")
    expect(row).to_be_visible()

    # Restore: back in Upcoming.
    row.get_by_role("button", name="Restore").click()
    expect(row.locator(".badge", has_text="Discarded")).to_have_count(0)
    open_calendar(page, base)
    expect(meeting_row(page, "Contoso pricing review")).to_be_visible()

    # Assign to the linked account's open deal with one click; the deal page lists the meeting.
    row = meeting_row(page, "Northwind discovery call")
    row.get_by_role("button", name="Northwind expansion").click()
    expect(row.locator(".event-deal a", has_text="Northwind expansion")).to_be_visible()
    page.goto(f"{base}/deals/{seeded['deal'].pk}/")
    expect(page.locator("#meetings")).to_contain_text("Northwind discovery call")

    # A colleague does not see it until they are on the deal's team.
    colleague_context = browser.new_context()
    colleague = colleague_context.new_page()
    login(colleague, base, "mia@acme.example", PASSWORD)
    open_calendar(colleague, base)
    expect(meeting_row(colleague, "Northwind discovery call")).to_have_count(0)

    page.goto(f"{base}/deals/{seeded['deal'].pk}/edit/")
    page.get_by_label("mia@acme.example").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("saved")

    open_calendar(colleague, base)
    expect(meeting_row(colleague, "Northwind discovery call")).to_be_visible()
    expect(meeting_row(colleague, "Contoso pricing review")).to_have_count(0)
    screenshot(colleague, artifacts, "calendar-deal-team-member")
    colleague_context.close()


def test_calendar_works_without_javascript(browser, live_server, seeded, artifacts):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    login(page, base, "sam@acme.example", PASSWORD)
    open_calendar(page, base)
    meeting_row(page, "Fabrikam onboarding").get_by_role("button", name="Discard").click()
    expect(page.locator(".messages")).to_contain_text("discarded")
    expect(meeting_row(page, "Fabrikam onboarding")).to_have_count(0)
    context.close()
