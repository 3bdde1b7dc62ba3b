"""Transcripts in: a source's record becomes one stored transcript; a webhook body is kept, then processed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from ruby_site.models import Workspace
from transcripts import sources
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource
from transcripts.services.matching import transcripts_match
from transcripts.sources.base import NormalizedTranscript


@dataclass
class IngestResult:
    transcript: Transcript
    created: bool
    changed: bool


def _content_hash(normalized: NormalizedTranscript) -> str:
    content = {
        "title": normalized.title,
        "started_at": normalized.started_at.isoformat(),
        "ended_at": normalized.ended_at.isoformat(),
        "participants": [[p.name, p.email] for p in normalized.participants],
        "text": normalized.text,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def transcript_ingest(*, workspace: Workspace, source: str, payload: dict, match: bool = True) -> IngestResult:
    """Create or update one transcript from a source's payload; raises AdapterError.

    Idempotent on (workspace, source, external id): an identical redelivery writes nothing. A changed
    one updates the transcript and matches it again — unless a person set the match by hand.
    """
    normalized = sources.normalize(source, payload)
    digest = _content_hash(normalized)
    values = {
        "title": normalized.title[:500],
        "started_at": normalized.started_at,
        "ended_at": normalized.ended_at,
        "participants": [{"name": p.name, "email": p.email} for p in normalized.participants],
        "text": normalized.text,
        "content_hash": digest,
    }
    transcript = (
        Transcript.objects.select_for_update()
        .filter(workspace=workspace, source=source, external_id=normalized.external_id)
        .first()
    )
    if transcript is not None and transcript.content_hash == digest:
        return IngestResult(transcript, created=False, changed=False)
    created = transcript is None
    if created:
        transcript = Transcript.objects.create(
            workspace=workspace, source=source, external_id=normalized.external_id, **values
        )
    else:
        for name, value in values.items():
            setattr(transcript, name, value)
        transcript.save(update_fields=[*values, "updated_at"])
    if match and transcript.match_how not in (Transcript.MatchHow.MANUAL, Transcript.MatchHow.EXACT):
        transcripts_match(transcripts=[transcript])
    return IngestResult(transcript, created=created, changed=True)


def transcript_delivery_receive(*, source_config: TranscriptSource, body: bytes) -> tuple[TranscriptDelivery, bool]:
    """Keep an authenticated webhook body and queue its processing; (delivery, is_new).

    The same body delivered twice is stored once: senders retry, and the 5-minute timestamp window
    already bounds a replay of an old one.
    """
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        existing = (
            TranscriptDelivery.objects.filter(
                workspace=source_config.workspace, source=source_config.source, body_sha256=digest
            )
            .exclude(status=TranscriptDelivery.Status.FAILED)
            .first()
        )
        TranscriptSource.objects.filter(pk=source_config.pk).update(last_delivery_at=timezone.now())
        if existing is not None:
            return existing, False
        delivery = TranscriptDelivery.objects.create(
            workspace=source_config.workspace,
            source=source_config.source,
            body=body.decode("utf-8"),
            body_sha256=digest,
        )
        transaction.on_commit(partial(_enqueue_processing, delivery.pk))
    return delivery, True


def transcript_delivery_process(*, delivery_id: int) -> TranscriptDelivery | None:
    """Turn a stored delivery into transcripts; safe to run twice (a processed one is left alone)."""
    with transaction.atomic():
        delivery = (
            TranscriptDelivery.objects.select_for_update()
            .select_related("workspace")
            .filter(pk=delivery_id, status=TranscriptDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        try:
            with transaction.atomic():
                records = sources.split_records(delivery.source, json.loads(delivery.body))
                for record in records:
                    result = transcript_ingest(workspace=delivery.workspace, source=delivery.source, payload=record)
                    delivery.transcript = result.transcript
        except ValueError as exc:
            # AdapterError and JSONDecodeError are ValueErrors; the webhook checked both already, so this is rare.
            delivery.status = TranscriptDelivery.Status.FAILED
            delivery.error = str(exc)[:1000]
            delivery.transcript = None
        else:
            delivery.status = TranscriptDelivery.Status.PROCESSED
        delivery.save(update_fields=["status", "error", "transcript"])
    return delivery


def _enqueue_processing(delivery_id: int) -> None:
    """Run from transaction.on_commit, so the worker never looks for a row not yet committed."""
    async_task("transcripts.tasks.process_delivery", delivery_id, task_name=f"transcript-delivery-{delivery_id}")
