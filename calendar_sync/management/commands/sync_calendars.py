"""manage.py sync_calendars [--user EMAIL] [--workspace SLUG]: sync now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from calendar_sync.models import SyncRun
from calendar_sync.selectors.sync import connections_for_command
from calendar_sync.services.sync import sync_connection
from ruby_site.models import User, Workspace


class Command(BaseCommand):
    help = "Sync the coming week of Outlook Calendar for every connection (or one user's, or one workspace's)."

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's connection.")
        parser.add_argument("--workspace", metavar="SLUG", help="Only this workspace's connections.")

    def handle(self, *args, user=None, workspace=None, **options):
        if user and not User.objects.filter(email__iexact=user).exists():
            raise CommandError(f"No user with the email address {user!r}.")
        if workspace and not Workspace.objects.filter(slug=workspace).exists():
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        connections = list(connections_for_command(user_email=user, workspace_slug=workspace))
        if not connections:
            raise CommandError("No Outlook Calendar connection matches; nothing to sync.")

        totals = {status: 0 for status in SyncRun.Status.values}
        for connection in connections:
            label = f"{connection.user.email} ({connection.workspace.slug})"
            run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.COMMAND)
            totals[run.status] += 1
            if run.status == SyncRun.Status.SUCCEEDED:
                seconds = run.duration.total_seconds() if run.duration else 0.0
                line = (
                    f"{label}: synced in {seconds:.1f}s — {run.pages} page(s), {run.fetched} fetched, "
                    f"{run.created} new, {run.updated} updated, {run.unchanged} unchanged, "
                    f"{run.removed} removed, {run.skipped} skipped"
                )
                if run.skip_reasons:
                    line += " (" + ", ".join(f"{k} {v}" for k, v in run.skip_reasons.items()) + ")"
                self.stdout.write(self.style.SUCCESS(line))
            elif run.status == SyncRun.Status.SKIPPED:
                self.stdout.write(self.style.WARNING(f"{label}: skipped — {run.error}"))
            else:
                self.stdout.write(self.style.ERROR(f"{label}: failed — {run.error}"))

        summary = (
            f"{len(connections)} connection(s): {totals['succeeded']} synced, "
            f"{totals['skipped']} skipped, {totals['failed']} failed."
        )
        if totals["failed"]:
            raise CommandError(summary)
        self.stdout.write(summary)
