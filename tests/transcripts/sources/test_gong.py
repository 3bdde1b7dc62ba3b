"""Gong: the extensive-call item, the automation-rule webhook, and exports holding both API answers."""

from tests.transcripts.sources.records import load
from transcripts.sources import normalize, split_records


def test_gong_automation_rule_webhook_is_accepted():
    call = load("gong")["calls"][0]
    transcript = normalize("gong", {"callData": call, "isTest": False})
    assert transcript.external_id == "7782342274025937895"


def test_split_records_attaches_gong_transcripts_by_call_id():
    (call,) = split_records("gong", load("gong"))
    assert call["transcript"][0]["speakerId"] == "6432345678555530067"
