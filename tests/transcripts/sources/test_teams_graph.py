"""Teams transcripts over Microsoft Graph (delegated), against `responses`. Bodies are Microsoft's own examples from
microsoftgraph/microsoft-graph-docs-contrib: api-reference/v1.0/api/onlinemeeting-get.md (by join URL),
onlinemeeting-list-transcripts.md, calltranscript-get.md (Examples 2/3, text/vtt) and concepts/errors.md —
https://learn.microsoft.com/graph/api/onlinemeeting-get, /onlinemeeting-list-transcripts, /calltranscript-get;
/work/tools/vendors.md §6.
"""

import pytest
import responses

from calendar_sync import graph
from transcripts.sources import normalize, teams
from transcripts.sources.protocol import Mode, SourceError

GRAPH = "https://graph.microsoft.com"
# The join URL of Microsoft's example, as Graph returns it in joinWebUrl (its own %3a/%40/%22 already encoded once).
JOIN_URL = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_MGQ4MDQyNTEtNTQ2NS00YjQxLTlkM2EtZWVkODYxODYzMmY2"
    "%40thread.v2/0?context=%7b%22Tid%22%3a%22909c6581-5130-43e9-88f3-fcb3582cde37%22%2c%22Oid%22%3a"
    "%22dc17674c-81d9-4adb-bfb2-8f6a442e4622%22%7d"
)
# onlinemeeting-get.md's request: the whole joinWebUrl encoded once more inside the quotes.
DOC_ENCODED = (
    "https%3A%2F%2Fteams.microsoft.com%2Fl%2Fmeetup-join%2F19%253ameeting_MGQ4MDQyNTEtNTQ2NS00YjQxLTlkM2EtZWVkODYxODYz"
    "MmY2%2540thread.v2%2F0%3Fcontext%3D%257b%2522Tid%2522%253a%2522909c6581-5130-43e9-88f3-fcb3582cde37%2522%252c%2522"
    "Oid%2522%253a%2522dc17674c-81d9-4adb-bfb2-8f6a442e4622%2522%257d"
)
MEETING_ID = "MSo1N2Y5ZGFjYy03MWJmLTQ3NDMtYjQxMy01M2EdFGkdRWHJlQ"
MEETING = {
    "id": MEETING_ID,
    "creationDateTime": "2020-09-29T22:35:33.1594516Z",
    "startDateTime": "2020-09-29T22:35:31.389759Z",
    "endDateTime": "2020-09-29T23:35:31.389759Z",
    "joinWebUrl": JOIN_URL,
    "subject": None,
    "isEntryExitAnnounced": True,
    "allowedPresenters": "everyone",
    "participants": {
        "organizer": {
            "upn": "sam@ruby-demo.example",
            "role": "presenter",
            "identity": {"user": {"id": "dc17674c-81d9-4adb-bf442e4622", "displayName": None}},
        },
        "attendees": [],
        "producers": [],
        "contributors": [],
    },
}
TRANSCRIPTS = {
    "@odata.count": 2,
    "value": [
        {
            "id": "MSMjMCMjZDAwYWU3NjUtNmM2Yi00NjQxLTgwMWQtMTkzMmFmMjEzNzdh",
            "createdDateTime": "2021-09-17T06:09:24.8968037Z",
        },
        {
            "id": "MSMjMCMjMzAxNjNhYTctNWRmZi00MjM3LTg5MGQtNWJhYWZjZTZhNWYw",
            "createdDateTime": "2021-09-16T18:58:58.6760692Z",
        },
    ],
}
VTT = "WEBVTT\n\n0:0:0.0 --> 0:0:5.320\n<v User Name>This is a transcript test.</v>\n"
GRAPH_401 = {
    "error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}
}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(graph, "sleep", lambda seconds: None)


def _content_url(transcript_id: str) -> str:
    return f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts/{transcript_id}/content?$format=text/vtt"


def test_teams_is_found_from_the_calendar_and_asks_exactly_the_two_extra_scopes():
    assert teams.MODE == Mode.CALENDAR
    assert teams.SCOPES == ("OnlineMeetings.Read", "OnlineMeetingTranscript.Read.All")
    assert teams.CREDENTIAL_FIELDS == ()


def test_the_join_url_filter_is_encoded_as_in_microsofts_example():
    assert teams.meeting_lookup_url(JOIN_URL) == (
        f"{GRAPH}/v1.0/me/onlineMeetings?$filter=JoinWebUrl%20eq%20'{DOC_ENCODED}'"
    )


def test_a_quote_in_the_join_url_is_doubled_inside_the_odata_literal():
    assert teams.meeting_lookup_url("https://teams.microsoft.com/l/x'y").endswith(
        "'https%3A%2F%2Fteams.microsoft.com%2Fl%2Fx''y'"
    )


@responses.activate
def test_find_meeting_sends_the_encoded_filter_on_the_wire_and_returns_the_meeting():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"value": [MEETING]})

    meeting = teams.find_meeting(access_token="at-teams", join_url=JOIN_URL)

    assert meeting["id"] == MEETING_ID
    sent = responses.calls[0].request
    assert sent.url == f"{GRAPH}/v1.0/me/onlineMeetings?$filter=JoinWebUrl%20eq%20'{DOC_ENCODED}'"
    assert sent.headers["Authorization"] == "Bearer at-teams"


@responses.activate
def test_list_transcripts_returns_them_oldest_first():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts", json=TRANSCRIPTS)

    listed = teams.list_transcripts(access_token="at-teams", meeting_id=MEETING_ID)

    assert [t["createdDateTime"][:10] for t in listed] == ["2021-09-16", "2021-09-17"]


@responses.activate
def test_transcript_content_is_downloaded_as_text_vtt():
    transcript_id = TRANSCRIPTS["value"][0]["id"]
    responses.get(_content_url(transcript_id), body=VTT, content_type="text/vtt")

    content = teams.transcript_content(access_token="at-teams", meeting_id=MEETING_ID, transcript_id=transcript_id)

    assert content == VTT
    assert responses.calls[0].request.url == _content_url(transcript_id)
    assert responses.calls[0].request.headers["Accept"] == "text/vtt"


@responses.activate
def test_fetch_builds_a_record_parse_reads_with_microsofts_unpadded_vtt_times():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"value": [MEETING]})
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts", json={"value": [TRANSCRIPTS["value"][0]]})
    responses.get(_content_url(TRANSCRIPTS["value"][0]["id"]), body=VTT, content_type="text/vtt")

    record = teams.fetch(access_token="at-teams", join_url=JOIN_URL)
    transcript = normalize("teams", record)

    assert transcript.external_id == MEETING_ID
    assert transcript.text == "User Name: This is a transcript test."
    assert transcript.started_at.isoformat() == "2020-09-29T22:35:31.389759+00:00"
    assert [p.email for p in transcript.participants] == ["sam@ruby-demo.example"]


@responses.activate
def test_a_meeting_without_transcripts_fetches_nothing_more():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"value": [MEETING]})
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings/{MEETING_ID}/transcripts", json={"value": []})

    assert teams.fetch(access_token="at-teams", join_url=JOIN_URL) is None
    assert len(responses.calls) == 2


@responses.activate
def test_no_meeting_for_the_join_url_is_not_found():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"value": []})

    with pytest.raises(SourceError) as caught:
        teams.fetch(access_token="at-teams", join_url=JOIN_URL)

    assert (caught.value.kind, caught.value.permanent) == ("not_found", True)


@responses.activate
def test_a_refused_token_is_an_auth_error_with_graphs_code():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json=GRAPH_401, status=401)

    with pytest.raises(SourceError) as caught:
        teams.find_meeting(access_token="at-teams", join_url=JOIN_URL)

    assert (caught.value.kind, caught.value.status, caught.value.vendor_message) == (
        "auth",
        401,
        "InvalidAuthenticationToken",
    )


@responses.activate
def test_graph_5xx_is_unavailable_after_graphs_bounded_retries():
    responses.get(f"{GRAPH}/v1.0/me/onlineMeetings", json={"error": {"code": "serviceNotAvailable"}}, status=503)

    with pytest.raises(SourceError) as caught:
        teams.find_meeting(access_token="at-teams", join_url=JOIN_URL)

    assert (caught.value.kind, caught.value.status, caught.value.permanent) == ("unavailable", 503, False)
    assert len(responses.calls) == graph.MAX_ATTEMPTS


def test_text_from_outside_microsoft_graph_is_refused():
    with pytest.raises(graph.GraphError):
        graph.get_text("https://evil.example/v1.0/x", access_token="at-teams", accept="text/vtt")


def test_personal_accounts_are_known_by_their_tenant_id():
    assert teams.is_personal_account("9188040d-6c67-4c5b-b112-36a304b66dad")
    assert not teams.is_personal_account("72f988bf-86f1-41af-91ab-2d7cd011db47")
