"""Fireflies' push protocol: x-hub-signature (with or without sha256=), the two webhook shapes, GraphQL fetch."""

import json

import pytest
import responses
from requests.structures import CaseInsensitiveDict

from tests.transcripts.sources import vendor_bodies as vb
from transcripts.sources import fireflies
from transcripts.sources.base import AdapterError
from transcripts.sources.protocol import SignatureError, SourceError

SECRET = "fireflies-secret-16"
BODY = json.dumps(vb.FIREFLIES_WEBHOOK_V1, separators=(",", ":")).encode()
VECTOR = "d206ecc9231fe5760dc89801b8ab00f4b78a6c7196715e23f9c58b004dec3f0e"
CREDS = {"api_key": "ff-key", "webhook_secret": SECRET}


@pytest.mark.parametrize("header", [f"sha256={VECTOR}", VECTOR, VECTOR.upper()])
def test_signature_with_or_without_prefix_is_accepted(header):
    fireflies.verify(headers=CaseInsensitiveDict({"X-Hub-Signature": header}), body=BODY, credentials=CREDS, now=0)


def test_wrong_signature_is_refused():
    with pytest.raises(SignatureError, match="does not match"):
        fireflies.verify(
            headers=CaseInsensitiveDict({"x-hub-signature": "sha256=00"}), body=BODY, credentials=CREDS, now=0
        )


def test_missing_signature_is_refused():
    with pytest.raises(SignatureError, match="missing"):
        fireflies.verify(headers=CaseInsensitiveDict(), body=BODY, credentials=CREDS, now=0)


def test_both_webhook_versions_are_transcripts_to_fetch():
    assert fireflies.check(payload=vb.FIREFLIES_WEBHOOK_V1) is True
    assert fireflies.check(payload=vb.FIREFLIES_WEBHOOK_V2) is True
    assert fireflies.delivery_key(headers={}, payload=vb.FIREFLIES_WEBHOOK_V2) == "transcribed:ASxwZxCstx"


def test_summarized_event_is_ignored():
    assert fireflies.check(payload=vb.FIREFLIES_SUMMARIZED) is False


def test_body_without_meeting_id_is_not_fireflies():
    with pytest.raises(AdapterError, match="meetingId"):
        fireflies.check(payload={"eventType": "Transcription completed"})


@responses.activate
def test_fetch_asks_graphql_for_the_transcript_with_the_api_key():
    responses.post("https://api.fireflies.ai/graphql", json=vb.FIREFLIES_TRANSCRIPT)
    (record,) = fireflies.fetch(payload=vb.FIREFLIES_WEBHOOK_V1, credentials=CREDS)
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer ff-key"
    sent = json.loads(request.body)
    assert sent["variables"] == {"transcriptId": "ASxwZxCstx"}
    assert "transcript(id: $transcriptId)" in sent["query"] and "sentences" in sent["query"]
    normalized = fireflies.parse(record)
    assert (normalized.external_id, normalized.text) == ("ASxwZxCstx", "Dana Whitfield: Hello.")
    assert normalized.started_at.isoformat() == "2025-03-05T15:00:00+00:00"


@responses.activate
def test_forbidden_graphql_error_is_an_auth_error():
    responses.post("https://api.fireflies.ai/graphql", json=vb.FIREFLIES_FORBIDDEN)
    with pytest.raises(SourceError) as caught:
        fireflies.test_connection(credentials=CREDS)
    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("auth", 403, True)
    assert caught.value.vendor_message == "You are not authorized to perform this action"


@responses.activate
def test_too_many_requests_carries_retry_after():
    error = {
        "message": "Too many requests",
        "code": "too_many_requests",
        "extensions": {"metadata": {"retryAfter": 42}},
    }
    responses.post("https://api.fireflies.ai/graphql", json={"errors": [error]})
    with pytest.raises(SourceError) as caught:
        fireflies.fetch(payload=vb.FIREFLIES_WEBHOOK_V1, credentials=CREDS)
    assert (caught.value.kind, caught.value.retry_after, caught.value.permanent) == ("throttled", 42.0, False)


@responses.activate
def test_test_connection_names_the_key_owner():
    responses.post("https://api.fireflies.ai/graphql", json={"data": {"user": {"name": "Sam", "email": "sam@x.io"}}})
    assert fireflies.test_connection(credentials=CREDS) == "Fireflies accepted the API key of Sam sam@x.io."
