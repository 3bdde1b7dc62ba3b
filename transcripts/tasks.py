"""django-q2 tasks: thin, take ids, call services (design.md §7.5)."""

from __future__ import annotations

from django_q.tasks import async_task

from transcripts.services.ingest import transcript_delivery_process
from transcripts.services.teams import teams_grants_due, teams_transcripts_fetch


def process_delivery(delivery_id: int) -> str:
    delivery = transcript_delivery_process(delivery_id=delivery_id)
    return "already processed" if delivery is None else delivery.status


def teams_fetch(grant_id: int) -> dict:
    """Look for the transcripts of one user's ended Teams meetings (safe to run twice)."""
    return teams_transcripts_fetch(grant_id=grant_id)


def teams_fetch_fanout() -> int:
    """Every few minutes (setup_schedules): one teams_fetch per connected Teams transcripts grant."""
    grant_ids = teams_grants_due()
    for grant_id in grant_ids:
        async_task("transcripts.tasks.teams_fetch", grant_id, task_name=f"teams-fetch-{grant_id}")
    return len(grant_ids)
