"""Shared parsing rules (transcripts/sources/base.py), through the sources that use them: strict essentials,
times in UTC, de-duplicated participants, speaker lines."""

from datetime import UTC, datetime

import pytest

from tests.transcripts.sources.records import DANA, SAM, load, minimal
from transcripts.sources import normalize, split_records
from transcripts.sources.base import MAX_TEXT_CHARS, AdapterError, Participant


def _drop_zoom(doc):
    del doc["payload"]["object"]["start_time"]


def _drop_teams(doc):
    del doc["startDateTime"]


def _drop_fireflies(doc):
    del doc["data"]["transcript"]["date"]
    del doc["data"]["transcript"]["dateString"]


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
