"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from transcripts.services import deliveries, pulls
from transcripts.services.sources import enqueue_delivery, enqueue_pull


def process_delivery(delivery_id: int) -> str:
    delivery = deliveries.transcript_delivery_process(delivery_id=delivery_id)
    return "not due or already processed" if delivery is None else delivery.status


def pull_source(source_config_id: int) -> int:
    return pulls.transcript_source_pull(source_config_id=source_config_id)


def sources_due() -> str:
    """Every minute (setup_schedules): deliveries whose retry time has come, and pull sources whose turn it is."""
    due = deliveries.transcript_deliveries_due()
    for delivery_id in due:
        enqueue_delivery(delivery_id)
    pulls_due = pulls.pull_sources_due()
    for config_id in pulls_due:
        enqueue_pull(config_id)
    return f"{len(due)} delivery(ies), {len(pulls_due)} pull(s)"
