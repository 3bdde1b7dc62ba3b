"""Teams transcripts in a real browser against the Microsoft sandbox: connect Outlook, sync a week that includes
yesterday's ended Teams meeting, press "Connect Teams transcripts" (the sandbox consent lists exactly the two extra
permissions), Accept, let the worker's task run, and see that meeting's transcript matched at 100%."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.services.sync import sync_connection
from tests.e2e.helpers import screenshot, signup
from tests.e2e.test_connect_e2e import PASSWORD, sandbox  # noqa: F401 - the sandbox fixture
from transcripts.models import TeamsTranscriptGrant
from transcripts.services.teams import teams_transcripts_fetch

pytestmark = pytest.mark.e2e


def test_connect_teams_transcripts_and_see_the_meeting_matched(live_server, page, sandbox, artifacts):  # noqa: F811
    base = live_server.url
    signup(page, base, email="gail@northwind-sales.example", password=PASSWORD, workspace_name="Northwind Sales")
    page.goto(f"{base}/settings/integrations/")
    page.locator("#outlook-card button:has-text('Connect')").click()
    page.click("button:has-text('Accept')")
    expect(page.locator("#outlook-card")).to_contain_text("Connected as gail@northwind-sales.example")
    connection = CalendarConnection.objects.get(user__email="gail@northwind-sales.example")
    yesterday = (timezone.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.COMMAND, now=yesterday).status == (
        SyncRun.Status.SUCCEEDED
    )

    page.goto(f"{base}/settings/integrations/")
    card = page.locator("#teams-transcripts-card")
    expect(card).to_contain_text("Off")
    card.locator("button:has-text('Connect Teams transcripts')").click()
    expect(page.locator("h1")).to_have_text("Permissions requested")
    consent = page.locator("main").inner_text()
    assert "OnlineMeetings.Read" in consent and "OnlineMeetingTranscript.Read.All" in consent
    assert "Calendars.Read" not in consent
    page.click("button:has-text('Accept')")
    expect(card).to_contain_text("Connected")

    # The callback queued transcripts.tasks.teams_fetch; the test settings run django-q tasks in-process.
    grant = TeamsTranscriptGrant.objects.get(user__email="gail@northwind-sales.example")
    assert grant.checks.filter(outcome="found").count() == 1
    assert teams_transcripts_fetch(grant_id=grant.pk)["found"] == 0  # found once, never asked again
    page.reload()
    expect(card).to_contain_text("Northwind — pilot recap")
    expect(card).to_contain_text("matched 100% — same Teams meeting")
    screenshot(page, artifacts, "teams-transcripts-matched")

    card.locator("a:has-text('Transcript found')").click()
    expect(page.locator("main")).to_contain_text("Matched: 100% — same Teams meeting")
    page.click("main a:has-text('Northwind — pilot recap')")
    expect(page.locator("main")).to_contain_text("Microsoft Teams")
    expect(page.locator("main")).to_contain_text("matched 100%")
