"""Granola: a note without a calendar event takes the transcript's own times."""

from datetime import UTC, datetime

from tests.transcripts.sources.records import fixture_record
from transcripts.sources import normalize


def test_granola_note_without_calendar_event_uses_transcript_times():
    record = fixture_record("granola")
    del record["calendar_event"]
    transcript = normalize("granola", record)
    assert transcript.started_at == datetime(2025, 3, 7, 15, 1, 5, tzinfo=UTC)
    assert transcript.ended_at == datetime(2025, 3, 7, 15, 1, 27, tzinfo=UTC)
