"""The sandbox plays Graph's subscriptions (issue 12): it validates Ruby's webhook before accepting a subscription,
renews and deletes it, and notifies Ruby when a sandbox meeting is changed. The sandbox's calls to Ruby are real
HTTP; here `responses` hands them to Django's test client (the HTTP boundary), so the whole loop runs in-process.
Also the live-updates line on the Integrations card."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.test import Client, override_settings
from django.utils import timezone

from calendar_sync import graph
from calendar_sync.models import CalendarConnection, CalendarEvent, SandboxEventChange, SandboxSubscription, SyncRun
from calendar_sync.sandbox import tokens
from calendar_sync.sandbox.demo import connect_in_sandbox
from calendar_sync.sandbox.events import week_for
from calendar_sync.sandbox.identities import identity_for
from calendar_sync.services import subscriptions
from calendar_sync.services.lifecycle import connection_disconnect
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
    PUBLIC_BASE_URL=BASE,
    DEBUG=True,
)


@pytest.fixture
def app_over_http():
    """The sandbox's HTTP calls to Ruby's webhooks, answered by Ruby through the test client."""
    ruby = Client()
    seen = []

    def answer(request):
        path = request.url[len(BASE) :]
        response = ruby.post(path, request.body or b"", content_type=request.headers.get("Content-Type", "text/plain"))
        seen.append((path.split("?")[0], response.status_code))
        return response.status_code, {"Content-Type": response.get("Content-Type", "")}, response.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, re.compile(re.escape(BASE) + "/webhooks/microsoft/.*"), callback=answer)
        yield seen


@pytest.fixture
def sandboxed(monkeypatch):
    monkeypatch.setattr(subscriptions, "sleep", lambda seconds: None)
    with SANDBOX:
        yield


@pytest.fixture
def live(user, workspace, sandboxed, app_over_http, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        connection = connect_in_sandbox(user=user, workspace=workspace)
    connection.refresh_from_db()
    return connection


def test_connecting_with_push_on_creates_a_validated_subscription(live, app_over_http):
    subscription = SandboxSubscription.objects.get()
    assert subscription.subscription_id == live.subscription_id
    assert subscription.client_state == live.subscription_client_state
    assert subscription.expires_at == live.subscription_expires_at
    assert app_over_http[:2] == [
        ("/webhooks/microsoft/notifications/", 200),
        ("/webhooks/microsoft/lifecycle/", 200),
    ]
    assert SyncRun.objects.get(connection=live).status == SyncRun.Status.SUCCEEDED


def test_changing_a_sandbox_meeting_resyncs_without_sync_now(
    live, user_client, app_over_http, django_capture_on_commit_callbacks
):
    event = CalendarEvent.objects.filter(connection=live, subject="Northwind — discovery call").get()

    with django_capture_on_commit_callbacks(execute=True):
        page = user_client.post(
            "/sandbox/microsoft/change-meeting",
            {"event_id": event.provider_event_id, "subject": "Northwind — discovery call (moved)"},
            follow=True,
        ).content.decode()

    assert "HTTP 202" in page
    event.refresh_from_db()
    assert event.subject == "Northwind — discovery call (moved)"
    assert list(SyncRun.objects.filter(connection=live).values_list("trigger", flat=True)) == ["webhook", "connect"]


def test_the_sandbox_refuses_a_subscription_whose_validation_fails(user, workspace, sandboxed, rsps):
    rsps.add(responses.POST, re.compile(re.escape(BASE) + "/webhooks/.*"), body="<html>nope</html>", status=200)

    connection = connect_in_sandbox(user=user, workspace=workspace)
    assert subscriptions.subscription_ensure(connection_id=connection.pk) == "paused"

    connection.refresh_from_db()
    assert "could not reach Ruby's webhook address" in connection.push_paused_reason
    assert not SandboxSubscription.objects.exists()


def test_the_sandbox_renews_and_deletes(live, user):
    CalendarConnection.objects.filter(pk=live.pk).update(subscription_renew_at=timezone.now() - timedelta(seconds=1))

    assert subscriptions.subscription_ensure(connection_id=live.pk) == "renewed"
    connection_disconnect(connection=CalendarConnection.objects.get(pk=live.pk), by=user)

    assert not SandboxSubscription.objects.exists()


def test_a_personal_sandbox_account_has_no_mail_on_me(db):
    identity = identity_for("ann@hotmail.com")
    with SANDBOX:
        token = tokens.issue_tokens(identity, client_id="ruby-sandbox-client")["access_token"]
        me = graph.get_me(token)

    assert identity["tid"] == "9188040d-6c67-4c5b-b112-36a304b66dad"
    assert (me["mail"], me["userPrincipalName"]) == ("", "ann@hotmail.com")  # Graph's null, read as empty


# --- the card ---------------------------------------------------------------------------


def test_card_says_live_updates_are_off_without_public_base_url(user_client, user, settings):
    settings.PUBLIC_BASE_URL = ""
    ConnectionFactory(user=user)

    page = user_client.get("/settings/integrations/").content.decode()
    assert "Live updates:</strong> off (set PUBLIC_BASE_URL)" in page


def test_card_says_on_with_the_renewal_date_and_the_last_change(user_client, user, settings):
    settings.PUBLIC_BASE_URL = "https://ruby.example.com"
    ConnectionFactory(
        user=user,
        subscription_id="s",
        subscription_renew_at=datetime(2030, 1, 2, 9, 30, tzinfo=UTC),
        push_last_change_at=timezone.now(),
    )

    page = user_client.get("/settings/integrations/").content.decode()
    assert "on (renews Wed 2 Jan, 9:30 AM)" in page and "last change arrived" in page


def test_card_says_paused_with_the_reason(user_client, user, settings):
    settings.PUBLIC_BASE_URL = "https://ruby.example.com"
    ConnectionFactory(user=user, push_paused_reason="Microsoft Graph is busy.")

    assert "paused: Microsoft Graph is busy." in user_client.get("/settings/integrations/").content.decode()


def test_change_a_meeting_is_post_only_and_404_with_the_sandbox_off(user_client):
    with SANDBOX:
        assert user_client.get("/sandbox/microsoft/change-meeting").status_code == 405
    with override_settings(MICROSOFT_SANDBOX=False):
        assert (
            user_client.post("/sandbox/microsoft/change-meeting", {"event_id": "x", "subject": "y"}).status_code == 404
        )


def test_change_a_meeting_only_changes_the_users_own_sandbox_week(user_client, member):
    others = week_for(identity_for(member.email))[0]["id"]
    with SANDBOX:
        page = user_client.post(
            "/sandbox/microsoft/change-meeting", {"event_id": others, "subject": "Hijacked"}, follow=True
        ).content.decode()

    assert "choose a meeting of this week" in page
    assert not SandboxEventChange.objects.exists()


def test_a_user_outside_any_workspace_gets_404_on_change_a_meeting(client, db):
    loner = UserFactory(email="loner@ruby-demo.example", workspace=False)
    client.force_login(loner)
    with SANDBOX:
        assert client.post("/sandbox/microsoft/change-meeting", {"event_id": "x", "subject": "y"}).status_code == 404
