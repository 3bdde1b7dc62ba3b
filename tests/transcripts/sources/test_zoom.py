"""Zoom: the recording object with or without its webhook envelope."""

from tests.transcripts.sources.records import load
from transcripts.sources import normalize


def test_zoom_recording_object_without_webhook_envelope_is_accepted():
    record = load("zoom")["payload"]["object"]
    assert normalize("zoom", record).external_id == "4444AAAiAAAAAiAiAiiAii=="
