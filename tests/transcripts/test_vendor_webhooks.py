"""The vendors' webhooks through Ruby's real address: handshake, signatures, shape, dedupe, and what the worker does
when the vendor's API fails (retrying with its reason, needs attention on 401, refused hosts)."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import requests
import responses
from django.urls import reverse
from django.utils import timezone

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import meeting
from tests.transcripts.sources import vendor_bodies as vb
from transcripts import tasks
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource
from transcripts.services import deliveries
from transcripts.sources import fathom, zoom

ZOOM = {"account_id": "acc", "client_id": "cid", "client_secret": "cs", "secret_token": "zoom_secret_token"}
FIREFLIES = {"api_key": "ff-key", "webhook_secret": "fireflies-secret-16"}
FATHOM = {"webhook_secret": vb.STANDARD_WEBHOOKS_VECTOR["secret"]}
DOWNLOAD = "https://zoom.us/rec/webhook_download/Qg75t7xZBtEbAkjdlgbfdngBBBB"
PARTICIPANTS = "https://api.zoom.us/v2/past_meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/participants"


def source(workspace, name, creds):
    return TranscriptSourceFactory(workspace=workspace, source=name, secret="", credentials=json.dumps(creds))


def url(config):
    return reverse("transcript_webhook", kwargs={"source": config.source, "token": config.webhook_token})


def post_zoom(client, config, payload, *, secret=ZOOM["secret_token"], stamp=None):
    raw = json.dumps(payload).encode()
    stamp = stamp or str(int(time.time()))
    return client.post(
        url(config),
        data=raw,
        content_type="application/json",
        HTTP_X_ZM_REQUEST_TIMESTAMP=stamp,
        HTTP_X_ZM_SIGNATURE=zoom.signature(secret, stamp, raw),
    )


def post_fathom(client, config, payload, webhook_id="msg_1"):
    raw, stamp = json.dumps(payload).encode(), str(int(time.time()))
    return client.post(
        url(config),
        data=raw,
        content_type="application/json",
        HTTP_WEBHOOK_ID=webhook_id,
        HTTP_WEBHOOK_TIMESTAMP=stamp,
        HTTP_WEBHOOK_SIGNATURE=fathom.signature(FATHOM["webhook_secret"], webhook_id, stamp, raw),
    )


@pytest.fixture
def zoom_source(workspace):
    return source(workspace, "zoom", ZOOM)


def zoom_api(rsps, *, download_status=200):
    rsps.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    if download_status == 200:
        rsps.get(DOWNLOAD, body=vb.ZOOM_VTT, content_type="text/vtt")
    else:
        rsps.get(DOWNLOAD, status=download_status, json={"code": 0, "message": "vendor says no"})
    rsps.get(PARTICIPANTS, json=vb.ZOOM_PARTICIPANTS)


def nothing_stored():
    return not TranscriptDelivery.objects.exists() and not Transcript.objects.exists()


# --------------------------------------------------------------------------- Zoom in the request


def test_zoom_url_validation_is_answered_with_the_token(client, zoom_source):
    response = post_zoom(client, zoom_source, vb.ZOOM_URL_VALIDATION)
    assert response.status_code == 200
    assert response.json() == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
    }
    assert nothing_stored()


def test_zoom_challenge_with_a_wrong_signature_gets_no_token(client, zoom_source):
    response = post_zoom(client, zoom_source, vb.ZOOM_URL_VALIDATION, secret="not-the-secret")
    assert response.status_code == 401
    assert "encryptedToken" not in response.content.decode()
    assert response.json() == {"error": "The x-zm-signature does not match the body."}


def test_zoom_stale_signature_is_refused_and_nothing_stored(client, zoom_source):
    response = post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED, stamp=str(int(time.time()) - 400))
    assert response.status_code == 401
    assert nothing_stored()


def test_valid_json_that_is_not_a_zoom_event_is_400(client, zoom_source):
    response = post_zoom(client, zoom_source, vb.FIREFLIES_WEBHOOK_V1)
    assert response.status_code == 400
    assert response.json() == {"error": "This is not a Zoom delivery Ruby can read: not a Zoom event: no 'event'."}
    assert nothing_stored()


def test_a_json_list_is_400_not_500(client, zoom_source):
    response = post_zoom(client, zoom_source, [1, 2])
    assert response.status_code == 400


def test_other_zoom_events_are_acknowledged_and_not_stored(client, zoom_source):
    response = post_zoom(client, zoom_source, {"event": "meeting.started", "payload": {"object": {"uuid": "x"}}})
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert nothing_stored()


# --------------------------------------------------------------------------- Zoom in the worker


@responses.activate
def test_zoom_delivery_is_fetched_parsed_and_matched(
    client, user, workspace, zoom_source, django_capture_on_commit_callbacks
):
    event = meeting(user, start=timezone.datetime.fromisoformat("2021-07-13T21:44:51+00:00"), minutes=60)
    zoom_api(responses)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    assert response.status_code == 202
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.delivery_key) == (
        "processed",
        "recording.transcript_completed:4444AAAiAAAAAiAiAiiAii==:ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8",
    )
    transcript = Transcript.objects.get()
    assert (transcript.external_id, transcript.event) == ("4444AAAiAAAAAiAiAiiAii==", event)
    assert transcript.text == "Jill Chill: Let's revisit the budget allocations."


def test_the_request_calls_no_vendor(client, zoom_source, django_capture_on_commit_callbacks):
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=False):
        assert post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED).status_code == 202
        assert len(rsps.calls) == 0
    assert TranscriptDelivery.objects.get().status == "pending"


@responses.activate
def test_duplicate_zoom_delivery_is_answered_200_and_stored_once(
    client, zoom_source, django_capture_on_commit_callbacks
):
    zoom_api(responses)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        second = post_zoom(client, zoom_source, {**vb.ZOOM_TRANSCRIPT_COMPLETED, "event_ts": 1626230699999})
    assert (first.status_code, second.status_code, second.json()["status"]) == (202, 200, "duplicate")
    assert queued == []
    assert (TranscriptDelivery.objects.count(), Transcript.objects.count()) == (1, 1)


@responses.activate
def test_vendor_5xx_is_retried_with_its_reason_then_processed(
    client, zoom_source, django_capture_on_commit_callbacks, time_machine
):
    zoom_api(responses, download_status=503)
    with django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.error_kind) == ("retrying", 1, "unavailable")
    assert delivery.error == "Zoom did not answer properly (503): “vendor says no”."
    assert not Transcript.objects.exists()
    page = client.get(reverse("transcript_sources"))
    assert page.status_code == 302  # anonymous: the page is for admins
    assert tasks.sources_due() == "0 delivery(ies), 0 pull(s)"  # not due yet (30 s backoff)
    responses.replace(responses.GET, DOWNLOAD, body=vb.ZOOM_VTT, content_type="text/vtt")
    time_machine.move_to(timezone.now() + timedelta(seconds=31))
    tasks.sources_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("processed", 2, "")
    assert Transcript.objects.count() == 1


@responses.activate
def test_retry_after_is_honoured(client, zoom_source, django_capture_on_commit_callbacks):
    responses.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    responses.get(DOWNLOAD, status=429, headers={"Retry-After": "900"}, json={"code": 429, "message": "slow down"})
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    delivery = TranscriptDelivery.objects.get()
    assert delivery.status == "retrying"
    assert 895 <= (delivery.next_attempt_at - before).total_seconds() <= 905


@responses.activate
def test_vendor_timeout_is_retried(client, zoom_source, django_capture_on_commit_callbacks):
    responses.post("https://zoom.us/oauth/token", body=requests.ReadTimeout("slow"))
    with django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "retrying",
        "Zoom did not answer properly in time: “the vendor did not answer in time”.",
    )


@responses.activate
def test_vendor_401_puts_the_source_in_needs_attention_and_waits(
    client, user_client, zoom_source, django_capture_on_commit_callbacks
):
    responses.post("https://zoom.us/oauth/token", status=401, json={"reason": "Invalid client_id or client_secret"})
    with django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    zoom_source.refresh_from_db()
    reason = (
        "Zoom refused the credentials (401): “Invalid client_id or client_secret”. Save new ones, then Test connection."
    )
    assert (zoom_source.state, zoom_source.state_reason) == ("needs_attention", reason)
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error_kind) == ("failed", "auth")
    # New credentials: the waiting delivery is queued again.
    zoom_api(responses)
    responses.replace(responses.POST, "https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("transcript_source_save", args=["zoom"]), {"client_secret": "new-secret"})
    delivery.refresh_from_db()
    zoom_source.refresh_from_db()
    assert (delivery.status, zoom_source.state) == ("processed", "connected")


def test_download_url_on_another_host_is_refused_and_said(client, zoom_source, django_capture_on_commit_callbacks):
    payload = json.loads(json.dumps(vb.ZOOM_TRANSCRIPT_COMPLETED))
    payload["payload"]["object"]["recording_files"][0]["download_url"] = "https://files.attacker.example/t.vtt"
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, payload)
        assert len(rsps.calls) == 0
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "failed",
        "Ruby refused to follow a link from Zoom: the address on https://files.attacker.example is not an allowed "
        "vendor host.",
    )


@responses.activate
def test_transcript_without_text_says_why_it_cannot_be_matched(client, zoom_source, django_capture_on_commit_callbacks):
    zoom_api(responses)
    responses.replace(responses.GET, DOWNLOAD, body="WEBVTT\n\n", content_type="text/vtt")
    with django_capture_on_commit_callbacks(execute=True):
        post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "failed",
        "This Zoom transcript cannot be matched: it has no transcript text (no spoken words), so there is nothing "
        "to match.",
    )


def test_gives_up_after_the_budget(client, zoom_source, django_capture_on_commit_callbacks, time_machine):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post("https://zoom.us/oauth/token", status=502, json={"message": "bad gateway"})
        with django_capture_on_commit_callbacks(execute=True):
            post_zoom(client, zoom_source, vb.ZOOM_TRANSCRIPT_COMPLETED)
        delivery = TranscriptDelivery.objects.get()
        for _ in range(deliveries.MAX_ATTEMPTS - 1):
            time_machine.move_to(timezone.now() + timedelta(hours=7))
            deliveries.transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert (
        delivery.error
        == f"Gave up after {deliveries.MAX_ATTEMPTS} attempts. Zoom did not answer properly (502): “bad gateway”."
    )


# --------------------------------------------------------------------------- Fireflies and Fathom


@responses.activate
def test_fireflies_delivery_fetches_by_graphql(client, workspace, django_capture_on_commit_callbacks):
    config = source(workspace, "fireflies", FIREFLIES)
    raw = json.dumps(vb.FIREFLIES_WEBHOOK_V1).encode()
    sig = hmac.new(FIREFLIES["webhook_secret"].encode(), raw, hashlib.sha256).hexdigest()
    responses.post("https://api.fireflies.ai/graphql", json=vb.FIREFLIES_TRANSCRIPT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(config), data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE=sig)
    assert response.status_code == 202
    assert Transcript.objects.get().external_id == "ASxwZxCstx"


def test_fireflies_wrong_signature_is_401(client, workspace):
    config = source(workspace, "fireflies", FIREFLIES)
    response = client.post(
        url(config),
        data=json.dumps(vb.FIREFLIES_WEBHOOK_V1),
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE="sha256=ab",
    )
    assert response.status_code == 401
    assert nothing_stored()


def test_fathom_delivery_is_stored_once_per_webhook_id(client, workspace, django_capture_on_commit_callbacks):
    config = source(workspace, "fathom", FATHOM)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_fathom(client, config, vb.FATHOM_NEW_MEETING, webhook_id="msg_A")
        second = post_fathom(client, config, vb.FATHOM_NEW_MEETING, webhook_id="msg_A")
    assert (first.status_code, second.status_code) == (202, 200)
    assert TranscriptDelivery.objects.get().delivery_key == "msg_A"
    assert Transcript.objects.get().external_id == "123456789"


def test_fathom_valid_json_of_another_shape_is_400(client, workspace):
    config = source(workspace, "fathom", FATHOM)
    response = post_fathom(client, config, vb.ZOOM_URL_VALIDATION)
    assert response.status_code == 400
    assert nothing_stored()


def test_source_turned_off_answers_404(client, zoom_source):
    TranscriptSource.objects.filter(pk=zoom_source.pk).update(state="off")
    assert post_zoom(client, zoom_source, vb.ZOOM_URL_VALIDATION).status_code == 404


def test_a_pull_source_has_no_webhook(client, workspace):
    config = source(workspace, "gong", {})
    assert client.post(url(config), data=b"{}", content_type="application/json").status_code == 404


def test_fathom_meeting_without_times_is_kept_and_says_why(client, workspace, django_capture_on_commit_callbacks):
    config = source(workspace, "fathom", FATHOM)
    payload = {k: v for k, v in vb.FATHOM_NEW_MEETING.items() if not k.startswith("recording_") or k == "recording_id"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_fathom(client, config, payload).status_code == 202
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "failed",
        "This Fathom transcript cannot be matched: missing field 'recording_start_time'.",
    )
