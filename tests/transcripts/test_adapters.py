"""Per-source transcript adapters: fixtures, strictness on essentials, bulk splitting."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transcripts.adapters import (
    MAX_TEXT_CHARS,
    SOURCE_LABELS,
    SOURCES,
    AdapterError,
    NormalizedTranscript,
    Participant,
    normalize,
    split_records,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"

DANA = Participant("Dana Whitfield", "dana@northwind.example")
SAM = Participant("Sam Ortega", "sam@ruby-demo.example")

EXPECTED = {
    "zoom": {
        "external_id": "4444AAAiAAAAAiAiAiiAii==",
        "title": "Northwind x Ruby - Discovery call",
        "started_at": datetime(2025, 3, 4, 16, 0, 12, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 4, 16, 32, 12, tzinfo=UTC),  # + 32 minutes
        "participants": (SAM, DANA, Participant("Priya Natarajan", "")),
        "line": "Priya Natarajan: Salesforce, with about forty seats across two regions.",
    },
    "teams": {
        "external_id": ("MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZjZhNDQyMmQ4NzUqMCoqMTk6bWVldGluZ19OVGc0TW1JM09HVXRNVEl3"),
        "title": "Ruby pilot scoping - Northwind Traders",
        "started_at": datetime(2025, 3, 5, 14, 30, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 5, 15, 15, tzinfo=UTC),
        "participants": (
            DANA,
            SAM,
            Participant("Marcus Lee", "marcus.lee@northwind.example"),
            Participant("Jordan Reyes", "jordan.reyes@northwind.example"),
        ),
        "line": "Marcus Lee: Security review will want to see where transcripts are stored.",
    },
    "fireflies": {
        "external_id": "01JNQ3H8ZK4T7W2V9XR5B6M1CD",
        "title": "Northwind <> Ruby | Technical deep dive",
        "started_at": datetime(2025, 3, 5, 15, 0, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 5, 15, 27, 30, tzinfo=UTC),  # + 27.5 minutes
        "participants": (
            DANA,
            SAM,
            Participant("Chris Wong", "chris.wong@northwind.example"),
        ),
        "line": "Dana Whitfield: We'll also need SSO through Okta before rollout.",
    },
    "fathom": {
        "external_id": "123456789",
        "title": "Ruby proposal review (Northwind)",
        "started_at": datetime(2025, 3, 6, 17, 2, 10, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 6, 17, 41, 48, tzinfo=UTC),
        "participants": (
            SAM,
            DANA,
            Participant("Elena Park", "elena.park@northwind.example"),
            Participant("Tom Becker", ""),
        ),
        "line": "Tom Becker: Can we phase the seats, twenty now and twenty in Q3?",
    },
    "granola": {
        "external_id": "not_1d3tmYTlCICgjy",
        "title": "Northwind security & pricing follow-up",
        "started_at": datetime(2025, 3, 7, 15, 0, tzinfo=UTC),  # 10:00 -05:00
        "ended_at": datetime(2025, 3, 7, 15, 45, tzinfo=UTC),
        "participants": (
            SAM,
            DANA,
            Participant("Lena Fischer", "lena.fischer@northwind.example"),
            Participant("", "it-security@northwind.example"),
        ),
        "line": "Sam Ortega: Both are supported on the Business plan.",
    },
    "gong": {
        "external_id": "7782342274025937895",
        "title": "Northwind / Ruby - Negotiation",
        "started_at": datetime(2025, 3, 10, 16, 2, 41, 318455, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 10, 16, 33, 26, 318455, tzinfo=UTC),  # + 1845 s
        "participants": (
            SAM,
            DANA,
            Participant("Raj Mehta", "raj.mehta@northwind.example"),
        ),
        "line": "Dana Whitfield: That works if we can get a ninety-day out clause.",
    },
}


def load(source: str):
    return json.loads((FIXTURES / f"{source}.json").read_text())


def fixture_record(source: str) -> dict:
    (record,) = split_records(source, load(source))
    return record


def normalized(source: str) -> NormalizedTranscript:
    return normalize(source, fixture_record(source))


def minimal(source: str, **overrides) -> dict:
    """The smallest valid record for a source, with top-level overrides."""
    base = {
        "zoom": {"uuid": "u1", "start_time": "2025-03-04T16:00:00Z", "duration": 30},
        "teams": {
            "id": "m1",
            "startDateTime": "2025-03-05T14:30:00Z",
            "endDateTime": "2025-03-05T15:00:00Z",
        },
        "fireflies": {"id": "f1", "date": 1741186800000, "duration": 30},
        "fathom": {
            "recording_id": 1,
            "recording_start_time": "2025-03-06T17:00:00Z",
            "recording_end_time": "2025-03-06T17:30:00Z",
        },
        "granola": {
            "id": "not_1",
            "calendar_event": {
                "scheduled_start_time": "2025-03-07T15:00:00Z",
                "scheduled_end_time": "2025-03-07T15:30:00Z",
            },
        },
        "gong": {
            "metaData": {
                "id": "g1",
                "started": "2025-03-10T16:00:00Z",
                "duration": 1800,
            }
        },
    }[source]
    return {**base, **overrides}


ALL_SOURCES = list(EXPECTED)


# --------------------------------------------------------------------------- registry


def test_sources_cover_exactly_the_six_supported_tools():
    assert set(SOURCES) == {"zoom", "teams", "fireflies", "fathom", "granola", "gong"}


def test_source_labels_name_every_source():
    assert SOURCE_LABELS == {
        "zoom": "Zoom",
        "teams": "Microsoft Teams",
        "fireflies": "Fireflies",
        "fathom": "Fathom",
        "granola": "Granola",
        "gong": "Gong",
    }


def test_unknown_source_is_refused():
    with pytest.raises(AdapterError, match="unknown source 'webex'"):
        normalize("webex", {})


def test_split_records_refuses_unknown_source():
    with pytest.raises(AdapterError, match="unknown source 'webex'"):
        split_records("webex", [])


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_non_object_payload_is_refused(source):
    with pytest.raises(AdapterError, match="must be a JSON object"):
        normalize(source, ["not", "an", "object"])


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_fixture_external_id(source):
    assert normalized(source).external_id == EXPECTED[source]["external_id"]


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_fixture_title(source):
    assert normalized(source).title == EXPECTED[source]["title"]


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_fixture_start_and_end_are_utc(source):
    transcript = normalized(source)
    assert transcript.started_at == EXPECTED[source]["started_at"]
    assert transcript.ended_at == EXPECTED[source]["ended_at"]
    assert transcript.started_at.utcoffset().total_seconds() == 0
    assert transcript.ended_at.tzinfo is UTC


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_fixture_participants_names_and_emails(source):
    assert normalized(source).participants == EXPECTED[source]["participants"]


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_fixture_text_has_speaker_lines(source):
    assert EXPECTED[source]["line"] in normalized(source).text.splitlines()


# --------------------------------------------------------------------------- strictness


def _drop_zoom(doc):
    del doc["payload"]["object"]["start_time"]


def _drop_teams(doc):
    del doc["startDateTime"]


def _drop_fireflies(doc):
    del doc["data"]["transcript"]["date"]


def _drop_fathom(doc):
    del doc["recording_start_time"]


def _drop_granola(doc):
    del doc["calendar_event"]
    del doc["transcript"]


def _drop_gong(doc):
    del doc["calls"][0]["metaData"]["started"]


@pytest.mark.parametrize(
    ("source", "drop_start", "field"),
    [
        ("zoom", _drop_zoom, "start_time"),
        ("teams", _drop_teams, "startDateTime"),
        ("fireflies", _drop_fireflies, "date"),
        ("fathom", _drop_fathom, "recording_start_time"),
        ("granola", _drop_granola, "calendar_event.scheduled_start_time"),
        ("gong", _drop_gong, "metaData.started"),
    ],
)
def test_missing_start_time_is_refused_naming_the_field(source, drop_start, field):
    document = load(source)
    drop_start(document)
    (record,) = split_records(source, document)
    with pytest.raises(AdapterError, match=f"^missing field '{field}'$"):
        normalize(source, record)


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("zoom", "uuid"),
        ("teams", "id"),
        ("fireflies", "id"),
        ("fathom", "recording_id"),
        ("granola", "id"),
        ("gong", "metaData.id"),
    ],
)
def test_missing_external_id_is_refused_naming_the_field(source, field):
    record = minimal(source)
    if source == "gong":
        record = {"metaData": {**record["metaData"], "id": None}}
    else:
        record[field] = ""
    with pytest.raises(AdapterError, match=f"missing field '{field}'"):
        normalize(source, record)


@pytest.mark.parametrize(
    ("source", "field"),
    [("zoom", "duration"), ("fireflies", "duration"), ("fathom", "recording_end_time")],
)
def test_missing_end_and_duration_is_refused_naming_the_field(source, field):
    record = minimal(source)
    del record[field]
    with pytest.raises(AdapterError, match=f"missing field '{field}'"):
        normalize(source, record)


def test_unparseable_start_time_is_refused_naming_the_field():
    with pytest.raises(AdapterError, match="bad value for field 'startDateTime'"):
        normalize("teams", minimal("teams", startDateTime="next Tuesday"))


def test_date_without_time_of_day_is_refused():
    with pytest.raises(AdapterError, match="'start_time'.*not a date and time"):
        normalize("zoom", minimal("zoom", start_time="2025-03-04"))


def test_end_before_start_is_refused():
    record = minimal("teams", endDateTime="2025-03-05T14:00:00Z")
    with pytest.raises(AdapterError, match="'endDateTime'.*ends before it starts"):
        normalize("teams", record)


def test_negative_duration_is_refused():
    with pytest.raises(AdapterError, match="'duration'.*not a valid duration"):
        normalize("zoom", minimal("zoom", duration=-5))


def test_non_numeric_duration_is_refused():
    with pytest.raises(AdapterError, match="'duration'.*not a valid duration"):
        normalize("fireflies", minimal("fireflies", duration="half an hour"))


# --------------------------------------------------------------------------- datetimes


@pytest.mark.parametrize(
    ("source", "expected_end"),
    [
        ("zoom", datetime(2025, 3, 4, 16, 30, tzinfo=UTC)),  # duration 30 minutes
        ("fireflies", datetime(2025, 3, 5, 15, 30, tzinfo=UTC)),  # duration 30 minutes
        ("gong", datetime(2025, 3, 10, 16, 30, tzinfo=UTC)),  # duration 1800 seconds
    ],
)
def test_end_is_start_plus_duration_in_the_source_unit(source, expected_end):
    assert normalize(source, minimal(source)).ended_at == expected_end


def test_naive_datetime_is_treated_as_utc():
    transcript = normalize("zoom", minimal("zoom", start_time="2025-03-04T16:00:00"))
    assert transcript.started_at == datetime(2025, 3, 4, 16, 0, tzinfo=UTC)


def test_offset_datetime_is_converted_to_utc():
    record = minimal(
        "teams",
        startDateTime="2025-03-05T09:30:00-05:00",
        endDateTime="2025-03-05T10:00:00-05:00",
    )
    transcript = normalize("teams", record)
    assert transcript.started_at == datetime(2025, 3, 5, 14, 30, tzinfo=UTC)
    assert transcript.started_at.tzinfo is UTC


def test_epoch_seconds_are_accepted():
    transcript = normalize("fireflies", minimal("fireflies", date=1741186800))
    assert transcript.started_at == datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


def test_epoch_milliseconds_are_accepted():
    transcript = normalize("fireflies", minimal("fireflies", date=1741186800000))
    assert transcript.started_at == datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- participants


def test_participants_are_deduplicated_by_email_in_first_seen_order():
    record = minimal(
        "fathom",
        calendar_invitees=[
            {"name": "Dana Whitfield", "email": "dana@northwind.example"},
            {"name": "Sam Ortega", "email": "sam@ruby-demo.example"},
            {"name": "Dana W.", "email": "DANA@northwind.example "},
        ],
    )
    assert normalize("fathom", record).participants == (DANA, SAM)


def test_participants_without_email_are_deduplicated_by_name():
    record = minimal(
        "fathom",
        transcript=[
            {"speaker": {"display_name": "Tom Becker"}, "text": "Hi."},
            {"speaker": {"display_name": "Sam Ortega"}, "text": "Hello."},
            {"speaker": {"display_name": "tom becker"}, "text": "Pricing?"},
        ],
    )
    assert normalize("fathom", record).participants == (
        Participant("Tom Becker", ""),
        Participant("Sam Ortega", ""),
    )


def test_name_only_speaker_merges_into_emailed_attendee_of_same_name():
    record = minimal(
        "fireflies",
        meeting_attendees=[{"displayName": "Dana Whitfield", "email": "dana@northwind.example"}],
        speakers=[{"id": "0", "name": "Dana Whitfield"}],
    )
    assert normalize("fireflies", record).participants == (DANA,)


def test_name_only_participant_gains_email_from_later_entry_of_same_name():
    record = minimal(
        "zoom",
        participants=[
            {"name": "Dana Whitfield", "user_email": ""},
            {"name": "Sam Ortega", "user_email": "sam@ruby-demo.example"},
            {"name": "Dana Whitfield", "user_email": "dana@northwind.example"},
        ],
    )
    assert normalize("zoom", record).participants == (DANA, SAM)


def test_emails_are_lowercased_and_stripped():
    record = minimal(
        "gong",
        parties=[{"name": "Sam Ortega", "emailAddress": "  Sam@Ruby-Demo.EXAMPLE "}],
    )
    assert normalize("gong", record).participants == (SAM,)


def test_blank_participants_are_dropped():
    record = minimal("fathom", calendar_invitees=[{"name": " ", "email": None}])
    assert normalize("fathom", record).participants == ()


# --------------------------------------------------------------------------- text


def test_consecutive_sentences_of_one_speaker_form_one_line():
    record = minimal(
        "gong",
        parties=[{"speakerId": "1", "name": "Sam Ortega"}],
        transcript=[
            {"speakerId": "1", "sentences": [{"text": "Twenty seats now."}]},
            {"speakerId": "1", "sentences": [{"text": "Twenty in Q3."}]},
        ],
    )
    assert normalize("gong", record).text == "Sam Ortega: Twenty seats now. Twenty in Q3."


def test_unknown_speaker_is_labelled():
    record = minimal("gong", transcript=[{"speakerId": "99", "sentences": [{"text": "Hello?"}]}])
    assert normalize("gong", record).text == "Unknown speaker: Hello?"


def test_text_is_capped_at_one_million_characters():
    sentence = {"speaker_name": "Sam Ortega", "text": "word " * 2000}
    record = minimal("fireflies", sentences=[sentence] * 200)
    text = normalize("fireflies", record).text
    assert len(text) == MAX_TEXT_CHARS
    assert text.startswith("Sam Ortega: word word")


def test_missing_transcript_gives_empty_text():
    assert normalize("teams", minimal("teams")).text == ""


def test_vtt_continuation_line_keeps_the_cue_speaker():
    vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nDana Whitfield: We need SSO\nbefore rollout.\n"
    transcript = normalize("zoom", minimal("zoom", transcript=vtt))
    assert transcript.text == "Dana Whitfield: We need SSO before rollout."


# --------------------------------------------------------------------------- shapes


def test_zoom_recording_object_without_webhook_envelope_is_accepted():
    record = load("zoom")["payload"]["object"]
    assert normalize("zoom", record).external_id == "4444AAAiAAAAAiAiAiiAii=="


def test_fireflies_bare_transcript_object_is_accepted():
    record = load("fireflies")["data"]["transcript"]
    assert normalize("fireflies", record).external_id == "01JNQ3H8ZK4T7W2V9XR5B6M1CD"


def test_gong_automation_rule_webhook_is_accepted():
    call = load("gong")["calls"][0]
    transcript = normalize("gong", {"callData": call, "isTest": False})
    assert transcript.external_id == "7782342274025937895"


def test_granola_note_without_calendar_event_uses_transcript_times():
    record = fixture_record("granola")
    del record["calendar_event"]
    transcript = normalize("granola", record)
    assert transcript.started_at == datetime(2025, 3, 7, 15, 1, 5, tzinfo=UTC)
    assert transcript.ended_at == datetime(2025, 3, 7, 15, 1, 27, tzinfo=UTC)


# --------------------------------------------------------------------------- split_records


def test_split_records_wraps_a_single_object():
    record = minimal("zoom")
    assert split_records("zoom", record) == [record]


def test_split_records_passes_a_list_through():
    records = [minimal("fathom"), minimal("fathom", recording_id=2)]
    assert split_records("fathom", records) == records


@pytest.mark.parametrize(
    ("source", "wrap"),
    [
        ("zoom", lambda items: {"page_size": 30, "meetings": items}),
        ("zoom", lambda items: {"recordings": items}),
        ("teams", lambda items: {"@odata.context": "x", "value": items}),
        ("fireflies", lambda items: {"data": items}),
        ("fireflies", lambda items: {"data": {"transcripts": items}}),
        ("fireflies", lambda items: {"transcripts": items}),
        ("fathom", lambda items: {"limit": 10, "next_cursor": None, "items": items}),
        ("granola", lambda items: {"notes": items, "hasMore": False, "cursor": None}),
        ("gong", lambda items: {"requestId": "r", "records": {}, "calls": items}),
    ],
)
def test_split_records_unwraps_documented_wrapper_keys(source, wrap):
    records = [minimal(source), minimal(source)]
    assert split_records(source, wrap(records)) == records


def test_split_records_attaches_gong_transcripts_by_call_id():
    (call,) = split_records("gong", load("gong"))
    assert call["transcript"][0]["speakerId"] == "6432345678555530067"


def test_split_records_refuses_non_object_items():
    with pytest.raises(AdapterError, match="record 2 is not a JSON object"):
        split_records("granola", [minimal("granola"), "oops"])


def test_split_records_refuses_a_scalar_document():
    with pytest.raises(AdapterError, match="expected a JSON object or a list"):
        split_records("gong", "calls")
