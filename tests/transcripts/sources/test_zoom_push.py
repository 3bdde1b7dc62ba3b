"""Zoom's push protocol: x-zm-signature, endpoint.url_validation, and the worker's fetch (token, file, participants)."""

import json
from urllib.parse import parse_qs

import pytest
import responses
from requests.structures import CaseInsensitiveDict

from tests.transcripts.sources import vendor_bodies as vb
from transcripts.sources import zoom
from transcripts.sources.base import AdapterError
from transcripts.sources.protocol import SignatureError, SourceError

SECRET = "zoom_secret_token"
CHALLENGE_BODY = (
    b'{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000000}'
)
CREDS = {"account_id": "acc-1", "client_id": "cid", "client_secret": "csecret", "secret_token": SECRET}


def headers(signature, stamp="1700000000"):
    return CaseInsensitiveDict({"x-zm-signature": signature, "x-zm-request-timestamp": stamp})


def test_signature_vector():
    expected = "v0=53f30a92c5e70d82f547b80d5567e38ce8b3aaf61acd9fd311ba037ecef5f5ec"
    assert zoom.signature(SECRET, "1700000000", CHALLENGE_BODY) == expected


def test_verify_accepts_zooms_signature():
    sig = zoom.signature(SECRET, "1700000000", CHALLENGE_BODY)
    zoom.verify(headers=headers(sig), body=CHALLENGE_BODY, credentials=CREDS, now=1700000100)


def test_verify_refuses_another_secret():
    sig = zoom.signature("another", "1700000000", CHALLENGE_BODY)
    with pytest.raises(SignatureError, match="does not match"):
        zoom.verify(headers=headers(sig), body=CHALLENGE_BODY, credentials=CREDS, now=1700000100)


def test_verify_refuses_a_stale_timestamp():
    sig = zoom.signature(SECRET, "1700000000", CHALLENGE_BODY)
    with pytest.raises(SignatureError, match="5 minutes"):
        zoom.verify(headers=headers(sig), body=CHALLENGE_BODY, credentials=CREDS, now=1700000301)


def test_verify_refuses_when_no_secret_token_is_saved():
    with pytest.raises(SignatureError, match="no Secret token"):
        zoom.verify(headers=headers("v0=x"), body=b"{}", credentials={}, now=0)


def test_url_validation_answer():
    assert zoom.handshake(payload=vb.ZOOM_URL_VALIDATION, credentials=CREDS) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
    }


def test_ordinary_event_is_no_handshake():
    assert zoom.handshake(payload=vb.ZOOM_TRANSCRIPT_COMPLETED, credentials=CREDS) is None


def test_check_accepts_transcript_completed_and_ignores_other_events():
    assert zoom.check(payload=vb.ZOOM_TRANSCRIPT_COMPLETED) is True
    assert zoom.check(payload={"event": "meeting.started", "payload": {"object": {}}}) is False


@pytest.mark.parametrize("body", [{"meetingId": "x"}, {"event": "recording.transcript_completed"}, []])
def test_check_refuses_what_is_not_a_zoom_event(body):
    with pytest.raises(AdapterError):
        zoom.check(payload=body)


@pytest.mark.parametrize(
    ("uuid", "path_id"),
    [
        ("4444AAAiAAAAAiAiAiiAii==", "4444AAAiAAAAAiAiAiiAii%3D%3D"),
        ("/ajXp112QmuoKj4854875==", "%252FajXp112QmuoKj4854875%253D%253D"),
        ("ab//cd==", "ab%252F%252Fcd%253D%253D"),
    ],
)
def test_meeting_uuid_is_double_encoded_only_when_zoom_says_so(uuid, path_id):
    assert zoom.meeting_path_id(uuid) == path_id


def _zoom_api(rsps, *, participants=vb.ZOOM_PARTICIPANTS):
    rsps.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    rsps.get(
        "https://zoom.us/rec/webhook_download/Qg75t7xZBtEbAkjdlgbfdngBBBB",
        body=vb.ZOOM_VTT,
        content_type="text/vtt",
    )
    rsps.get("https://api.zoom.us/v2/past_meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/participants", json=participants)


@responses.activate
def test_fetch_downloads_the_transcript_with_the_download_token_and_adds_participants():
    _zoom_api(responses)
    (record,) = zoom.fetch(payload=vb.ZOOM_TRANSCRIPT_COMPLETED, credentials=CREDS)
    token_call, download, people = responses.calls
    assert parse_qs(token_call.request.body) == {"grant_type": ["account_credentials"], "account_id": ["acc-1"]}
    assert token_call.request.headers["Authorization"] == "Basic Y2lkOmNzZWNyZXQ="
    assert download.request.headers["Authorization"] == "Bearer abJhbGciOiJIUzUxMiJ9.download-token"
    assert people.request.headers["Authorization"] == "Bearer eyJhbGciOiJIUzI1NiJ9.s2s"
    normalized = zoom.parse(record)
    assert normalized.text == "Jill Chill: Let's revisit the budget allocations."
    assert [p.email for p in normalized.participants] == ["jchill@example.com", "dana@northwind.example"]


@responses.activate
def test_fetch_without_download_token_uses_the_account_token():
    _zoom_api(responses)
    payload = {k: v for k, v in vb.ZOOM_TRANSCRIPT_COMPLETED.items() if k != "download_token"}
    zoom.fetch(payload=payload, credentials=CREDS)
    assert responses.calls[1].request.headers["Authorization"] == "Bearer eyJhbGciOiJIUzI1NiJ9.s2s"


def test_download_url_on_another_host_is_refused_before_any_call():
    payload = json.loads(json.dumps(vb.ZOOM_TRANSCRIPT_COMPLETED))
    payload["payload"]["object"]["recording_files"][0]["download_url"] = "https://attacker.example/rec/x"
    with responses.RequestsMock() as rsps, pytest.raises(SourceError) as caught:
        zoom.fetch(payload=payload, credentials=CREDS)
    assert (caught.value.kind, caught.value.permanent) == ("refused", True)
    assert caught.value.vendor_message == "address on https://attacker.example is not an allowed vendor host"
    assert len(rsps.calls) == 0


@responses.activate
def test_a_refused_token_is_an_auth_error():
    responses.post("https://zoom.us/oauth/token", status=401, json={"reason": "Invalid client_id or client_secret"})
    with pytest.raises(SourceError) as caught:
        zoom.test_connection(credentials=CREDS)
    assert (caught.value.kind, caught.value.status) == ("auth", 401)
    assert caught.value.vendor_message == "Invalid client_id or client_secret"


@responses.activate
def test_an_html_page_instead_of_the_file_is_an_auth_error():
    responses.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    responses.get(
        "https://zoom.us/rec/webhook_download/Qg75t7xZBtEbAkjdlgbfdngBBBB",
        body="<html>Only the host can download</html>",
        content_type="text/html",
    )
    with pytest.raises(SourceError) as caught:
        zoom.fetch(payload=vb.ZOOM_TRANSCRIPT_COMPLETED, credentials=CREDS)
    assert caught.value.kind == "auth"


def test_recording_without_a_transcript_file_says_so():
    payload = json.loads(json.dumps(vb.ZOOM_TRANSCRIPT_COMPLETED))
    payload["payload"]["object"]["recording_files"][0]["file_type"] = "MP4"
    with pytest.raises(AdapterError, match="no TRANSCRIPT file"):
        zoom.fetch(payload=payload, credentials=CREDS)


@responses.activate
def test_test_connection_says_what_worked():
    responses.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    assert zoom.test_connection(credentials=CREDS) == "Zoom accepted the app's Account ID, Client ID and Client secret."
