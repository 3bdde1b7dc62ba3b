"""Gong's API (PULL) against `responses`. Bodies are assembled from the per-field `example` values of Gong's
published OpenAPI "Gong API" V2 (schemas Calls, CallTranscripts, UsersMetadata, ErrorResponse; as stored in
cedricziel/gong-rs spec/openapi.json) and https://help.gong.io/apidocs/introduction-2 — /work/tools/vendors.md §4.
"""

import base64
import json
from datetime import datetime

import pytest
import requests
import responses

from transcripts.sources import gong, normalize
from transcripts.sources.protocol import Mode, SourceError

BASE = "https://us-95680.api.gong.io"
CREDENTIALS = {"access_key": "AK-EXAMPLE", "access_key_secret": "eyJhbGciOiJIUzI1NiJ9.secret"}
CURSOR = "eyJhbGciOiJIUzI1NiJ9.eyJjYWxsSWQiM1M30.6qKwpOcvnuweTZmFRzYdtjs_YwJphJU4QIwWFM"
SINCE = datetime.fromisoformat("2018-02-17T10:30:00+00:00")  # what services/pulls.py passes
SINCE_ISO = "2018-02-17T10:30:00Z"


def _call(call_id: str, title: str, started: str) -> dict:
    return {
        "metaData": {
            "id": call_id,
            "url": f"https://app.gong.io/call?id={call_id}",
            "title": title,
            "scheduled": started,
            "started": started,
            "duration": 460,
            "primaryUserId": "234599484848423",
            "system": "Outreach",
            "scope": "Internal",
            "media": "Video",
            "language": "eng",
            "workspaceId": "623457276584334",
            "meetingUrl": "https://zoom.us/j/123",
            "isPrivate": False,
            "calendarEventId": "abcde@google.com",
        },
        "parties": [
            {
                "id": "56825452554556",
                "emailAddress": "test@test.com",
                "name": "Test User",
                "title": "Enterprise Account Executive",
                "userId": "234599484848423",
                "speakerId": "6432345678555530067",
                "affiliation": "Internal",
                "phoneNumber": "+1 123-567-8989",
            },
            {
                "id": "56825452554557",
                "emailAddress": "buyer@customer.example",
                "speakerId": "7",
                "affiliation": "External",
            },
        ],
    }


PAGE_1 = {
    "requestId": "4al018gzaztcr8nbukw",
    "records": {"totalRecords": 2, "currentPageSize": 1, "currentPageNumber": 0, "cursor": CURSOR},
    "calls": [_call("7782342274025937895", "Example call", "2018-02-18T08:00:00Z")],
}
PAGE_2 = {
    "requestId": "4al018gzaztcr8nbukx",
    "records": {"totalRecords": 2, "currentPageSize": 1, "currentPageNumber": 1},
    "calls": [_call("7782342274025937896", "Second call", "2018-02-18T09:00:00Z")],
}


def _transcripts(call_id: str) -> dict:
    return {
        "requestId": "4al018gzaztcr8nbukw",
        "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
        "callTranscripts": [
            {
                "callId": call_id,
                "transcript": [
                    {
                        "speakerId": "6432345678555530067",
                        "topic": "Objections",
                        "sentences": [
                            {"start": 460230, "end": 462343, "text": "No wait, I think we should check that out first."}
                        ],
                    },
                    {"speakerId": "7", "sentences": [{"start": 462400, "end": 463000, "text": "Sure, go ahead."}]},
                ],
            }
        ],
    }


ERROR = {"requestId": "4al018gzaztcr8nbukw", "errors": ["Access denied"]}


@pytest.fixture(autouse=True)
def gong_host(settings, monkeypatch):
    settings.GONG_API_URL = BASE
    # The worker never sleeps (a 429 is handed to the platform with its Retry-After).
    monkeypatch.setattr("time.sleep", lambda seconds: pytest.fail(f"slept {seconds} s"))


def test_gong_is_a_pull_source_with_gongs_own_credential_words():
    assert gong.MODE == Mode.PULL
    assert [f.label for f in gong.CREDENTIAL_FIELDS] == ["Access key", "Access key secret"]


@responses.activate
def test_test_connection_calls_users_once_with_basic_auth():
    responses.get(
        f"{BASE}/v2/users",
        json={"requestId": "x", "records": {"totalRecords": 12, "currentPageSize": 12}, "users": []},
    )

    summary = gong.test_connection(credentials=CREDENTIALS)

    assert summary == "Gong accepted the access key (12 users visible)"
    assert len(responses.calls) == 1
    expected = base64.b64encode(b"AK-EXAMPLE:eyJhbGciOiJIUzI1NiJ9.secret").decode()
    assert responses.calls[0].request.headers["Authorization"] == f"Basic {expected}"


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_test_connection_refused_is_a_permanent_auth_error_with_gongs_words(status):
    responses.get(f"{BASE}/v2/users", json=ERROR, status=status)

    with pytest.raises(SourceError) as caught:
        gong.test_connection(credentials=CREDENTIALS)

    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("auth", status, True)
    assert caught.value.vendor_message == "Access denied"


@responses.activate
def test_pull_follows_the_cursor_over_two_pages_and_attaches_transcripts():
    extensive = f"{BASE}/v2/calls/extensive"
    responses.post(
        extensive,
        json=PAGE_1,
        match=[
            responses.matchers.json_params_matcher(
                {"filter": {"fromDateTime": SINCE_ISO}, "contentSelector": {"exposedFields": {"parties": True}}}
            )
        ],
    )
    responses.post(
        extensive,
        json=PAGE_2,
        match=[
            responses.matchers.json_params_matcher(
                {
                    "filter": {"fromDateTime": SINCE_ISO},
                    "contentSelector": {"exposedFields": {"parties": True}},
                    "cursor": CURSOR,
                }
            )
        ],
    )
    responses.post(
        f"{BASE}/v2/calls/transcript",
        json=_transcripts("7782342274025937895"),
        match=[responses.matchers.json_params_matcher({"filter": {"callIds": ["7782342274025937895"]}})],
    )
    responses.post(
        f"{BASE}/v2/calls/transcript",
        json=_transcripts("7782342274025937896"),
        match=[responses.matchers.json_params_matcher({"filter": {"callIds": ["7782342274025937896"]}})],
    )

    first = gong.pull(credentials=CREDENTIALS, since=SINCE, cursor="")
    second = gong.pull(credentials=CREDENTIALS, since=SINCE, cursor=first.cursor)

    assert first.cursor == CURSOR and second.cursor == ""
    assert [r["metaData"]["id"] for r in first.records + second.records] == [
        "7782342274025937895",
        "7782342274025937896",
    ]
    assert first.newest == "2018-02-18T08:00:00Z" and second.newest == "2018-02-18T09:00:00Z"
    assert first.records[0]["transcript"][0]["speakerId"] == "6432345678555530067"


@responses.activate
def test_speakers_are_mapped_to_parties_by_speaker_id_name_else_email():
    responses.post(f"{BASE}/v2/calls/extensive", json=PAGE_2)
    responses.post(f"{BASE}/v2/calls/transcript", json=_transcripts("7782342274025937896"))

    (record,) = gong.pull(credentials=CREDENTIALS, since=SINCE).records
    transcript = normalize("gong", record)

    assert transcript.text == (
        "Test User: No wait, I think we should check that out first.\nbuyer@customer.example: Sure, go ahead."
    )
    assert [(p.name, p.email) for p in transcript.participants] == [
        ("Test User", "test@test.com"),
        ("", "buyer@customer.example"),
    ]
    assert transcript.external_id == "7782342274025937896"
    assert (transcript.ended_at - transcript.started_at).total_seconds() == 460


@responses.activate
def test_no_calls_in_the_period_is_an_empty_page():
    responses.post(
        f"{BASE}/v2/calls/extensive",
        status=404,
        json={"requestId": "x", "errors": ["No calls found for the specified period"]},
    )

    page = gong.pull(credentials=CREDENTIALS, since=SINCE)

    assert (page.records, page.cursor, page.newest) == ([], "", "")


@responses.activate
@pytest.mark.parametrize("retry_after", ["7", "3600"])
def test_429_is_throttled_with_gongs_retry_after_and_no_sleep(retry_after):
    responses.post(f"{BASE}/v2/calls/extensive", status=429, headers={"Retry-After": retry_after}, json=ERROR)

    with pytest.raises(SourceError) as caught:
        gong.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status, caught.value.retry_after, caught.value.permanent) == (
        "throttled",
        429,
        float(retry_after),
        False,
    )
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable_and_transient(status):
    responses.post(f"{BASE}/v2/calls/extensive", status=status, json={"errors": ["An error has occurred"]})

    with pytest.raises(SourceError) as caught:
        gong.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("unavailable", status, False)


@responses.activate
def test_a_timeout_is_unavailable():
    responses.post(f"{BASE}/v2/calls/extensive", body=requests.Timeout("read timed out"))

    with pytest.raises(SourceError) as caught:
        gong.pull(credentials=CREDENTIALS, since=SINCE)

    assert (caught.value.kind, caught.value.status) == ("unavailable", None)


@responses.activate
def test_a_cursor_that_is_a_link_to_another_host_is_refused_before_any_call():
    with pytest.raises(SourceError) as caught:
        gong.pull(credentials=CREDENTIALS, since=SINCE, cursor="https://evil.example/v2/calls/extensive?c=1")

    assert (caught.value.kind, caught.value.permanent) == ("refused", True)
    assert caught.value.vendor_message == "address on https://evil.example is not an allowed vendor host"
    assert len(responses.calls) == 0


@responses.activate
def test_a_next_cursor_link_to_another_host_in_gongs_answer_is_refused():
    body = json.loads(json.dumps(PAGE_1))
    body["records"]["cursor"] = "https://evil.example/next"
    responses.post(f"{BASE}/v2/calls/extensive", json=body)
    responses.post(f"{BASE}/v2/calls/transcript", json=_transcripts("7782342274025937895"))

    with pytest.raises(SourceError) as caught:
        gong.pull(credentials=CREDENTIALS, since=SINCE)

    assert caught.value.kind == "refused"
    assert all(c.request.url.startswith(BASE) for c in responses.calls)


@responses.activate
def test_a_redirect_to_another_host_is_not_followed():
    responses.get(f"{BASE}/v2/users", status=302, headers={"Location": "https://evil.example/v2/users"})

    with pytest.raises(SourceError) as caught:
        gong.test_connection(credentials=CREDENTIALS)

    assert (caught.value.kind, len(responses.calls)) == ("refused", 1)


def test_every_call_has_the_vendor_timeout(settings, monkeypatch):
    seen = {}

    def fake_request(self, method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectionError("offline")

    monkeypatch.setattr("requests.Session.request", fake_request)
    with pytest.raises(SourceError):
        gong.test_connection(credentials=CREDENTIALS)
    assert seen["timeout"] == settings.VENDOR_HTTP_TIMEOUT and seen["allow_redirects"] is False


@responses.activate
def test_a_recent_call_still_without_a_transcript_is_left_for_the_next_run():
    body = {**PAGE_1, "records": {"totalRecords": 2}, "calls": [PAGE_1["calls"][0], PAGE_2["calls"][0]]}
    responses.post(f"{BASE}/v2/calls/extensive", json=body)
    responses.post(f"{BASE}/v2/calls/transcript", json=_transcripts("7782342274025937896"))

    page = gong.pull(credentials=CREDENTIALS, since=SINCE, now=datetime.fromisoformat("2018-02-18T12:00:00+00:00"))

    assert [r["metaData"]["id"] for r in page.records] == ["7782342274025937896"]
    assert page.newest == "2018-02-18T08:00:00Z"  # the waiting call's start: the next run asks from there


@responses.activate
def test_an_old_call_without_a_transcript_is_delivered_as_it_is():
    responses.post(f"{BASE}/v2/calls/extensive", json=PAGE_2)
    responses.post(f"{BASE}/v2/calls/transcript", status=404, json={"errors": ["No calls found"]})

    (record,) = gong.pull(credentials=CREDENTIALS, since=SINCE).records

    assert record["transcript"] == [] and normalize("gong", record).text == ""
