"""Connect Exchange (on-premise) in a real browser against the built-in EWS sandbox: sign up → Connect → the form
(refused with a wrong password, nothing stored) → connected → Sync now → the week, filtered exactly as the
Microsoft 365 sandbox week → discard and restore a meeting → Disconnect."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.normalize import normalize_event
from calendar_sync.sandbox import events as ms_sandbox
from calendar_sync.sandbox.ews import SANDBOX_PASSWORD, SANDBOX_URL
from calendar_sync.sandbox.identities import identity_for
from calendar_sync.services.sync import skip_reason
from calendar_sync.services.sync_store import internal_domains_for
from tests.e2e.helpers import meeting_row, open_calendar, screenshot, signup

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-e2e-password-8841"
EMAIL = "erin@fabrikam-e2e.example"
EXTERNAL = "Northwind — discovery call"


@pytest.fixture
def exchange_sandbox(transactional_db):
    with override_settings(EXCHANGE_SANDBOX=True, EXCHANGE_RETRY_WAIT_SECONDS=0):
        yield
    from django.db import connections

    connections.close_all()


def _fill(page, *, password: str) -> None:
    page.fill("input[name=username]", "FABRIKAM\\erin")
    page.fill("input[name=password]", password)
    page.fill("input[name=server_url]", SANDBOX_URL)
    page.select_option("select[name=version]", "2016")
    page.get_by_role("button", name="Sign in and connect").click()


def _expected_subjects(connection: CalendarConnection, run: SyncRun) -> set[str]:
    """What the Microsoft 365 path keeps of the same sandbox week: Graph JSON, Graph normaliser, the same filters."""
    internal = internal_domains_for(connection)
    events = [normalize_event(raw) for raw in ms_sandbox.week_for(identity_for(EMAIL))]
    return {
        e.subject
        for e in events
        if e.starts_at < run.window_end
        and e.ends_at > run.window_start
        and not skip_reason(e, connection=connection, internal=internal)
    }


def test_connect_exchange_sync_discard_restore_and_disconnect(live_server, page, exchange_sandbox, artifacts):
    base = live_server.url
    signup(page, base, email=EMAIL, password=PASSWORD, workspace_name="Fabrikam E2E", first_name="Erin")
    expect(page.locator(".who")).to_contain_text(EMAIL)

    page.goto(f"{base}/settings/integrations/")
    card = page.locator("#exchange-card")
    expect(card).to_contain_text("Exchange (on-premise)")
    card.get_by_role("link", name="Connect").click()
    expect(page.locator("h1")).to_have_text("Connect Exchange (on-premise)")
    expect(page.locator(".sandbox-url")).to_have_text(SANDBOX_URL)

    _fill(page, password="not-the-password")
    expect(page.locator(".exchange-refused")).to_have_text("The Exchange server refused the username or password.")
    assert not CalendarConnection.objects.filter(user__email=EMAIL).exists()
    screenshot(page, artifacts, "exchange-wrong-password")

    _fill(page, password=SANDBOX_PASSWORD)
    expect(card).to_contain_text(f"Connected as {EMAIL}")
    card.get_by_role("button", name="Sync now").click()
    expect(card.locator(".sync-line")).to_contain_text("Last synced")
    screenshot(page, artifacts, "exchange-connected")

    connection = CalendarConnection.objects.get(user__email=EMAIL)
    run = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.SUCCEEDED).latest("created_at")
    expected = _expected_subjects(connection, run)
    open_calendar(page, base)
    expect(meeting_row(page, EXTERNAL)).to_be_visible()
    shown = set(page.locator("article.event-row h3").all_inner_texts())
    assert {s.strip() for s in shown} == expected
    for hidden in ("Weekly pipeline review", "Lunch with Dana", "Dentist", "Focus time"):
        expect(meeting_row(page, hidden)).to_have_count(0)
    screenshot(page, artifacts, "exchange-calendar", widths=(390,))

    row = meeting_row(page, EXTERNAL)
    row.get_by_role("button", name="Discard").click()
    expect(row.locator(".badge", has_text="Discarded")).to_be_visible()
    open_calendar(page, base)
    expect(meeting_row(page, EXTERNAL)).to_have_count(0)
    open_calendar(page, base, view="discarded")
    row = meeting_row(page, EXTERNAL)
    row.get_by_role("button", name="Restore").click()
    expect(row.locator(".badge", has_text="Discarded")).to_have_count(0)
    open_calendar(page, base)
    expect(meeting_row(page, EXTERNAL)).to_be_visible()

    page.goto(f"{base}/settings/integrations/")
    card.get_by_role("link", name="Disconnect…").click()
    expect(page.locator("h1")).to_have_text("Disconnect Exchange")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator(".messages")).to_contain_text("Exchange is disconnected. Your synced meetings are kept.")
    expect(card).to_contain_text("Not connected")
    screenshot(page, artifacts, "exchange-disconnected")
    connection.refresh_from_db()
    assert connection.token_cache == "" and connection.status == CalendarConnection.Status.NOT_CONNECTED
