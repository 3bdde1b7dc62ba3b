"""The built-in vendor stand-ins: Test connection and a signed delivery per push vendor, offline; DEBUG only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import meeting
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.services.sources import transcript_source_test
from transcripts.sources import zoom
from transcripts.sources.sandbox import deliveries

ROOT = Path(__file__).resolve().parents[2]
CREDS = {
    "zoom": {"account_id": "a", "client_id": "c", "client_secret": "s", "secret_token": "zoom-token"},
    "fireflies": {"api_key": "k", "webhook_secret": "sixteen-chars-ok"},
    "fathom": {"webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
}


@pytest.fixture(autouse=True)
def sandbox_on(settings):
    settings.TRANSCRIPT_SANDBOX = True


@pytest.mark.parametrize("source", ["zoom", "fireflies", "fathom"])
def test_test_connection_works_offline(workspace, source):
    config = TranscriptSourceFactory(workspace=workspace, source=source, credentials=json.dumps(CREDS[source]))
    worked, said = transcript_source_test(source_config=config)
    assert worked, said
    config.refresh_from_db()
    assert config.state == "connected" and config.tested_at is not None


def test_a_wrong_credential_shows_needs_attention_in_the_sandbox(workspace):
    creds = {**CREDS["fireflies"], "api_key": "wrong"}
    config = TranscriptSourceFactory(workspace=workspace, source="fireflies", credentials=json.dumps(creds))
    worked, said = transcript_source_test(source_config=config)
    config.refresh_from_db()
    assert (worked, config.state) == (False, "needs_attention")
    assert (
        said == "Fireflies refused the credentials (401): “Invalid access token.”. Save new ones, then Test connection."
    )


@pytest.mark.parametrize("source", ["zoom", "fireflies", "fathom"])
def test_a_sandbox_delivery_signed_as_the_vendor_signs_ends_matched(
    client, user, workspace, source, django_capture_on_commit_callbacks
):
    config = TranscriptSourceFactory(workspace=workspace, source=source, credentials=json.dumps(CREDS[source]))
    event = meeting(user, subject="Northwind discovery")
    raw, headers = deliveries.BUILDERS[source](event, CREDS[source])
    url = reverse("transcript_webhook", kwargs={"source": source, "token": config.webhook_token})
    extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data=raw, content_type="application/json", **extra)
    assert response.status_code == 202, response.content
    assert TranscriptDelivery.objects.get().status == "processed"
    transcript = Transcript.objects.get()
    assert (transcript.event, transcript.match_status) == (event, "matched")
    assert transcript.text.startswith("Sam Seller: Thanks for making the time today.")


def test_zoom_sandbox_uuid_is_double_encoded_for_the_participants_call(user, workspace):
    event = meeting(user)
    body = json.loads(deliveries.zoom_delivery(event, CREDS["zoom"])[0])
    uuid = body["payload"]["object"]["uuid"]
    assert "//" in uuid and "%252F%252F" in zoom.meeting_path_id(uuid)
    people = zoom.participants(uuid, "token")
    assert [p["user_email"] for p in people] == [a.email for a in event.attendees.all()]


def test_the_sandbox_is_refused_when_debug_is_off():
    env = {
        **os.environ,
        "DEBUG": "0",
        "TRANSCRIPT_SANDBOX": "1",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "ruby.example",
    }
    env["FIELD_ENCRYPTION_KEY"] = "kQxOQ2yZq5Ue3mKkW4vR1ktB2ZyN5kEJkUPDmJ0H3yE="
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import ruby_site.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "TRANSCRIPT_SANDBOX=1 is for development only and is refused when DEBUG is off." in result.stderr


def test_a_wrong_zoom_client_secret_is_refused_by_the_sandbox(workspace):
    creds = {**CREDS["zoom"], "client_secret": "wrong-secret"}
    config = TranscriptSourceFactory(workspace=workspace, source="zoom", credentials=json.dumps(creds))
    worked, said = transcript_source_test(source_config=config)
    assert (worked, said) == (
        False,
        "Zoom refused the credentials (401): “Invalid access token.”. Save new ones, then Test connection.",
    )
