"""The whole product in a real browser, as a newcomer meets it:
sign up → add an account and a deal → connect Outlook in the sandbox → Sync now → the calendar shows the sandbox
week minus the internal-only and private meetings → discard → it is under "discarded" → restore → assign to the
deal → the deal page lists it → a colleague invited to the workspace sees it only once on the deal's team."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from ruby_site.models import Invitation
from tests.e2e.helpers import meeting_row, open_calendar, screenshot, signup

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-e2e-password-5521"
SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)
EXTERNAL = "Northwind — discovery call"
INTERNAL_ONLY = ["Weekly pipeline review", "1:1 with Priya", "Focus time"]
PRIVATE = ["Dentist", "Lunch with Dana"]


@pytest.fixture
def sandbox(transactional_db):
    with SANDBOX:
        yield
    from django.db import connections

    connections.close_all()  # the ORM's connection opened beside Playwright's loop would block dropping the test DB


def test_newcomer_signs_up_connects_syncs_and_manages_the_week(live_server, page, browser, sandbox, artifacts):
    base = live_server.url
    signup(page, base, email="sam@acme-e2e.example", password=PASSWORD, workspace_name="Acme", first_name="Sam")
    expect(page.locator(".who")).to_contain_text("sam@acme-e2e.example")

    page.goto(f"{base}/deals/accounts/new/")
    page.fill("input[name=name]", "Northwind Traders")
    page.fill("input[name=domain]", "northwind.example")
    page.get_by_role("button", name="Save account").click()
    page.goto(f"{base}/deals/new/")
    page.fill("input[name=name]", "Northwind rollout")
    page.select_option("select[name=account]", label="Northwind Traders")
    page.get_by_role("button", name="Save deal").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    deal_url = page.url

    page.goto(f"{base}/settings/integrations/")
    card = page.locator("#outlook-card")
    card.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Connected as sam@acme-e2e.example")
    card.get_by_role("button", name="Sync now").click()
    expect(card.locator(".sync-line")).to_contain_text("Last synced")

    open_calendar(page, base)
    expect(meeting_row(page, EXTERNAL)).to_be_visible()
    expect(meeting_row(page, "Contoso pricing review")).to_be_visible()
    for subject in INTERNAL_ONLY + PRIVATE:
        expect(meeting_row(page, subject)).to_have_count(0)
    screenshot(page, artifacts, "full-flow-calendar", widths=(390,))

    row = meeting_row(page, EXTERNAL)
    row.get_by_role("button", name="Discard").click()
    expect(row.locator(".badge", has_text="Discarded")).to_be_visible()  # the row answered in place
    open_calendar(page, base)
    expect(meeting_row(page, EXTERNAL)).to_have_count(0)
    open_calendar(page, base, view="discarded")
    row = meeting_row(page, EXTERNAL)
    row.get_by_role("button", name="Restore").click()
    expect(row.locator(".badge", has_text="Discarded")).to_have_count(0)
    open_calendar(page, base)
    row = meeting_row(page, EXTERNAL)
    expect(row).to_be_visible()

    row.get_by_role("button", name="Northwind rollout").click()
    expect(row.locator(".event-deal a", has_text="Northwind rollout")).to_be_visible()
    page.goto(deal_url)
    expect(page.locator("#meetings")).to_contain_text(EXTERNAL)

    page.goto(f"{base}/settings/members/")
    page.fill("input[name=email]", "mia@acme-e2e.example")
    page.get_by_role("button", name="Send invitation").click()
    token = Invitation.objects.get(email="mia@acme-e2e.example").token
    colleague_context = browser.new_context()
    colleague = colleague_context.new_page()
    colleague.goto(f"{base}/invite/{token}/")
    signup(colleague, base, email="mia@acme-e2e.example", password=PASSWORD)
    expect(colleague.locator(".who")).to_contain_text("Acme")
    open_calendar(colleague, base)
    expect(meeting_row(colleague, EXTERNAL)).to_have_count(0)

    page.goto(deal_url + "edit/")
    page.get_by_label("mia@acme-e2e.example").check()
    page.get_by_role("button", name="Save deal").click()
    open_calendar(colleague, base)
    expect(meeting_row(colleague, EXTERNAL)).to_be_visible()
    expect(meeting_row(colleague, "Contoso pricing review")).to_have_count(0)
    colleague_context.close()
