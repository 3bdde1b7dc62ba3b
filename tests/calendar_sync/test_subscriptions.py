"""Graph change-notification subscriptions (issue 12): the calls (with `responses`, shapes from graph_ews.md A.1 —
microsoft-graph-docs-contrib subscription-post-subscriptions.md / subscription-update.md), what Ruby stores, the
renew schedule, the lifecycle events and removing the subscription when access ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from calendar_sync import graph, providers
from calendar_sync.models import CalendarConnection, PushNotification, SyncRun
from calendar_sync.selectors.push import live_updates_for
from calendar_sync.services import subscriptions
from calendar_sync.services.lifecycle import connection_disable, connection_disconnect, connection_mark_access_lost
from calendar_sync.services.subscriptions import subscription_ensure, subscriptions_renew_due
from tests.calendar_sync.graph_fakes import graph_event, person

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = f"{settings.MICROSOFT_GRAPH_URL}/v1.0/subscriptions"
GRANTED = "2030-01-03T10:00:00.9356913Z"  # seven fractional digits, as Graph writes them


def subscription_body(*, id="7f105c7d-2dc5-4530-97cd-4e7ae6534c07", expires=GRANTED, client_state="x") -> dict:
    # Microsoft's response example, with Ruby's resource (subscription-post-subscriptions.md).
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
        "id": id,
        "resource": "me/events",
        "applicationId": "24d3b144-21ae-4080-943f-7067b395b913",
        "changeType": "created,updated,deleted",
        "clientState": client_state,
        "notificationUrl": "https://ruby.example.com/webhooks/microsoft/notifications/",
        "expirationDateTime": expires,
        "creatorId": "8ee44408-0679-472c-bc2a-692812af3437",
        "latestSupportedTlsVersion": "v1_2",
        "notificationContentType": "application/json",
    }


@pytest.fixture
def push_on(settings):
    settings.PUBLIC_BASE_URL = "https://ruby.example.com"
    return settings


@pytest.fixture
def no_wait(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(subscriptions, "sleep", waits.append)
    return waits


@pytest.fixture
def subscribed(connection):
    connection.subscription_id = "sub-1"
    connection.subscription_client_state = "secret-state-1"
    connection.subscription_expires_at = timezone.now() + timedelta(days=2)
    connection.subscription_renew_at = timezone.now() + timedelta(days=1)
    connection.save()
    return connection


def test_create_posts_me_events_with_both_urls_and_a_random_client_state(connection, graph_token, rsps, push_on):
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body())

    assert subscription_ensure(connection_id=connection.pk) == "created"

    sent = json.loads(rsps.calls[-1].request.body)
    assert sent["resource"] == "me/events"
    assert sent["changeType"] == "created,updated,deleted"
    assert sent["notificationUrl"] == "https://ruby.example.com/webhooks/microsoft/notifications/"
    assert sent["lifecycleNotificationUrl"] == "https://ruby.example.com/webhooks/microsoft/lifecycle/"
    assert 32 <= len(sent["clientState"]) <= 128
    assert rsps.calls[-1].request.headers["Authorization"] == "Bearer token-1"
    connection.refresh_from_db()
    assert connection.subscription_client_state == sent["clientState"]


def test_create_stores_the_expiry_graph_returned_not_the_one_asked_for(connection, graph_token, rsps, push_on):
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body(expires="2030-01-01T12:00:00Z"))

    subscription_ensure(connection_id=connection.pk)

    connection.refresh_from_db()
    assert connection.subscription_id == "7f105c7d-2dc5-4530-97cd-4e7ae6534c07"
    assert connection.subscription_expires_at == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert connection.subscription_renew_at < connection.subscription_expires_at


def test_client_state_is_stored_encrypted(connection, graph_token, rsps, push_on):
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body())
    subscription_ensure(connection_id=connection.pk)
    state = CalendarConnection.objects.get(pk=connection.pk).subscription_client_state

    raw = CalendarConnection.objects.filter(pk=connection.pk).values_list("subscription_client_state", flat=True)
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT subscription_client_state FROM calendar_sync_calendarconnection WHERE id = %s", [connection.pk]
        )
        stored = cursor.fetchone()[0]
    assert list(raw) == [state] and state not in stored


def test_no_subscription_without_public_base_url(connection, graph_token, rsps, settings):
    settings.PUBLIC_BASE_URL = ""

    assert subscription_ensure(connection_id=connection.pk) == "off"
    assert not [c for c in rsps.calls if "/subscriptions" in c.request.url]


def test_http_public_base_url_is_refused_without_debug(connection, graph_token, rsps, settings):
    settings.PUBLIC_BASE_URL, settings.DEBUG = "http://127.0.0.1:8000", False

    assert subscription_ensure(connection_id=connection.pk) == "off"


def test_a_failed_validation_pauses_live_updates_with_the_reason(connection, graph_token, rsps, push_on):
    # Observed body (graph_ews.md A.5, splunk/azure-functions-splunk#26).
    message = "Subscription validation request failed. Notification endpoint must respond with 200 OK."
    rsps.post(SUBSCRIPTIONS, status=400, json={"error": {"code": "ValidationError", "message": message}})

    assert subscription_ensure(connection_id=connection.pk) == "paused"

    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert connection.subscription_id == ""
    assert "could not reach Ruby's webhook address" in connection.push_paused_reason


def test_renew_patches_the_expiry_and_stores_what_graph_returned(subscribed, graph_token, rsps, push_on):
    subscribed.subscription_renew_at = timezone.now() - timedelta(minutes=1)
    subscribed.save()
    rsps.patch(f"{SUBSCRIPTIONS}/sub-1", json=subscription_body(id="sub-1", expires="2030-02-01T00:00:00Z"))

    assert subscription_ensure(connection_id=subscribed.pk) == "renewed"

    assert set(json.loads(rsps.calls[-1].request.body)) == {"expirationDateTime"}
    subscribed.refresh_from_db()
    assert subscribed.subscription_expires_at == datetime(2030, 2, 1, tzinfo=UTC)
    assert subscribed.subscription_client_state == "secret-state-1"


def test_renew_of_a_subscription_graph_removed_creates_a_new_one(subscribed, graph_token, rsps, push_on):
    subscribed.subscription_renew_at = timezone.now() - timedelta(minutes=1)
    subscribed.save()
    rsps.patch(f"{SUBSCRIPTIONS}/sub-1", status=404, json={"error": {"code": "ResourceNotFound", "message": "x"}})
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body(id="sub-2"))

    assert subscription_ensure(connection_id=subscribed.pk) == "created"

    subscribed.refresh_from_db()
    assert subscribed.subscription_id == "sub-2" and subscribed.subscription_client_state != "secret-state-1"


def test_a_current_subscription_is_left_alone(subscribed, graph_token, rsps, push_on):
    assert subscription_ensure(connection_id=subscribed.pk) == "current"
    assert not [c for c in rsps.calls if "/subscriptions" in c.request.url]


def test_renew_schedule_renews_due_and_recreates_missing_subscriptions(subscribed, graph_token, rsps, push_on):
    subscribed.subscription_renew_at = timezone.now() - timedelta(minutes=1)
    subscribed.save()
    rsps.patch(f"{SUBSCRIPTIONS}/sub-1", json=subscription_body(id="sub-1"))

    assert subscriptions_renew_due() == {"renewed": 1}
    assert subscriptions_renew_due() == {}  # nothing due any more

    CalendarConnection.objects.filter(pk=subscribed.pk).update(subscription_id="")
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body(id="sub-3"))
    assert subscriptions_renew_due() == {"created": 1}


def test_the_requested_expiry_is_not_what_ruby_renews_against(subscribed, graph_token, rsps, push_on):
    # Graph may grant less than asked (45 minutes minimum): Ruby renews half-way through the grant.
    soon = timezone.now() + timedelta(minutes=45)
    subscribed.subscription_renew_at = timezone.now() - timedelta(minutes=1)
    subscribed.save()
    rsps.patch(f"{SUBSCRIPTIONS}/sub-1", json=subscription_body(id="sub-1", expires=soon.isoformat()))

    subscription_ensure(connection_id=subscribed.pk)

    subscribed.refresh_from_db()
    assert subscribed.subscription_renew_at < timezone.now() + timedelta(minutes=23)


def _lifecycle(client, django_capture_on_commit_callbacks, event: str, connection):
    item = {
        "subscriptionId": connection.subscription_id,
        "subscriptionExpirationDateTime": "2030-01-01T11:00:00.0000000Z",
        "tenantId": connection.tenant_id,
        "clientState": "secret-state-1",
        "lifecycleEvent": event,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/webhooks/microsoft/lifecycle/", {"value": [item]}, content_type="application/json")
    assert response.status_code == 202


def test_reauthorization_required_renews_the_subscription(
    client, subscribed, graph_token, rsps, push_on, no_wait, django_capture_on_commit_callbacks
):
    rsps.patch(f"{SUBSCRIPTIONS}/sub-1", json=subscription_body(id="sub-1", expires="2030-03-01T00:00:00Z"))

    _lifecycle(client, django_capture_on_commit_callbacks, "reauthorizationRequired", subscribed)

    subscribed.refresh_from_db()
    assert subscribed.subscription_expires_at == datetime(2030, 3, 1, tzinfo=UTC)
    assert not SyncRun.objects.filter(connection=subscribed).exists()
    assert not PushNotification.objects.exists()


def test_subscription_removed_creates_a_new_one_then_syncs(
    client, subscribed, fake_graph, rsps, push_on, no_wait, django_capture_on_commit_callbacks
):
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body(id="sub-new"))
    fake_graph.events = [graph_event(id="ev-1", attendees=[person("dana@northwind.example")])]

    _lifecycle(client, django_capture_on_commit_callbacks, "subscriptionRemoved", subscribed)

    subscribed.refresh_from_db()
    assert subscribed.subscription_id == "sub-new"
    urls = [c.request.method + " " + c.request.url.split("?")[0] for c in rsps.calls if "graph" in c.request.url]
    assert urls == [f"POST {SUBSCRIPTIONS}", f"GET {fake_graph.url}"]
    run = SyncRun.objects.get(connection=subscribed)
    assert (run.trigger, run.status) == (SyncRun.Trigger.WEBHOOK, SyncRun.Status.SUCCEEDED)


def test_missed_resyncs_the_week(
    client, subscribed, fake_graph, rsps, push_on, no_wait, django_capture_on_commit_callbacks
):
    fake_graph.events = [graph_event(id="ev-1", attendees=[person("dana@northwind.example")])]

    _lifecycle(client, django_capture_on_commit_callbacks, "missed", subscribed)

    assert SyncRun.objects.get(connection=subscribed).status == SyncRun.Status.SUCCEEDED
    assert not [c for c in rsps.calls if "/subscriptions" in c.request.url]


def test_disconnect_deletes_the_subscription(subscribed, graph_token, rsps, user):
    rsps.delete(f"{SUBSCRIPTIONS}/sub-1", status=204)

    connection_disconnect(connection=subscribed, by=subscribed.user)

    assert [c.request.method for c in rsps.calls if "/subscriptions" in c.request.url] == ["DELETE"]
    subscribed.refresh_from_db()
    assert (subscribed.subscription_id, subscribed.subscription_client_state) == ("", "")


def test_support_disable_deletes_the_subscription(subscribed, graph_token, rsps, user):
    rsps.delete(f"{SUBSCRIPTIONS}/sub-1", status=204)

    connection_disable(connection=subscribed, by=user, reason="Abuse report")

    assert [c.request.method for c in rsps.calls if "/subscriptions" in c.request.url] == ["DELETE"]
    assert CalendarConnection.objects.get(pk=subscribed.pk).subscription_id == ""


def test_access_loss_deletes_the_subscription_while_the_access_token_still_works(subscribed, graph_token, rsps):
    rsps.delete(f"{SUBSCRIPTIONS}/sub-1", status=204)

    connection_mark_access_lost(connection=subscribed, microsoft_error="invalid_grant")

    assert [c.request.method for c in rsps.calls if "/subscriptions" in c.request.url] == ["DELETE"]
    subscribed.refresh_from_db()
    assert subscribed.status == CalendarConnection.Status.NOT_CONNECTED
    assert (subscribed.subscription_id, subscribed.subscription_expires_at) == ("", None)


def test_access_loss_forgets_the_subscription_even_when_it_cannot_be_deleted(subscribed, graph_token, rsps):
    rsps.delete(f"{SUBSCRIPTIONS}/sub-1", status=401, json={"error": {"code": "InvalidAuthenticationToken"}})

    connection_mark_access_lost(connection=subscribed, microsoft_error="invalid_grant")

    assert CalendarConnection.objects.get(pk=subscribed.pk).subscription_id == ""


def test_subscription_calls_go_through_the_one_request_loop_with_its_retry(connection, graph_token, rsps, slept):
    rsps.post(SUBSCRIPTIONS, status=503, headers={"Retry-After": "2"})
    rsps.post(SUBSCRIPTIONS, status=201, json=subscription_body())

    made = graph.create_subscription(
        access_token="token-1",
        notification_url="https://ruby.example.com/n",
        lifecycle_url="https://ruby.example.com/l",
        client_state="s",
        expires_at=timezone.now(),
    )

    assert made.id == "7f105c7d-2dc5-4530-97cd-4e7ae6534c07" and slept == [2.0]


def test_a_subscription_answer_without_an_expiry_is_refused(rsps):
    rsps.post(SUBSCRIPTIONS, status=201, json={"id": "x"})

    with pytest.raises(graph.GraphError) as caught:
        graph.create_subscription(
            access_token="t", notification_url="https://a/n", lifecycle_url="https://a/l", client_state="s",
            expires_at=timezone.now(),
        )  # fmt: skip
    assert caught.value.kind == graph.BAD_SHAPE


def test_delete_of_an_already_gone_subscription_is_done(rsps):
    rsps.add(responses.DELETE, f"{SUBSCRIPTIONS}/gone", status=404)

    assert graph.delete_subscription(access_token="t", subscription_id="gone") is None


def test_a_provider_without_push_gets_no_subscription_and_no_live_updates_line(connection, push_on, monkeypatch):
    # An Exchange on-premise provider (EWS) declares no push: nothing is asked of it, the card says nothing.
    class PullOnly:
        def fetch_window(self, connection, *, start, end):
            return iter(())

    monkeypatch.setitem(providers.PROVIDERS, connection.provider, PullOnly())

    assert subscription_ensure(connection_id=connection.pk) == "off"
    assert live_updates_for(connection) == {"state": ""}
