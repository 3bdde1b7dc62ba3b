"""Granola's public API (PULL) against `responses`. Bodies from https://docs.granola.ai/api-reference/list-notes
and https://docs.granola.ai/api-reference/get-note (official examples; the e-mail addresses are obfuscated in the
stored copy, so ours are substituted), limits from https://docs.granola.ai/introduction — /work/tools/vendors.md §5.
"""

from datetime import datetime

import pytest
import requests
import responses
from responses import matchers

from transcripts.sources import granola, normalize
from transcripts.sources.protocol import Mode, SourceError

BASE = "https://public-api.granola.ai"
CREDENTIALS = {"api_key": "grn_example_key"}
SINCE = datetime.fromisoformat("2026-01-27T00:00:00+00:00")  # what services/pulls.py passes
SINCE_ISO = "2026-01-27T00:00:00Z"
CURSOR = "eyJjcmVkZW50aWFsfQ=="


def _listed(note_id: str, created: str) -> dict:
    return {
        "id": note_id,
        "object": "note",
        "title": "Quarterly yoghurt budget review",
        "owner": {"name": "Oat Benson", "email": "oat@granola.example"},
        "created_at": created,
        "updated_at": "2026-01-27T16:45:00Z",
    }


def _note(note_id: str) -> dict:
    return {
        "id": note_id,
        "object": "note",
        "title": "Quarterly yoghurt budget review",
        "owner": {"name": "Oat Benson", "email": "oat@granola.example"},
        "created_at": "2026-01-27T15:30:00Z",
        "calendar_event": {
            "event_title": "Quarterly yoghurt budget review",
            "invitees": [{"email": "raisin@customer.example"}],
            "organiser": "oat@granola.example",
            "calendar_event_id": "2su99n6iiik37iiknmb5t4fkfh_20260127T153000Z",
            "scheduled_start_time": "2026-01-27T15:30:00Z",
            "scheduled_end_time": "2026-01-27T16:30:00Z",
        },
        "attendees": [
            {"name": "Oat Benson", "email": "oat@granola.example"},
            {"name": "Raisin Patel", "email": "raisin@customer.example"},
        ],
        "folder_membership": [{"id": "fol_4y6LduVdwSKC27", "object": "folder", "name": "Top secret recipes"}],
        "summary_text": "The quarterly yoghurt budget review was a success.",
        "transcript": [
            {
                "speaker": {"source": "microphone"},
                "text": "I'm done pretending. Greek is the only yoghurt that deserves us.",
                "start_time": "2026-01-27T15:30:00Z",
                "end_time": "2026-01-27T16:30:00Z",
            },
            {
                "speaker": {"source": "speaker"},
                "text": "Finally. Regular yoghurt is just milk that gave up halfway.",
                "start_time": "2026-01-27T15:30:00Z",
                "end_time": "2026-01-27T16:30:00Z",
            },
        ],
    }


NOTE_1, NOTE_2 = "not_1d3tmYTlCICgjy", "not_2e4unZUmDJDhkz"


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    # The worker never sleeps (a 429 is handed to the platform with its Retry-After).
    monkeypatch.setattr("time.sleep", lambda seconds: pytest.fail(f"slept {seconds} s"))


def test_granola_is_a_pull_source_asking_for_its_api_key():
    assert granola.MODE == Mode.PULL
    assert [f.label for f in granola.CREDENTIAL_FIELDS] == ["API key"]


@responses.activate
def test_test_connection_lists_one_note_with_the_bearer_key():
    responses.get(
        f"{BASE}/v1/notes",
        json={"notes": [_listed(NOTE_1, "2026-01-27T15:30:00Z")], "hasMore": True, "cursor": CURSOR},
        match=[matchers.query_param_matcher({"page_size": "1"})],
    )

    assert granola.test_connection(credentials=CREDENTIALS) == "Granola accepted the API key (notes visible)"
    assert len(responses.calls) == 1
    assert responses.calls[0].request.headers["Authorization"] == "Bearer grn_example_key"


@responses.activate
def test_test_connection_401_is_a_permanent_auth_error():
    responses.get(f"{BASE}/v1/notes", status=401, body="Unauthorized - Invalid API key")

    with pytest.raises(SourceError) as caught:
        granola.test_connection(credentials=CREDENTIALS)

    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("auth", 401, True)
    assert caught.value.vendor_message == "Unauthorized - Invalid API key"


@responses.activate
def test_pull_reads_two_pages_with_the_cursor_and_fetches_each_note_with_its_transcript():
    responses.get(
        f"{BASE}/v1/notes",
        json={"notes": [_listed(NOTE_1, "2026-01-27T15:30:00Z")], "hasMore": True, "cursor": CURSOR},
        match=[matchers.query_param_matcher({"created_after": SINCE_ISO, "page_size": "30"})],
    )
    responses.get(
        f"{BASE}/v1/notes",
        json={"notes": [_listed(NOTE_2, "2026-01-28T10:00:00Z")], "hasMore": False, "cursor": None},
        match=[matchers.query_param_matcher({"created_after": SINCE_ISO, "page_size": "30", "cursor": CURSOR})],
    )
    for note_id in (NOTE_1, NOTE_2):
        responses.get(
            f"{BASE}/v1/notes/{note_id}",
            json=_note(note_id),
            match=[matchers.query_param_matcher({"include": "transcript"})],
        )

    first = granola.pull(credentials=CREDENTIALS, since=SINCE, cursor="")
    second = granola.pull(credentials=CREDENTIALS, since=SINCE, cursor=first.cursor)

    assert (first.cursor, second.cursor) == (CURSOR, "")
    assert [r["id"] for r in first.records + second.records] == [NOTE_1, NOTE_2]
    assert (first.newest, second.newest) == ("2026-01-27T15:30:00Z", "2026-01-28T10:00:00Z")


@responses.activate
def test_a_pulled_note_matches_on_its_calendar_event_times_invitees_and_attendees():
    responses.get(f"{BASE}/v1/notes", json={"notes": [_listed(NOTE_1, "2026-01-27T15:30:00Z")], "hasMore": False})
    responses.get(f"{BASE}/v1/notes/{NOTE_1}", json=_note(NOTE_1))

    (record,) = granola.pull(credentials=CREDENTIALS, since=SINCE).records
    transcript = normalize("granola", record)

    assert (transcript.started_at.isoformat(), transcript.ended_at.isoformat()) == (
        "2026-01-27T15:30:00+00:00",
        "2026-01-27T16:30:00+00:00",
    )
    assert [(p.name, p.email) for p in transcript.participants] == [
        ("Oat Benson", "oat@granola.example"),
        ("Raisin Patel", "raisin@customer.example"),
    ]
    assert transcript.text == (
        "Oat Benson: I'm done pretending. Greek is the only yoghurt that deserves us.\n"
        "Unknown speaker: Finally. Regular yoghurt is just milk that gave up halfway."
    )


@responses.activate
def test_a_note_granola_answers_404_for_is_left_for_a_later_run():
    responses.get(f"{BASE}/v1/notes", json={"notes": [_listed(NOTE_1, "2026-01-27T15:30:00Z")], "hasMore": False})
    responses.get(f"{BASE}/v1/notes/{NOTE_1}", status=404, body="Not found")

    page = granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert page.records == [] and page.newest == "2026-01-27T15:30:00Z"


@responses.activate
def test_a_listed_id_that_is_not_a_note_id_is_refused_before_it_reaches_a_url():
    responses.get(
        f"{BASE}/v1/notes", json={"notes": [_listed("../../admin", "2026-01-27T15:30:00Z")], "hasMore": False}
    )

    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert caught.value.kind == "protocol" and len(responses.calls) == 1


@responses.activate
def test_429_with_retry_after_is_throttled_for_the_platform_without_sleeping():
    responses.get(f"{BASE}/v1/notes", status=429, headers={"Retry-After": "2"}, body="Too Many Requests")

    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status, caught.value.retry_after) == ("throttled", 429, 2.0)
    assert caught.value.vendor_message == "Too Many Requests" and len(responses.calls) == 1


@responses.activate
def test_429_without_retry_after_is_throttled_for_the_platform():
    responses.get(f"{BASE}/v1/notes", status=429, body="Too Many Requests")

    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status, caught.value.retry_after) == ("throttled", 429, None)


@responses.activate
def test_5xx_is_unavailable():
    responses.get(f"{BASE}/v1/notes", status=503, body="Service Unavailable")

    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("unavailable", 503, False)


@responses.activate
def test_a_timeout_is_unavailable():
    responses.get(f"{BASE}/v1/notes", body=requests.ConnectTimeout("connect timed out"))

    with pytest.raises(SourceError) as caught:
        granola.test_connection(credentials=CREDENTIALS)

    assert (caught.value.kind, caught.value.status) == ("unavailable", None)


@responses.activate
def test_a_next_cursor_link_on_another_host_is_refused():
    responses.get(
        f"{BASE}/v1/notes", json={"notes": [], "hasMore": True, "cursor": "https://evil.example/v1/notes?cursor=x"}
    )

    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.vendor_message) == (
        "refused",
        "address on https://evil.example is not an allowed vendor host",
    )


@responses.activate
def test_a_cursor_link_on_another_host_is_refused_before_any_call():
    with pytest.raises(SourceError) as caught:
        granola.pull(credentials=CREDENTIALS, since=SINCE, cursor="http://public-api.granola.ai/v1/notes")

    assert (caught.value.kind, len(responses.calls)) == ("refused", 0)


@responses.activate
def test_the_host_comes_from_granola_api_url(settings):
    settings.GRANOLA_API_URL = "https://granola.standin.example"
    responses.get("https://granola.standin.example/v1/notes", json={"notes": [], "hasMore": False})

    granola.test_connection(credentials=CREDENTIALS)

    assert responses.calls[0].request.url.startswith("https://granola.standin.example/v1/notes?")
