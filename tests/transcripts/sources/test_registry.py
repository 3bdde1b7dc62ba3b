"""The source registry: the one list of sources, their labels and modules; what every source's fixture gives."""

from datetime import UTC

import pytest

from tests.transcripts.sources.records import ALL_SOURCES, EXPECTED, minimal, normalized
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource
from transcripts.sources import REGISTRY, Source, label, normalize, split_records
from transcripts.sources.base import AdapterError


def test_sources_cover_the_six_supported_tools_and_the_custom_source():
    assert set(REGISTRY) == {"zoom", "teams", "fireflies", "fathom", "granola", "gong", "custom"}


def test_each_source_has_its_own_module():
    assert {value: entry.module.__name__ for value, entry in REGISTRY.items()} == {
        value: f"transcripts.sources.{value}" for value in REGISTRY
    }


def test_stored_source_choices_come_from_the_registry():
    for model in (Transcript, TranscriptSource, TranscriptDelivery):
        assert model._meta.get_field("source").choices == Source.choices


def test_source_labels_name_every_source():
    assert {value: label(value) for value in REGISTRY} == {
        "zoom": "Zoom",
        "teams": "Microsoft Teams",
        "fireflies": "Fireflies",
        "fathom": "Fathom",
        "granola": "Granola",
        "gong": "Gong",
        "custom": "Custom source",
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


def test_split_records_refuses_non_object_items():
    with pytest.raises(AdapterError, match="record 2 is not a JSON object"):
        split_records("granola", [minimal("granola"), "oops"])


def test_split_records_refuses_a_scalar_document():
    with pytest.raises(AdapterError, match="expected a JSON object or a list"):
        split_records("gong", "calls")
