"""Live updates in a real browser (issue 12): connect in the sandbox with PUBLIC_BASE_URL pointing at the live
server, change a sandbox meeting, and see the change on the calendar within seconds — nobody presses Sync now.

The sandbox makes real HTTP calls to the live server: the validation call when Ruby subscribes, and the change
notification. In tests django-q runs tasks inline (settings_test: Q_CLUSTER sync=True), so the webhook's worker
task runs in the live server right after the 202 is decided; the coalescing wait is shortened to 0.5 s."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect

from calendar_sync.models import CalendarConnection, SandboxSubscription, SyncRun
from tests.e2e.helpers import meeting_row, open_calendar, screenshot, signup

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-e2e-password-7713"
MEETING = "Northwind — discovery call"
CHANGED = "Northwind — discovery call (moved to Thursday)"


@pytest.fixture
def live_sandbox(transactional_db, live_server):
    with override_settings(
        MICROSOFT_SANDBOX=True,
        MICROSOFT_CLIENT_ID="ruby-sandbox-client",
        MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
        MICROSOFT_ENABLED=True,
        PUBLIC_BASE_URL=live_server.url,
        DEBUG=True,
        CALENDAR_PUSH_DEBOUNCE_SECONDS=0.5,
    ):
        yield live_server.url
    connections.close_all()  # the ORM connection opened beside Playwright's loop would block dropping the test DB


def test_a_changed_meeting_shows_up_without_pressing_sync_now(live_sandbox, page, artifacts):
    base = live_sandbox
    signup(page, base, email="uma@acme-live.example", password=PASSWORD, workspace_name="Acme", first_name="Uma")
    page.goto(f"{base}/settings/integrations/")
    card = page.locator("#outlook-card")
    card.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Connected as uma@acme-live.example")
    expect(card.locator(".live-updates")).to_contain_text("Live updates: on (renews")
    expect(card.locator(".sync-line")).to_contain_text("Last synced")  # the first sync ran on its own
    screenshot(page, artifacts, "live-updates-card")
    connection = CalendarConnection.objects.get(user__email="uma@acme-live.example")
    assert SandboxSubscription.objects.get().subscription_id == connection.subscription_id

    open_calendar(page, base)
    expect(meeting_row(page, MEETING)).to_be_visible()

    page.goto(f"{base}/sandbox/microsoft/revoke")
    page.select_option("select[name=event_id]", label=MEETING)
    page.fill("input[name=subject]", CHANGED)
    page.get_by_role("button", name="Change a meeting").click()
    expect(page.locator(".messages")).to_contain_text("HTTP 202")

    open_calendar(page, base)
    expect(meeting_row(page, CHANGED)).to_be_visible(timeout=10_000)
    screenshot(page, artifacts, "live-updates-calendar")
    triggers = list(SyncRun.objects.filter(connection=connection).values_list("trigger", flat=True))
    assert sorted(triggers) == ["connect", "webhook"]  # no "manual": nobody pressed Sync now

    page.goto(f"{base}/settings/integrations/")
    expect(card.locator(".live-updates")).to_contain_text("last change arrived")
