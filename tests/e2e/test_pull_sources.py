"""A pull source in a real browser, as the demo admin: save Gong's access key in the sandbox, Test connection says
connected, Fetch now pulls the sandbox's Gong calls (two pages, joined by records.cursor) with their transcripts,
and a call's transcript shows matched on its meeting's page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from calendar_sync.models import CalendarEvent
from ruby_site.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from tests.e2e.helpers import login, screenshot
from tests.e2e.test_transcript_sources import SANDBOX
from transcripts.models import Transcript
from transcripts.sources.sandbox import pull_vendors

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(transactional_db):
    with SANDBOX:
        call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
    from django.db import connections

    connections.close_all()


def test_admin_connects_gong_in_the_sandbox_fetches_and_sees_a_call_matched(live_server, page, demo, artifacts):
    base = live_server.url
    login(page, base, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    page.goto(f"{base}/settings/transcript-sources/")
    gong = page.locator("#source-gong")
    expect(gong.locator(".badge")).to_have_text("Off")
    gong.get_by_label("Access key", exact=True).fill("AK-SANDBOX")
    gong.get_by_label("Access key secret").fill("sandbox-access-key-secret")
    gong.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success").first).to_have_text("Gong: credentials saved. Then use Test connection.")

    gong.get_by_role("button", name="Test connection").click()
    expect(page.locator(".msg-success").first).to_have_text(
        "Gong: Connected. Gong accepted the access key (2 users visible)"
    )
    expect(gong.locator(".badge")).to_have_text("Connected")

    gong.get_by_role("button", name="Fetch now").click()
    expect(page.locator(".msg-success").first).to_have_text(
        "Gong: fetching now. New meetings appear under Transcripts in a minute."
    )
    page.goto(f"{base}/settings/transcript-sources/")
    pulled = Transcript.objects.filter(source="gong").order_by("started_at")
    assert pulled.count() > pull_vendors.PAGE_SIZE  # the second page came through the cursor
    assert {t.match_status for t in pulled} == {"matched"}
    count = pulled.count()
    expect(gong.locator(".counts")).to_have_text(f"received {count} · matched {count} · ambiguous 0 · unmatched 0")
    expect(gong.locator(".facts")).to_contain_text("Last fetchedjust now")
    screenshot(page, artifacts, "transcript-sources-gong-fetched")

    transcript = pulled.first()
    event = CalendarEvent.objects.get(pk=transcript.event_id)
    assert transcript.external_id == str(pull_vendors.CALL_ID_BASE + event.pk)  # the call of that very meeting
    page.goto(f"{base}/calendar/events/{event.pk}/")
    expect(page.locator(f"a[href='/transcripts/{transcript.pk}/']")).to_be_visible()
    page.goto(f"{base}/transcripts/{transcript.pk}/")
    expect(page.locator("main")).to_contain_text("Matched")
    expect(page.locator("main")).to_contain_text("Gong")
    expect(page.locator("main")).to_contain_text("Thanks for making the time today.")
    screenshot(page, artifacts, "transcript-sources-gong-matched")
