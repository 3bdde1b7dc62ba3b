"""Fireflies: the GraphQL answer or the bare transcript object."""

from tests.transcripts.sources.records import load
from transcripts.sources import normalize


def test_fireflies_bare_transcript_object_is_accepted():
    record = load("fireflies")["data"]["transcript"]
    assert normalize("fireflies", record).external_id == "01JNQ3H8ZK4T7W2V9XR5B6M1CD"
