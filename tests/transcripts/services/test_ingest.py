"""transcript_ingest: idempotent on (workspace, source, external id); delivery processing."""

import json
from pathlib import Path

import pytest

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import custom_payload, meeting, zoom_payload
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.services.deliveries import transcript_delivery_process
from transcripts.services.ingest import transcript_ingest
from transcripts.sources import REGISTRY, split_records
from transcripts.sources.base import AdapterError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"


@pytest.mark.parametrize("source", sorted(REGISTRY))
def test_each_source_fixture_is_stored(workspace, source):
    document = json.loads((FIXTURES / f"{source}.json").read_text())
    for record in split_records(source, document):
        assert transcript_ingest(workspace=workspace, source=source, payload=record).created
    assert Transcript.objects.get(workspace=workspace, source=source).participants


def test_identical_redelivery_writes_nothing(workspace, django_assert_max_num_queries):
    first = transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload())
    before = Transcript.objects.values().get(pk=first.transcript.pk)
    with django_assert_max_num_queries(3):  # savepoint + one read
        again = transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload())
    assert (again.created, again.changed) == (False, False)
    assert Transcript.objects.values().get(pk=first.transcript.pk) == before
    assert Transcript.objects.count() == 1


def test_changed_redelivery_updates_and_rematches(workspace, user):
    first = transcript_ingest(
        workspace=workspace, source="zoom", payload=zoom_payload(people=[("Dana", "dana@northwind.example")])
    )
    assert first.transcript.match_status == "unmatched"
    event = meeting(user)
    again = transcript_ingest(
        workspace=workspace,
        source="zoom",
        payload=zoom_payload(people=[("Dana", "dana@northwind.example")], text="More."),
    )
    assert (again.created, again.changed) == (False, True)
    assert again.transcript.pk == first.transcript.pk
    assert again.transcript.event == event


def test_same_external_id_in_two_workspaces_are_two_transcripts(workspace, other_workspace):
    transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(text="A"))
    transcript_ingest(workspace=other_workspace, source="zoom", payload=zoom_payload(text="B"))
    assert Transcript.objects.get(workspace=workspace).text.endswith("A")
    assert Transcript.objects.get(workspace=other_workspace).text.endswith("B")


def test_payload_without_start_is_refused_and_nothing_stored(workspace):
    payload = zoom_payload()
    del payload["payload"]["object"]["start_time"]
    with pytest.raises(AdapterError, match="start_time"):
        transcript_ingest(workspace=workspace, source="zoom", payload=payload)
    assert not Transcript.objects.exists()


def _delivery(workspace, body):
    TranscriptSourceFactory(workspace=workspace, source="custom")
    return TranscriptDelivery.objects.create(workspace=workspace, source="custom", body=body, body_sha256="x")


def test_processing_a_delivery_stores_its_transcript(workspace):
    delivery = _delivery(workspace, json.dumps(custom_payload()))
    transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    assert delivery.transcript.external_id == "call-1"


def test_processing_twice_is_harmless(workspace):
    delivery = _delivery(workspace, json.dumps(custom_payload()))
    transcript_delivery_process(delivery_id=delivery.pk)
    assert transcript_delivery_process(delivery_id=delivery.pk) is None
    assert Transcript.objects.count() == 1


def test_unreadable_delivery_is_marked_failed_with_reason(workspace):
    delivery = _delivery(workspace, '{"id": "x"}')
    transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error == "This Custom source transcript cannot be matched: missing field 'started_at'."
    assert not Transcript.objects.exists()


def test_delivery_without_text_says_why_it_cannot_be_matched(workspace):
    delivery = _delivery(workspace, json.dumps(custom_payload(text="")))
    transcript_delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error == (
        "This Custom source transcript cannot be matched: it has no transcript text (no spoken words), "
        "so there is nothing to match."
    )
    assert not Transcript.objects.exists()
