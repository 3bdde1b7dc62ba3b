"""manage.py setup_schedules: create or update Ruby's django-q2 schedules (idempotent).

To add a schedule, add an entry to SCHEDULES: a unique name, the dotted task function, and how often.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from calendar_sync.tasks import privacy_schedules

SCHEDULES = [
    {
        "name": "calendar-sync-fanout",
        "func": "calendar_sync.tasks.schedule_fanout",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # Named by its dotted path only (no import): the transcripts app looks for ended Teams meetings' transcripts.
        "name": "teams-transcripts-fanout",
        "func": "transcripts.tasks.teams_fetch_fanout",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        # Transcript sources: retries of deliveries that are due, and pull sources whose turn it is.
        "name": "transcript-sources-due",
        "func": "transcripts.tasks.sources_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "calendar-push-renew",
        "func": "calendar_sync.tasks.subscriptions_renew_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 15,
    },
]


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules Ruby needs (safe to run again)."

    def handle(self, *args, **options):
        for spec in [*SCHEDULES, *privacy_schedules()]:
            defaults = {key: value for key, value in spec.items() if key != "name"}
            defaults.setdefault("repeats", -1)
            schedule, created = Schedule.objects.update_or_create(name=spec["name"], defaults=defaults)
            if created or schedule.next_run is None:
                Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now())
            verb = "Created" if created else "Up to date"
            every = (
                f"every {spec['minutes']} minute(s)" if spec.get("minutes") else schedule.get_schedule_type_display()
            )
            self.stdout.write(f"{verb}: {schedule.name} → {schedule.func} ({every.lower()})")
