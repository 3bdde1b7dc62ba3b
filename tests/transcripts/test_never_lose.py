"""Issue 16: nothing a transcript webhook acknowledged is ever lost; every bad input is a 400 naming the field."""

import json
import time
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import zoom_payload
from tests.transcripts.sources.records import minimal
from transcripts import signing
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.services import ingest

SECRET = "whsec_never_lose_secret"


@pytest.fixture
def zoom_source(workspace):
    return TranscriptSourceFactory(workspace=workspace, source="zoom", secret=SECRET)


def post(client, config, body: bytes, *, stamp: str | None = None):
    stamp = str(int(time.time())) if stamp is None else stamp
    return client.post(
        reverse("transcript_webhook", kwargs={"source": config.source, "token": config.webhook_token}),
        data=body,
        content_type="application/json",
        HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, stamp),
        HTTP_X_RUBY_TIMESTAMP=stamp,
    )


def zoom_body(**object_fields) -> bytes:
    payload = zoom_payload()
    payload["payload"]["object"].update(object_fields)
    return json.dumps(payload).encode()


def test_nul_byte_in_topic_and_participant_is_cleaned_and_stored(
    client, zoom_source, django_capture_on_commit_callbacks
):
    body = zoom_body(topic="Disco\u0000very call", participants=[{"name": "Da\u0000na", "user_email": "d@x.example"}])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, zoom_source, body)
    assert response.status_code == 202
    transcript = Transcript.objects.get()
    assert transcript.title == "Discovery call"
    assert transcript.participants == [{"name": "Dana", "email": "d@x.example"}]
    assert TranscriptDelivery.objects.get().status == "processed"


def test_lone_surrogate_in_name_and_text_is_cleaned_and_stored(client, zoom_source, django_capture_on_commit_callbacks):
    body = zoom_body(
        participants=[{"name": "Dana\ud800", "user_email": "d@x.example"}],
        transcript="WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nSam: hi \udc00there",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, zoom_source, body).status_code == 202
    transcript = Transcript.objects.get()
    assert transcript.participants == [{"name": "Dana", "email": "d@x.example"}]
    assert transcript.text == "Sam: hi there"


def test_uuid_longer_than_its_column_is_refused_naming_the_field(client, zoom_source):
    response = post(client, zoom_source, zoom_body(uuid="u" * 300))
    assert response.status_code == 400
    assert response.json()["error"] == (
        "The Zoom transcript cannot be read: bad value for field 'uuid': longer than 255 characters."
    )
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
def test_valid_json_with_impossible_values_is_a_400_naming_the_field(client, workspace, source, record, field):
    config = TranscriptSourceFactory(workspace=workspace, source=source, secret=SECRET)
    response = post(client, config, json.dumps(record).encode())
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert not TranscriptDelivery.objects.exists()


def test_superscript_timestamp_header_is_a_400(client, zoom_source):
    body = zoom_body()
    response = client.post(
        reverse("transcript_webhook", kwargs={"source": "zoom", "token": zoom_source.webhook_token}),
        data=body,
        content_type="application/json",
        HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, "1"),
        HTTP_X_RUBY_TIMESTAMP="²",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "The X-Ruby-Timestamp header must be a Unix time in seconds."


def _break_ingest(monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("value too long for type character varying(255)")

    monkeypatch.setattr(ingest, "transcript_ingest", broken)


def test_failed_processing_is_marked_failed_with_reason_and_retried_later(
    client, zoom_source, monkeypatch, django_capture_on_commit_callbacks
):
    _break_ingest(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, zoom_source, zoom_body()).status_code == 202
    delivery = TranscriptDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.error.startswith(
        "Processing failed (attempt 1 of 5): value too long for type character varying(255); Ruby tries again at "
    )
    retry = Schedule.objects.get(func="transcripts.tasks.process_delivery")
    assert retry.args == f"({delivery.pk}, 2)"
    assert retry.schedule_type == Schedule.ONCE
    assert timedelta(seconds=50) < retry.next_run - timezone.now() <= timedelta(minutes=1)


def test_retries_stop_after_the_last_attempt(zoom_source, monkeypatch, django_capture_on_commit_callbacks):
    _break_ingest(monkeypatch)
    delivery, _ = ingest.transcript_delivery_receive(source_config=zoom_source, body=zoom_body())
    with django_capture_on_commit_callbacks(execute=True):
        ingest.transcript_delivery_process(delivery_id=delivery.pk, attempt=ingest.MAX_ATTEMPTS)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error == "Processing failed (attempt 5 of 5): value too long for type character varying(255)"
    assert not Schedule.objects.exists()


def test_scheduled_retry_processes_a_failed_delivery(zoom_source, monkeypatch, django_capture_on_commit_callbacks):
    _break_ingest(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = ingest.transcript_delivery_receive(source_config=zoom_source, body=zoom_body())
    monkeypatch.undo()
    ingest.transcript_delivery_process(delivery_id=delivery.pk, attempt=2)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("processed", "")
    assert delivery.transcript.external_id == "zm-uuid-1"


def test_senders_retry_of_a_failed_delivery_is_processed_not_duplicate(
    client, zoom_source, monkeypatch, django_capture_on_commit_callbacks
):
    _break_ingest(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, zoom_source, zoom_body())
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, zoom_source, zoom_body())
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert TranscriptDelivery.objects.get().status == "processed"
    assert Transcript.objects.get().external_id == "zm-uuid-1"


def test_admin_retry_action_processes_failed_deliveries(
    zoom_source, monkeypatch, admin_user, django_capture_on_commit_callbacks
):
    _break_ingest(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = ingest.transcript_delivery_receive(source_config=zoom_source, body=zoom_body())
    monkeypatch.undo()
    model_admin = site._registry[TranscriptDelivery]
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.retry(request, TranscriptDelivery.objects.filter(pk=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    assert "error" in model_admin.list_display


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


def test_chunked_body_is_refused_with_411_not_read_as_empty(client, zoom_source):
    body = zoom_body()
    stamp = str(int(time.time()))
    response = client.post(
        reverse("transcript_webhook", kwargs={"source": "zoom", "token": zoom_source.webhook_token}),
        data=body,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, stamp),
        HTTP_X_RUBY_TIMESTAMP=stamp,
    )
    assert response.status_code == 411
    assert response.json()["error"] == (
        "Send the body with a Content-Length header (chunked transfer encoding is not accepted)."
    )
    assert not TranscriptDelivery.objects.exists()
