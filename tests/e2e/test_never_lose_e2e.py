"""Issue 16 in a real browser: the Content-Security-Policy blocks nothing of Ruby's own (htmx included), and a
failed transcript delivery is listed for support with its reason and retried from the admin."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import login, meeting_row, open_calendar, screenshot
from tests.factories import (
    AttendeeFactory,
    ConnectionFactory,
    EventFactory,
    TranscriptSourceFactory,
    UserFactory,
    WorkspaceFactory,
)
from tests.transcripts.helpers import custom_payload
from transcripts.models import TranscriptDelivery

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def seeded(transactional_db):
    workspace = WorkspaceFactory(name="Acme Sales", slug="acme-csp", internal_domains=["acme.example"])
    owner = UserFactory(email="sam@acme.example", password=PASSWORD, workspace=workspace, workspace__role="admin")
    event = EventFactory(connection=ConnectionFactory(user=owner), subject="Northwind discovery call")
    AttendeeFactory(event=event, email="dana@northwind.example", name="Dana", response="accepted")
    support = UserFactory(
        email="support@ruby.example", password=PASSWORD, is_staff=True, is_superuser=True, workspace=False
    )
    TranscriptSourceFactory(workspace=workspace, source="custom", secret="whsec_e2e")
    TranscriptDelivery.objects.create(
        workspace=workspace,
        source="custom",
        body=json.dumps(custom_payload(people=[("Dana", "dana@northwind.example")])),
        body_sha256="x",
        status=TranscriptDelivery.Status.FAILED,
        error="Processing failed (attempt 5 of 5): connection to the database lost",
    )
    return {"owner": owner, "support": support}


def test_pages_and_htmx_work_under_the_csp_and_support_retries_a_failed_delivery(page, live_server, seeded, artifacts):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    login(page, live_server.url, "sam@acme.example", PASSWORD)
    open_calendar(page, live_server.url)
    expect(meeting_row(page, "Northwind discovery call")).to_be_visible()
    response = page.request.get(f"{live_server.url}/calendar/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate("() => window.htmx && window.htmx.version")  # htmx loaded from our static files
    assert page.evaluate("() => typeof window.htmx") == "object"
    screenshot(page, artifacts, "issue16-calendar-under-csp")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/transcripts/transcriptdelivery/%3Fstatus__exact%3Dfailed")
    page.fill("#id_username", "support@ruby.example")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.get_by_text("connection to the database lost")).to_be_visible()
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "retry")
    page.click("button[name=index]")
    expect(page.get_by_text("1 delivery(ies) queued again.")).to_be_visible()
    screenshot(page, artifacts, "issue16-admin-retry")
    assert TranscriptDelivery.objects.get().status == "processed"
    assert violations == []
