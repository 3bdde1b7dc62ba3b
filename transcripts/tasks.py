"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from transcripts.services.ingest import transcript_delivery_process


def process_delivery(delivery_id: int) -> str:
    delivery = transcript_delivery_process(delivery_id=delivery_id)
    return "already processed" if delivery is None else delivery.status
