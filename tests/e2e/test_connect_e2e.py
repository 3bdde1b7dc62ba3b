"""Connect Outlook Calendar in a real browser against the built-in Microsoft sandbox:
sign up → Connect → Accept → "Connected" → revoke → next token use → "Not connected" with the reason → Reconnect."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.services import tokens
from calendar_sync.services.sync import sync_connection
from tests.e2e.helpers import screenshot, signup

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-e2e-password-8841"
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
    # While Playwright's loop runs, the ORM in this test uses a context-local connection of its own;
    # close it, or it outlives the test and blocks dropping the PostgreSQL test database.
    from django.db import connections

    connections.close_all()


def test_sign_up_connect_revoke_and_reconnect_in_the_sandbox(live_server, page, sandbox, artifacts):
    base = live_server.url
    signup(page, base, email="erin@fabrikam.example", password=PASSWORD, workspace_name="Fabrikam", first_name="Erin")
    expect(page.locator(".who")).to_contain_text("erin@fabrikam.example")

    page.goto(f"{base}/settings/integrations/")
    card = page.locator("#outlook-card")
    expect(card).to_contain_text("Not connected")
    card.locator("button:has-text('Connect')").click()
    expect(page.locator("h1")).to_have_text("Permissions requested")
    expect(page.locator(".sandbox-identities")).to_contain_text("erin@contoso.example")
    page.click("button:has-text('Accept')")
    expect(card).to_contain_text("Connected as erin@fabrikam.example")
    screenshot(page, artifacts, "connect-connected")

    card.locator("text=Revoke Ruby's access in the sandbox").click()
    page.click('button:has-text("Revoke Ruby\'s access")')
    expect(page.locator(".messages")).to_contain_text("access was revoked")
    # The next token use (a sync refreshing after Graph refuses the revoked token) finds out and records it.
    connection = CalendarConnection.objects.get(user__email="erin@fabrikam.example")
    with pytest.raises(tokens.ReconnectRequired):
        tokens.access_token_for(connection, force_refresh=True)
    sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    page.goto(f"{base}/settings/integrations/")
    expect(card).to_contain_text("Not connected")
    expect(card).to_contain_text("Microsoft no longer accepts Ruby's access")
    screenshot(page, artifacts, "connect-access-lost")
    card.locator("button:has-text('Reconnect')").click()
    page.click("button:has-text('Accept')")
    expect(card).to_contain_text("Connected as erin@fabrikam.example")


def test_signing_in_with_another_organisations_account_is_refused(live_server, page, sandbox):
    base = live_server.url
    signup(page, base, email="finn@fabrikam.example", password=PASSWORD, workspace_name="Fabrikam")
    page.goto(f"{base}/settings/integrations/")
    page.locator("#outlook-card button:has-text('Connect')").click()
    page.check("input[name=identity][value=other]")
    page.click("button:has-text('Accept')")
    expect(page.locator(".connect-refused")).to_contain_text("uses a different email than your Ruby account")
    assert not CalendarConnection.objects.filter(user__email="finn@fabrikam.example").exists()
    page.click("button:has-text('Try again')")
    expect(page.locator("h1")).to_have_text("Permissions requested")
