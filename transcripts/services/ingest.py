"""Transcripts in: a source's record becomes one stored transcript; a webhook body is kept, then processed."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from ruby_site.models import Workspace
from transcripts import sources
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource
from transcripts.services.matching import transcripts_match
from transcripts.sources.base import AdapterError, NormalizedTranscript, storable

log = logging.getLogger(__name__)

# A delivery whose processing fails for a reason other than its content (a database error, a bug fixed
# by the next deploy) is tried again after these waits, then left "failed" for the admin's Retry.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


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
    if match and transcript.match_how != Transcript.MatchHow.MANUAL:
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
            TranscriptDelivery.objects.select_for_update()
            .filter(workspace=source_config.workspace, source=source_config.source, body_sha256=digest)
            .order_by("-received_at", "-pk")
            .first()
        )
        TranscriptSource.objects.filter(pk=source_config.pk).update(last_delivery_at=timezone.now())
        if existing is not None and existing.status != TranscriptDelivery.Status.FAILED:
            return existing, False
        if existing is not None:
            # The sender retries what we failed to process: process it again, not "duplicate".
            existing.status, existing.error = TranscriptDelivery.Status.PENDING, ""
            existing.save(update_fields=["status", "error"])
            transaction.on_commit(partial(_enqueue_processing, existing.pk))
            return existing, True
        delivery = TranscriptDelivery.objects.create(
            workspace=source_config.workspace,
            source=source_config.source,
            body=storable(body.decode("utf-8")),
            body_sha256=digest,
        )
        transaction.on_commit(partial(_enqueue_processing, delivery.pk))
    return delivery, True


def transcript_delivery_process(*, delivery_id: int, attempt: int = 1) -> TranscriptDelivery | None:
    """Turn a stored delivery into transcripts; safe to run twice (a processed one is left alone).

    Any failure is kept on the delivery (status "failed" and the reason), never only in the task log: a
    bad payload stays failed; anything else is tried again with backoff, MAX_ATTEMPTS times in all.
    """
    runnable = [TranscriptDelivery.Status.PENDING]
    if attempt > 1:
        runnable.append(TranscriptDelivery.Status.FAILED)
    with transaction.atomic():
        delivery = (
            TranscriptDelivery.objects.select_for_update()
            .select_related("workspace")
            .filter(pk=delivery_id, status__in=runnable)
            .first()
        )
        if delivery is None:
            return None
        retry = False
        try:
            with transaction.atomic():
                records = sources.split_records(delivery.source, json.loads(delivery.body))
                if not records:
                    raise AdapterError("the body holds no transcript")
                for record in records:
                    result = transcript_ingest(workspace=delivery.workspace, source=delivery.source, payload=record)
                    delivery.transcript = result.transcript
        except ValueError as exc:
            # AdapterError and JSONDecodeError: the content itself is wrong, trying again changes nothing.
            _mark_failed(delivery, f"The transcript cannot be read: {exc}")
        except Exception as exc:  # noqa: BLE001 — whatever it is, it must be visible on the delivery
            log.exception("transcript delivery %s failed (attempt %s of %s)", delivery.pk, attempt, MAX_ATTEMPTS)
            retry = attempt < MAX_ATTEMPTS
            then = f"; Ruby tries again at {(timezone.now() + RETRY_DELAYS[attempt - 1]):%H:%M} UTC" if retry else ""
            _mark_failed(delivery, f"Processing failed (attempt {attempt} of {MAX_ATTEMPTS}): {exc}{then}")
        else:
            delivery.status, delivery.error = TranscriptDelivery.Status.PROCESSED, ""
        delivery.save(update_fields=["status", "error", "transcript"])
        if retry:
            transaction.on_commit(partial(_schedule_retry, delivery.pk, attempt + 1))
    return delivery


def transcript_delivery_retry(*, delivery: TranscriptDelivery) -> bool:
    """Process a failed delivery again now (the admin's "Retry"); False if it is not failed."""
    with transaction.atomic():
        updated = TranscriptDelivery.objects.filter(pk=delivery.pk, status=TranscriptDelivery.Status.FAILED).update(
            status=TranscriptDelivery.Status.PENDING, error=""
        )
        if updated:
            transaction.on_commit(partial(_enqueue_processing, delivery.pk))
    return bool(updated)


def _mark_failed(delivery: TranscriptDelivery, reason: str) -> None:
    delivery.status = TranscriptDelivery.Status.FAILED
    delivery.error = storable(reason)[:1000]
    delivery.transcript = None


def _enqueue_processing(delivery_id: int) -> None:
    """Run from transaction.on_commit, so the worker never looks for a row not yet committed."""
    async_task("transcripts.tasks.process_delivery", delivery_id, task_name=f"transcript-delivery-{delivery_id}")


def _schedule_retry(delivery_id: int, attempt: int) -> None:
    # A scheduled task, not a sleep in the worker: the worker is free while the delivery waits.
    schedule(
        "transcripts.tasks.process_delivery",
        delivery_id,
        attempt,
        name=f"transcript-delivery-{delivery_id}-attempt-{attempt}-{timezone.now():%Y%m%d%H%M%S%f}",
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=timezone.now() + RETRY_DELAYS[attempt - 2],
    )
