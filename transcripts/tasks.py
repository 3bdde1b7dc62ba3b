"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from transcripts.services.ingest import transcript_delivery_process


def process_delivery(delivery_id: int, attempt: int = 1) -> str:
    delivery = transcript_delivery_process(delivery_id=delivery_id, attempt=attempt)
    if delivery is None:
        return "already processed"
    return delivery.status if not delivery.error else f"{delivery.status}: {delivery.error}"
