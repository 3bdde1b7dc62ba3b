"""The Graph webhooks (issue 12): validation, notifications, bad input, and a burst coalesced into one sync.
Payload shapes from graph_ews.md A.2–A.3 (change-notifications-delivery-webhooks.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from calendar_sync.models import PushNotification, SyncRun
from calendar_sync.services import subscriptions
from calendar_sync.services.subscriptions import push_notifications_process
from tests.calendar_sync.graph_fakes import graph_event, person
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

NOTIFY = "/webhooks/microsoft/notifications/"


@pytest.fixture
def subscribed(connection):
    connection.subscription_id = "sub-1"
    connection.subscription_client_state = "secret-state-1"
    connection.subscription_expires_at = timezone.now() + timedelta(days=2)
    connection.subscription_renew_at = timezone.now() + timedelta(days=1)
    connection.save()
    return connection


@pytest.fixture
def no_wait(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(subscriptions, "sleep", waits.append)
    return waits


def change(subscription_id="sub-1", client_state="secret-state-1", **extra) -> dict:
    return {
        "value": [
            {
                "id": "lsgTZMr9KwAAA",
                "subscriptionId": subscription_id,
                "subscriptionExpirationDateTime": "2030-03-19T22:11:09.952Z",
                "clientState": client_state,
                "changeType": "updated",
                "resource": "Users/u@t/Events/AAMk",
                "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
                "resourceData": {"@odata.type": "#Microsoft.Graph.Event", "@odata.id": "Users/u/Events/AAMk"},
                **extra,
            }
        ]
    }


def post(client, body, path=NOTIFY):
    return client.post(path, body, content_type="application/json")


def test_validation_echoes_the_decoded_token_as_plain_text(client, db):
    response = client.post(f"{NOTIFY}?validationToken=Validation%3A%20Testing%20client%20application%20reachability")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Validation: Testing client application reachability"


def test_validation_on_the_lifecycle_url_is_answered_too(client, db):
    response = client.post("/webhooks/microsoft/lifecycle/?validationToken=abc-123")

    assert (response.status_code, response.content) == (200, b"abc-123")


def test_validation_with_junk_is_echoed_as_plain_text_not_html(client, db):
    junk = "<script>alert(1)</script>&x=<b>"
    response = client.post(f"{NOTIFY}?validationToken=%3Cscript%3Ealert(1)%3C%2Fscript%3E%26x%3D%3Cb%3E&extra=1")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == junk


def test_validation_writes_nothing(client, subscribed, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.post(f"{NOTIFY}?validationToken=t")


def test_a_matching_notification_is_accepted_with_one_row_and_no_graph_call(client, subscribed, rsps):
    response = post(client, change())

    assert response.status_code == 202
    assert list(PushNotification.objects.values_list("connection_id", "kind")) == [(subscribed.pk, "change")]
    assert len(rsps.calls) == 0


def test_a_wrong_client_state_changes_nothing(client, subscribed, rsps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, change(client_state="guessed"))

    assert response.status_code == 202
    assert not PushNotification.objects.exists() and callbacks == []
    assert not SyncRun.objects.exists() and len(rsps.calls) == 0


def test_an_unknown_subscription_changes_nothing(client, subscribed, rsps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, change(subscription_id="someone-elses"))

    assert response.status_code == 202
    assert not PushNotification.objects.exists() and callbacks == []
    assert len(rsps.calls) == 0


def test_a_missing_client_state_changes_nothing(client, subscribed):
    body = change()
    del body["value"][0]["clientState"]

    assert post(client, body).status_code == 202
    assert not PushNotification.objects.exists()


def test_a_disconnected_connections_subscription_changes_nothing(client, subscribed):
    subscribed.status = "not_connected"
    subscribed.save()

    assert post(client, change()).status_code == 202
    assert not PushNotification.objects.exists()


def test_a_body_that_is_not_json_gets_400(client, subscribed):
    response = client.post(NOTIFY, "not json{", content_type="application/json")

    assert response.status_code == 400
    assert not PushNotification.objects.exists()


def test_json_without_a_list_of_notifications_gets_400(client, subscribed):
    assert post(client, {"value": "x"}).status_code == 400
    assert post(client, ["x"]).status_code == 400


def test_get_without_a_validation_token_is_refused(client, db):
    assert client.get(NOTIFY).status_code == 405


def test_a_batch_for_two_connections_keeps_one_row_each(client, subscribed):
    other = ConnectionFactory(subscription_id="sub-2", subscription_client_state="state-2")
    body = change()
    body["value"] += change("sub-2", "state-2")["value"] + change()["value"]

    post(client, body)

    assert sorted(PushNotification.objects.values_list("connection_id", flat=True)) == sorted([subscribed.pk, other.pk])


def test_a_notification_leads_to_one_sync_of_that_connection(
    client, subscribed, fake_graph, no_wait, django_capture_on_commit_callbacks
):
    fake_graph.events = [graph_event(id="ev-1", attendees=[person("dana@northwind.example")])]

    with django_capture_on_commit_callbacks(execute=True):
        post(client, change())

    run = SyncRun.objects.get(connection=subscribed)
    assert (run.trigger, run.status, run.created) == (SyncRun.Trigger.WEBHOOK, SyncRun.Status.SUCCEEDED, 1)
    assert no_wait and 0 < no_wait[0] <= subscriptions.DEFAULT_DEBOUNCE_SECONDS  # "a few seconds later"
    subscribed.refresh_from_db()
    assert subscribed.push_last_change_at is not None
    assert not PushNotification.objects.exists()


def test_a_thousand_notifications_in_a_second_cause_one_sync(
    client, subscribed, fake_graph, no_wait, django_capture_on_commit_callbacks
):
    fake_graph.events = [graph_event(id="ev-1", attendees=[person("dana@northwind.example")])]

    with django_capture_on_commit_callbacks(execute=True):
        answers = {post(client, change()).status_code for _ in range(1000)}

    assert answers == {202}
    assert SyncRun.objects.filter(connection=subscribed).count() == 1
    assert len(fake_graph.calls) == 1
    assert not PushNotification.objects.exists()


def test_notifications_arriving_while_the_burst_waits_join_its_sync(
    client, subscribed, fake_graph, monkeypatch, django_capture_on_commit_callbacks
):
    # The leader waits; meanwhile more notifications arrive and their tasks run: they find the leader and return.
    outcomes = []

    def arrivals_during_the_wait(seconds):
        for _ in range(50):
            PushNotification.objects.create(connection=subscribed)
            outcomes.append(push_notifications_process(connection_id=subscribed.pk))

    monkeypatch.setattr(subscriptions, "sleep", arrivals_during_the_wait)
    PushNotification.objects.create(connection=subscribed)

    with django_capture_on_commit_callbacks(execute=True):
        leader = push_notifications_process(connection_id=subscribed.pk)

    assert leader == "synced" and set(outcomes) == {"coalesced"}
    assert SyncRun.objects.filter(connection=subscribed).count() == 1
    assert not PushNotification.objects.exists()


def test_a_leader_that_died_is_taken_over(subscribed, fake_graph, no_wait, django_capture_on_commit_callbacks):
    stale = timezone.now() - timedelta(minutes=5)
    PushNotification.objects.create(connection=subscribed, received_at=stale, claimed_at=stale)

    with django_capture_on_commit_callbacks(execute=True):
        assert push_notifications_process(connection_id=subscribed.pk) == "synced"


def test_a_change_while_a_sync_is_queued_is_covered_by_it(subscribed, no_wait):
    SyncRun.objects.create(connection=subscribed, trigger=SyncRun.Trigger.SCHEDULE, status=SyncRun.Status.QUEUED)
    PushNotification.objects.create(connection=subscribed)

    assert push_notifications_process(connection_id=subscribed.pk) == "covered"
    assert SyncRun.objects.filter(connection=subscribed).count() == 1


def test_a_webhook_sync_costs_one_request_per_page(
    client, subscribed, fake_graph, no_wait, django_capture_on_commit_callbacks
):
    fake_graph.max_page = 10
    fake_graph.events = [graph_event(id=f"ev-{i}", attendees=[person("dana@northwind.example")]) for i in range(25)]

    with django_capture_on_commit_callbacks(execute=True):
        post(client, change())

    run = SyncRun.objects.get(connection=subscribed)
    assert (run.pages, run.requests) == (3, 3)  # ceil(25 / 10); the subscription costs the sync nothing


def test_the_webhooks_need_no_login_and_no_csrf_token(subscribed):
    response = Client(enforce_csrf_checks=True).post(NOTIFY, change(), content_type="application/json")

    assert response.status_code == 202


def test_the_renew_schedule_sweeps_notifications_nobody_took(subscribed, fake_graph, no_wait, settings):
    settings.PUBLIC_BASE_URL = ""
    old = timezone.now() - timedelta(minutes=5)
    PushNotification.objects.create(connection=subscribed, received_at=old)

    assert subscriptions.subscriptions_renew_due() == {"strays_requeued": 1}
    assert SyncRun.objects.filter(connection=subscribed, trigger=SyncRun.Trigger.WEBHOOK).count() == 1
