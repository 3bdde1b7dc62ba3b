"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from django_q.tasks import async_task


def process_delivery(delivery_id: int) -> str:
    from transcripts.services import transcript_delivery_process

    delivery = transcript_delivery_process(delivery_id=delivery_id)
    return "already processed" if delivery is None else delivery.status


def enqueue_delivery(delivery_id: int) -> None:
    """Called from transaction.on_commit, so the worker never looks for a row not yet committed."""
    async_task("transcripts.tasks.process_delivery", delivery_id, task_name=f"transcript-delivery-{delivery_id}")
