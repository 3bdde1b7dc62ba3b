"""POST /webhooks/transcripts/custom/<token>/ (the Custom source, X-Ruby-Signature): checked, stored, queued."""

import json
import time

import pytest
from django.urls import reverse

from tests.factories import TranscriptFactory, TranscriptSourceFactory
from tests.transcripts.helpers import custom_payload
from transcripts import signing
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.views_webhook import MAX_BODY_BYTES

SECRET = "whsec_test_secret_value"


@pytest.fixture
def custom_source(workspace):
    return TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)


def url(config, source=None):
    return reverse("transcript_webhook", kwargs={"source": source or config.source, "token": config.webhook_token})


def post(client, config, body: bytes, *, secret=SECRET, timestamp="now", source=None, headers=None):
    stamp = str(int(time.time())) if timestamp == "now" else timestamp
    extra = {"HTTP_X_RUBY_SIGNATURE": signing.sign(body, secret, stamp)} if secret else {}
    if stamp is not None:
        extra["HTTP_X_RUBY_TIMESTAMP"] = stamp
    extra.update(headers or {})
    return client.post(url(config, source), data=body, content_type="application/json", **extra)


def body(**kwargs) -> bytes:
    return json.dumps(custom_payload(**kwargs)).encode()


def nothing_stored():
    return not TranscriptDelivery.objects.exists() and not Transcript.objects.exists()


def test_signed_delivery_is_accepted_and_processed(client, custom_source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, custom_source, body())
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    delivery = TranscriptDelivery.objects.get()
    assert delivery.status == "processed"  # the test settings run django-q tasks inline
    assert Transcript.objects.get().external_id == "call-1"


def test_signature_without_timestamp_is_accepted(client, custom_source):
    assert post(client, custom_source, body(), timestamp=None).status_code == 202


def test_bad_signature_is_refused(client, custom_source):
    response = post(client, custom_source, body(), secret="whsec_wrong")
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert nothing_stored()


def test_signature_of_another_body_is_refused(client, custom_source):
    stamp = str(int(time.time()))
    response = client.post(
        url(custom_source),
        data=body(text="tampered"),
        content_type="application/json",
        HTTP_X_RUBY_TIMESTAMP=stamp,
        HTTP_X_RUBY_SIGNATURE=signing.sign(body(), SECRET, stamp),
    )
    assert response.status_code == 401
    assert nothing_stored()


def test_missing_signature_is_refused(client, custom_source):
    response = post(client, custom_source, body(), secret=None)
    assert response.status_code == 401
    assert "missing" in response.json()["error"]
    assert nothing_stored()


def test_stale_timestamp_is_refused(client, custom_source):
    response = post(client, custom_source, body(), timestamp=str(int(time.time()) - 301))
    assert response.status_code == 401
    assert "5 minutes" in response.json()["error"]
    assert nothing_stored()


def test_previous_secret_still_works_during_rotation(client, custom_source):
    custom_source.previous_secret = SECRET
    custom_source.secret = "whsec_new_one"
    custom_source.save()
    assert post(client, custom_source, body(), secret=SECRET).status_code == 202
    assert post(client, custom_source, body(id="call-2"), secret="whsec_new_one").status_code == 202


def test_old_secret_refused_after_rotation_ends(client, custom_source):
    custom_source.secret = "whsec_new_one"
    custom_source.previous_secret = ""
    custom_source.save()
    assert post(client, custom_source, body(), secret=SECRET).status_code == 401


def test_source_without_secret_fails_closed(client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom", secret="")
    response = post(client, config, body(), secret="")
    assert response.status_code == 401
    assert nothing_stored()


def test_replayed_delivery_is_stored_once(client, custom_source, django_capture_on_commit_callbacks):
    payload = body()
    stamp = str(int(time.time()))
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, custom_source, payload, timestamp=stamp)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = post(client, custom_source, payload, timestamp=stamp)
    assert callbacks == []  # nothing queued again
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["status"] == "duplicate"
    assert TranscriptDelivery.objects.count() == 1
    assert Transcript.objects.count() == 1


def test_malformed_json_is_refused(client, custom_source):
    response = post(client, custom_source, b'{"payload": ')
    assert response.status_code == 400
    assert response.json()["error"] == "The body is not valid JSON."
    assert nothing_stored()


def test_json_that_is_not_a_transcript_is_refused(client, custom_source):
    response = post(client, custom_source, b'{"id": "x"}')
    assert response.status_code == 400
    assert response.json()["error"] == (
        "This is not a Custom source delivery Ruby can read: missing field 'started_at'."
    )
    assert nothing_stored()


def test_unknown_source_is_refused(client, custom_source):
    response = post(client, custom_source, body(), source="webex")
    assert response.status_code == 400
    assert nothing_stored()


def test_token_of_another_source_is_not_found(client, workspace, custom_source):
    response = post(client, custom_source, body(), source="gong")
    assert response.status_code == 404
    assert nothing_stored()


def test_unknown_token_is_not_found(client, custom_source):
    custom_source.webhook_token = "nope"
    response = post(client, custom_source, body())
    assert response.status_code == 404


def test_disabled_source_is_not_found(client, custom_source):
    custom_source.state = "off"
    custom_source.save()
    assert post(client, custom_source, body()).status_code == 404
    assert nothing_stored()


def test_declared_oversized_body_is_refused(client, custom_source):
    response = post(client, custom_source, body(), headers={"CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)})
    assert response.status_code == 413
    assert nothing_stored()


def test_oversized_body_is_refused_even_when_length_lies(client, custom_source, rf):
    from transcripts.views_webhook import transcript_webhook

    big = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    request = rf.post(url(custom_source), data=big, content_type="application/json")
    request.META["CONTENT_LENGTH"] = "100"
    # The stream still yields the whole body: the view must count what it actually reads.
    request._stream = __import__("io").BytesIO(big)
    response = transcript_webhook(request, source="custom", token=custom_source.webhook_token)
    assert response.status_code == 413
    assert nothing_stored()


def test_get_is_not_allowed(client, custom_source):
    response = client.get(url(custom_source))
    assert response.status_code == 405
    assert "POST" in response.json()["error"]


def test_webhook_of_workspace_b_changes_nothing_in_workspace_a(
    client, workspace, other_workspace, django_capture_on_commit_callbacks
):
    mine = TranscriptFactory(workspace=workspace, source="custom", external_id="call-1", title="Ours", text="Ours")
    theirs = TranscriptSourceFactory(workspace=other_workspace, source="custom", secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, theirs, body(id="call-1", title="Overwrite attempt"))
    assert response.status_code == 202
    mine.refresh_from_db()
    assert (mine.title, mine.text) == ("Ours", "Ours")
    assert Transcript.objects.get(workspace=other_workspace).title == "Overwrite attempt"
    assert not TranscriptDelivery.objects.filter(workspace=workspace).exists()


def test_workspace_a_secret_does_not_open_workspace_b(client, workspace, other_workspace):
    TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)
    theirs = TranscriptSourceFactory(workspace=other_workspace, source="custom", secret="whsec_other")
    assert post(client, theirs, body(), secret=SECRET).status_code == 401
    assert nothing_stored()
