"""Webhook deliveries: kept on arrival (the view answers at once), then fetched, parsed, ingested by the worker.

A vendor call that times out, answers 5xx or 429 is retried with backoff (Retry-After honoured) and the delivery
shows "retrying: <reason>"; a refused credential puts the source in "needs attention" and the delivery waits for
new credentials; anything else that cannot be read fails with the reason. Nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from transcripts import sources
from transcripts.models import TranscriptDelivery, TranscriptSource
from transcripts.selectors import source_credentials
from transcripts.services.ingest import transcript_ingest
from transcripts.services.sources import enqueue_delivery, transcript_source_report
from transcripts.sources.base import AdapterError, storable
from transcripts.sources.protocol import SourceError

BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
Status = TranscriptDelivery.Status
log = logging.getLogger(__name__)


def transcript_delivery_receive(
    *, source_config: TranscriptSource, body: bytes, key: str = ""
) -> tuple[TranscriptDelivery, bool]:
    """Keep an authenticated webhook body and queue its processing; (delivery, is_new).

    A delivery is stored once: by the vendor's delivery key when it has one, else by the body's hash (senders
    retry, and the 5-minute signature window already bounds a replay of an old one).
    """
    digest = hashlib.sha256(body).hexdigest()
    scope = {"workspace": source_config.workspace, "source": source_config.source}
    # No write to the source's row here (design §7.14): the worker notes the last delivery.
    same = TranscriptDelivery.objects.filter(**scope)
    existing = (
        same.filter(delivery_key=key) if key else same.filter(body_sha256=digest).order_by("-received_at", "-pk")
    ).first()
    if existing is not None and existing.status == Status.FAILED:
        # The vendor sent it again after it failed here: try again with what it sent now.
        TranscriptDelivery.objects.filter(pk=existing.pk).update(
            body=storable(body.decode("utf-8")),
            body_sha256=digest,
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=None,
        )
        transaction.on_commit(partial(enqueue_delivery, existing.pk))
        return existing, True
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            delivery = TranscriptDelivery.objects.create(
                **scope, body=storable(body.decode("utf-8")), body_sha256=digest, delivery_key=key
            )
            transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    except IntegrityError:  # the same key arrived twice at once
        return TranscriptDelivery.objects.get(**scope, delivery_key=key), False
    return delivery, True


def _claim(delivery_id: int) -> TranscriptDelivery | None:
    with transaction.atomic():
        delivery = (
            TranscriptDelivery.objects.select_for_update()
            .select_related("workspace")
            .filter(pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING])
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > timezone.now()):
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(minutes=10)  # a lease: no second worker meanwhile
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _finish(delivery: TranscriptDelivery, status: str, *, error: str = "", kind: str = "", retry_in=None) -> None:
    delivery.status = status
    delivery.error = error[:1000]
    delivery.error_kind = kind
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None
    delivery.processed_at = timezone.now() if status == Status.PROCESSED else None
    fields = ["status", "error", "error_kind", "next_attempt_at", "processed_at", "transcript"]
    delivery.save(update_fields=fields)


def transcript_delivery_process(*, delivery_id: int) -> TranscriptDelivery | None:
    """Fetch, parse, ingest and match one delivery; None when it is not due (or already done)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    config = TranscriptSource.objects.filter(workspace=delivery.workspace, source=delivery.source).first()
    label = sources.label(delivery.source)
    if config is None or config.state == TranscriptSource.State.OFF:
        _finish(delivery, Status.FAILED, error=f"{label} is turned off for this workspace.", kind="off")
        return delivery
    module = sources.entry_for(delivery.source).module
    TranscriptSource.objects.filter(pk=config.pk).update(last_delivery_at=delivery.received_at)
    try:
        records = module.fetch(payload=json.loads(delivery.body), credentials=source_credentials(config))
        with transaction.atomic():
            for record in records:
                result = transcript_ingest(
                    workspace=delivery.workspace, source=delivery.source, payload=record, require_text=True
                )
                delivery.transcript = result.transcript
    except SourceError as exc:
        reason = transcript_source_report(source_config=config, exc=exc)
        if exc.kind == "auth":
            _finish(delivery, Status.FAILED, error=f"Waiting for new credentials. {reason}", kind="auth")
        elif exc.permanent or delivery.attempts >= MAX_ATTEMPTS:
            gave_up = "" if exc.permanent else f"Gave up after {delivery.attempts} attempts. "
            _finish(delivery, Status.FAILED, error=gave_up + reason, kind=exc.kind)
        else:
            wait = max(BACKOFF_SECONDS[delivery.attempts - 1], exc.retry_after or 0)
            _finish(delivery, Status.RETRYING, error=reason, kind=exc.kind, retry_in=wait)
    except ValueError as exc:  # AdapterError, or a body that is no longer JSON
        delivery.transcript = None
        _finish(delivery, Status.FAILED, error=f"This {label} transcript cannot be matched: {exc}.", kind="parse")
    except Exception as exc:  # noqa: BLE001 - a database error or a bug: visible on the delivery, retried, never lost
        log.exception("transcript delivery %s failed (attempt %s of %s)", delivery.pk, delivery.attempts, MAX_ATTEMPTS)
        delivery.transcript = None
        reason = f"Processing failed (attempt {delivery.attempts} of {MAX_ATTEMPTS}): {type(exc).__name__}."
        if delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery, Status.FAILED, error=reason, kind="error")
        else:
            wait = BACKOFF_SECONDS[delivery.attempts - 1]
            _finish(delivery, Status.RETRYING, error=reason, kind="error", retry_in=wait)
    else:
        _finish(delivery, Status.PROCESSED)
    return delivery


def transcript_deliveries_due(*, now=None) -> list[int]:
    """Deliveries whose retry time has come (and pending ones whose worker never ran), for the sweeper."""
    now = now or timezone.now()
    due = TranscriptDelivery.objects.filter(status__in=[Status.RETRYING, Status.PENDING]).filter(
        next_attempt_at__lte=now
    ) | TranscriptDelivery.objects.filter(
        status=Status.PENDING, next_attempt_at__isnull=True, received_at__lte=now - timedelta(minutes=2)
    )
    return list(due.values_list("pk", flat=True)[:200])


def transcript_delivery_retry(*, delivery: TranscriptDelivery) -> bool:
    """Process a failed delivery again now (the admin's "Retry"); False if it is not failed."""
    updated = TranscriptDelivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None
    )
    if updated:
        transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return bool(updated)


__all__ = [
    "AdapterError",
    "transcript_deliveries_due",
    "transcript_delivery_process",
    "transcript_delivery_receive",
    "transcript_delivery_retry",
]
