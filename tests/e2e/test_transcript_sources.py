"""Transcript sources in a real browser, as the demo admin: enable Zoom in the sandbox, Test connection says
connected, send a sandbox delivery (signed as Zoom signs it, through Ruby's real webhook address, fetched from the
sandbox's Zoom API by the worker), and the transcript shows matched on the meeting page."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from calendar_sync.models import CalendarEvent
from ruby_site.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from tests.e2e.helpers import login, screenshot
from transcripts.models import Transcript

pytestmark = pytest.mark.e2e

SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
    TRANSCRIPT_SANDBOX=True,
)


@pytest.fixture
def demo(transactional_db):
    with SANDBOX:
        call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
    from django.db import connections

    connections.close_all()


def test_admin_connects_zoom_in_the_sandbox_and_sees_the_transcript_matched(live_server, page, demo, artifacts):
    base = live_server.url
    login(page, base, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    page.goto(f"{base}/settings/transcript-sources/")
    zoom = page.locator("#source-zoom")
    expect(zoom.locator(".badge")).to_have_text("Off")
    zoom.get_by_label("Account ID").fill("sandbox-account")
    zoom.get_by_label("Client ID").fill("sandbox-client")
    zoom.get_by_label("Client secret").fill("sandbox-client-secret")
    zoom.get_by_label("Secret token").fill("sandbox-secret-token")
    zoom.get_by_role("button", name="Save").click()
    expect(page.locator(".msg-success").first).to_contain_text("Zoom: credentials saved.")
    expect(zoom.locator("code.url")).to_contain_text(f"{base}/webhooks/transcripts/zoom/")

    zoom.get_by_role("button", name="Test connection").click()
    expect(page.locator(".msg-success").first).to_have_text(
        "Zoom: Connected. Zoom accepted the app's Account ID, Client ID and Client secret."
    )
    expect(zoom.locator(".badge")).to_have_text("Connected")

    zoom.get_by_role("button", name="Send a sandbox delivery").click()
    message = page.locator(".msg-success").first
    expect(message).to_contain_text("Ruby's webhook answered 202 (accepted)")
    subject = re.search(r"for “(.+?)”", message.inner_text()).group(1)
    screenshot(page, artifacts, "transcript-sources-zoom-sandbox")
    expect(zoom.locator(".facts")).to_contain_text("processed")

    transcript = Transcript.objects.get(source="zoom", external_id__startswith="sandbox-")
    event = CalendarEvent.objects.get(pk=transcript.event_id)
    assert (event.subject, transcript.match_status) == (subject, "matched")
    page.goto(f"{base}/calendar/events/{event.pk}/")
    expect(page.locator(f"a[href='/transcripts/{transcript.pk}/']")).to_be_visible()
    page.goto(f"{base}/transcripts/{transcript.pk}/")
    expect(page.locator("main")).to_contain_text("Matched")
    expect(page.locator("main")).to_contain_text("Thanks for making the time today.")
    screenshot(page, artifacts, "transcript-sources-zoom-matched")
