"""Issue 16: nothing a transcript webhook acknowledged is ever lost; every bad input is a clear answer naming the
field. Webhook-level cases use the Custom source (Ruby's own signed JSON, where the body carries the transcript);
vendor webhooks carry only a pointer and are parsed in the worker, so their impossible values are parser cases."""

import json
import time
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import custom_payload, zoom_payload
from tests.transcripts.sources.records import minimal
from transcripts import signing, sources
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.services import deliveries
from transcripts.sources.base import AdapterError

SECRET = "whsec_never_lose_secret"


@pytest.fixture
def custom_source(workspace):
    return TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)


def post(client, config, body: bytes, *, stamp: str | None = None, **extra):
    stamp = str(int(time.time())) if stamp is None else stamp
    return client.post(
        reverse("transcript_webhook", kwargs={"source": config.source, "token": config.webhook_token}),
        data=body,
        content_type="application/json",
        HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, stamp),
        HTTP_X_RUBY_TIMESTAMP=stamp,
        **extra,
    )


def custom_body(**fields) -> bytes:
    return json.dumps({**custom_payload(), **fields}).encode()


def test_nul_byte_in_title_and_participant_is_cleaned_and_stored(
    client, custom_source, django_capture_on_commit_callbacks
):
    body = custom_body(title="Disco\u0000very call", participants=[{"name": "Da\u0000na", "email": "d@x.example"}])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, custom_source, body)
    assert response.status_code == 202
    transcript = Transcript.objects.get()
    assert transcript.title == "Discovery call"
    assert transcript.participants == [{"name": "Dana", "email": "d@x.example"}]
    assert TranscriptDelivery.objects.get().status == "processed"


def test_lone_surrogate_in_name_and_text_is_cleaned_and_stored(
    client, custom_source, django_capture_on_commit_callbacks
):
    body = custom_body(
        participants=[{"name": "Dana\ud800", "email": "d@x.example"}],
        transcript=[{"speaker": "Sam", "text": "hi \udc00there"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, custom_source, body).status_code == 202
    transcript = Transcript.objects.get()
    assert transcript.participants == [{"name": "Dana", "email": "d@x.example"}]
    assert transcript.text == "Sam: hi there"


def test_id_longer_than_its_column_is_refused_naming_the_field(client, custom_source):
    response = post(client, custom_source, custom_body(id="u" * 300))
    assert response.status_code == 400
    assert "'id': longer than 255 characters" in response.json()["error"]
    assert not TranscriptDelivery.objects.exists()


@pytest.mark.parametrize(
    ("source", "record", "field"),
    [
        ("zoom", minimal("zoom", start_time=10**400), "start_time"),
        ("zoom", minimal("zoom", duration=10**400), "duration"),
        ("zoom", minimal("zoom", start_time="9999-12-31T23:00:00Z", duration=120), "start_time"),
        ("granola", minimal("granola", calendar_event={"scheduled_start_time": "0001-01-01T00:00:00+01:00"}), "start"),
        ("fireflies", minimal("fireflies", participants=5), "Fireflies"),
    ],
    ids=["zoom-start-10e400", "zoom-duration-10e400", "zoom-9999-plus-120min", "granola-year-1", "fireflies-int"],
)
def test_valid_json_with_impossible_values_is_the_typed_error_naming_the_field(source, record, field):
    with pytest.raises(AdapterError) as refused:
        sources.normalize(source, record)
    assert field in str(refused.value)


def test_impossible_duration_in_a_webhook_is_a_400_not_a_500(client, custom_source):
    response = post(client, custom_source, custom_body(duration_minutes=10**400))
    assert response.status_code == 400
    assert "duration_minutes" in response.json()["error"]
    assert not TranscriptDelivery.objects.exists()


def test_superscript_timestamp_header_is_refused_in_plain_words(client, custom_source):
    response = post(client, custom_source, custom_body(), stamp="²")
    assert response.status_code == 401
    assert response.json()["error"] == "The X-Ruby-Timestamp header must be a Unix time in seconds."


def _break_ingest(monkeypatch):
    # The one fault injected inside Ruby: a database error while storing, which no input can cause any more.
    def broken(**kwargs):
        raise DatabaseError("value too long for type character varying(255)")

    monkeypatch.setattr(deliveries, "transcript_ingest", broken)


def test_failed_processing_is_kept_with_its_reason_and_retried_later(
    client, custom_source, monkeypatch, django_capture_on_commit_callbacks
):
    _break_ingest(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, custom_source, custom_body()).status_code == 202
    delivery = TranscriptDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "retrying",
        f"Processing failed (attempt 1 of {deliveries.MAX_ATTEMPTS}): DatabaseError.",
    )
    assert timedelta(seconds=20) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)


def test_retries_stop_after_the_last_attempt(custom_source, monkeypatch, django_capture_on_commit_callbacks):
    _break_ingest(monkeypatch)
    delivery, _ = deliveries.transcript_delivery_receive(source_config=custom_source, body=custom_body())
    TranscriptDelivery.objects.filter(pk=delivery.pk).update(attempts=deliveries.MAX_ATTEMPTS - 1)
    deliveries.transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    assert delivery.error.startswith(f"Processing failed (attempt {deliveries.MAX_ATTEMPTS} of ")


def test_a_due_retry_processes_the_delivery(custom_source, monkeypatch, django_capture_on_commit_callbacks):
    _break_ingest(monkeypatch)
    delivery, _ = deliveries.transcript_delivery_receive(source_config=custom_source, body=custom_body())
    deliveries.transcript_delivery_process(delivery_id=delivery.pk)
    monkeypatch.undo()
    TranscriptDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliveries.transcript_deliveries_due() == [delivery.pk]
    deliveries.transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("processed", "")
    assert delivery.transcript.external_id == "call-1"


def _failed_delivery(custom_source, monkeypatch):
    _break_ingest(monkeypatch)
    delivery, _ = deliveries.transcript_delivery_receive(source_config=custom_source, body=custom_body())
    TranscriptDelivery.objects.filter(pk=delivery.pk).update(attempts=deliveries.MAX_ATTEMPTS - 1)
    deliveries.transcript_delivery_process(delivery_id=delivery.pk)
    monkeypatch.undo()
    return delivery


def test_senders_retry_of_a_failed_delivery_is_processed_not_duplicate(
    client, custom_source, monkeypatch, django_capture_on_commit_callbacks
):
    _failed_delivery(custom_source, monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, custom_source, custom_body())
    assert (response.status_code, response.json()["status"]) == (202, "accepted")
    assert TranscriptDelivery.objects.get().status == "processed"
    assert Transcript.objects.get().external_id == "call-1"


def test_admin_retry_action_processes_failed_deliveries(
    custom_source, monkeypatch, admin_user, django_capture_on_commit_callbacks
):
    delivery = _failed_delivery(custom_source, monkeypatch)
    model_admin = site._registry[TranscriptDelivery]
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.retry(request, TranscriptDelivery.objects.filter(pk=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "processed"


def test_import_reports_a_record_that_breaks_a_parser_by_number_and_goes_on(tmp_path, workspace):
    from io import StringIO

    from django.core.management import call_command

    good = zoom_payload(uuid="good")["payload"]["object"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps([dict(good, start_time=10**400), good]))
    out, err = StringIO(), StringIO()
    call_command("import_transcripts", str(path), source="zoom", workspace=workspace.slug, stdout=out, stderr=err)
    assert "Skipped record 1 (line " in err.getvalue() and "'start_time'" in err.getvalue()
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in out.getvalue()
    assert list(Transcript.objects.values_list("external_id", flat=True)) == ["good"]


def test_chunked_body_is_refused_with_411_not_read_as_empty(client, custom_source):
    response = post(client, custom_source, custom_body(), CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert response.json()["error"] == (
        "Send the body with a Content-Length header (chunked transfer encoding is not accepted)."
    )
    assert not TranscriptDelivery.objects.exists()
