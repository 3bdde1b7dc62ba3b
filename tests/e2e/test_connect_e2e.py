"""Browser walk of Connect Outlook Calendar against the built-in Microsoft sandbox."""

from __future__ import annotations

import shutil

import pytest
from django.test import override_settings

from calendar_sync import auth
from calendar_sync.models import CalendarConnection
from tests.factories import UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser_page(monkeypatch):
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page()
        browser.close()
        # While Playwright's loop runs, the ORM in this test uses a context-local connection of its
        # own; close it, or it outlives the test and blocks dropping the PostgreSQL test database.
        from django.db import connections

        connections.close_all()


@override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)
def test_connect_accept_revoke_and_reconnect_in_the_sandbox(live_server, browser_page):
    user = UserFactory(email="erin@fabrikam.example", workspace=WorkspaceFactory(internal_domains=["fabrikam.example"]))
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/settings/integrations/")
    page.click("#outlook-card button:has-text('Connect')")
    page.wait_for_selector("text=Permissions requested")
    page.click("button:has-text('Accept')")
    page.wait_for_selector("#outlook-card")
    assert "Connected as erin@fabrikam.example" in page.inner_text("#outlook-card")

    page.click("text=Revoke Ruby's access in the sandbox")
    page.click('button:has-text("Revoke Ruby\'s access")')
    page.wait_for_selector("text=was revoked")
    connection = CalendarConnection.objects.get(user=user)
    with pytest.raises(auth.ReconnectRequired):
        auth.get_access_token(connection, force_refresh=True)

    page.goto(f"{live_server.url}/settings/integrations/")
    card = page.inner_text("#outlook-card")
    assert "Not connected" in card and "Microsoft no longer accepts Ruby's access" in card
    page.click("#outlook-card button:has-text('Reconnect')")
    page.click("button:has-text('Accept')")
    page.wait_for_selector("#outlook-card")
    assert "Connected as erin@fabrikam.example" in page.inner_text("#outlook-card")
