"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from django_q.tasks import async_task

from transcripts.services import deliveries, pulls
from transcripts.services.sources import enqueue_delivery, enqueue_pull
from transcripts.services.teams import teams_grants_due, teams_transcripts_fetch


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


def teams_fetch(grant_id: int) -> dict:
    """Look for the transcripts of one user's ended Teams meetings (safe to run twice)."""
    return teams_transcripts_fetch(grant_id=grant_id)


def teams_fetch_fanout() -> int:
    """Every few minutes (setup_schedules): one teams_fetch per connected Teams transcripts grant."""
    grant_ids = teams_grants_due()
    for grant_id in grant_ids:
        async_task("transcripts.tasks.teams_fetch", grant_id, task_name=f"teams-fetch-{grant_id}")
    return len(grant_ids)
