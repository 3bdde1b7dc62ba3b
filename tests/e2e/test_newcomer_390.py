"""Every page of the newcomer flow is usable at 390 px: document.documentElement.scrollWidth <= 390 (no sideways
scroll), from signup (which takes the browser's time zone) through the calendar (list and week), a meeting, the
suggestions from the calendar, accounts, deals and settings."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from ruby_site.models import User
from tests.e2e.helpers import signup

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-e2e-password-5521"
SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)


@pytest.fixture
def sandbox(transactional_db):
    with SANDBOX:
        yield
    from django.db import connections

    connections.close_all()


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_newcomer_flow_never_scrolls_sideways_at_390px(live_server, browser, sandbox, artifacts):
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="America/Toronto")
    page = context.new_page()
    page.set_default_timeout(10_000)
    widths: dict[str, int] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        widths[name] = _width(page)
        page.screenshot(path=str(artifacts / f"newcomer-390-{name}.png"), full_page=True)

    page.goto(f"{base}/accounts/signup/")
    check("signup")
    signup(page, base, email="sam@acme-e2e.example", password=PASSWORD, workspace_name="Acme", first_name="Sam")
    expect(page.locator(".who")).to_contain_text("sam@acme-e2e.example")
    assert User.objects.get(email="sam@acme-e2e.example").time_zone == "America/Toronto"
    check("home-empty")

    page.goto(f"{base}/settings/integrations/")
    check("integrations")
    card = page.locator("#outlook-card")
    card.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Connected as sam@acme-e2e.example")
    card.get_by_role("button", name="Sync now").click()
    expect(card.locator(".sync-line")).to_contain_text("Last synced")
    check("integrations-connected")

    page.goto(f"{base}/calendar/")
    check("calendar")
    page.get_by_role("button", name="Week").click()
    expect(page.locator(".week-grid")).to_be_visible()
    check("calendar-week")
    page.locator(".week-block").first.click()
    check("meeting")
    page.goto(f"{base}/calendar/")
    page.get_by_role("button", name="List").click()

    page.goto(f"{base}/calendar/suggestions/")
    check("suggestions")
    page.locator("form:has(input[value='northwind.example'])").get_by_role("button", name="Create account").click()
    expect(page.locator(".messages")).to_contain_text("Account “Northwind” created")
    page.goto(f"{base}/deals/accounts/")
    check("accounts")
    page.get_by_role("link", name="Northwind").first.click()
    check("account")
    page.goto(f"{base}/deals/new/")
    page.fill("input[name=name]", "Northwind rollout")
    page.select_option("select[name=account]", label="Northwind")
    check("deal-form")
    page.get_by_role("button", name="Save deal").click()
    check("deal")
    page.goto(f"{base}/calendar/")
    page.locator("article.event-row h3 a", has_text="Northwind").first.click()
    expect(page.locator("#assign-deal")).to_be_visible()  # the deal picker with its long option names
    check("meeting-with-deals")
    page.goto(f"{base}/deals/")
    check("deals")
    page.goto(f"{base}/deals/contacts/")
    check("contacts")
    page.goto(f"{base}/")
    check("home")
    page.goto(f"{base}/transcripts/")
    check("transcripts")
    page.goto(f"{base}/settings/")
    expect(page.locator("select[name=time_zone]")).to_have_value("America/Toronto")  # from the browser at signup
    page.fill("input.tz-search", "tokyo")  # the picker is searchable; the first match is chosen
    expect(page.locator("select[name=time_zone]")).to_have_value("Asia/Tokyo")
    check("profile")
    page.goto(f"{base}/settings/workspace/")
    check("workspace")
    page.goto(f"{base}/settings/members/")
    check("members")
    context.close()

    assert {name: w for name, w in widths.items() if w > 390} == {}
