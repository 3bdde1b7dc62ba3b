"""manage.py demo_data: the demo workspace for `make run`. It lives in the top app because it runs every app's
demo loader in order: workspace and CRM (deals), the sandbox calendar (calendar_sync), transcripts."""

from django.conf import settings
from django.core.management.base import BaseCommand

from calendar_sync.sandbox.demo import demo_base_url, load_demo_calendar
from deals.demo import load_demo
from ruby_site.demo import DEMO_PASSWORD
from transcripts.demo import load_demo_transcripts


class Command(BaseCommand):
    help = (
        "Create the demo workspace, users, accounts, contacts and deals; with the Microsoft sandbox, also connect "
        "the demo user's Outlook calendar, sync its week and add demo transcripts (safe to run again)."
    )

    def handle(self, *args, **options):
        result = load_demo()
        if result.created:
            self.stdout.write(f"Created {len(result.created)} demo records.")
        else:
            self.stdout.write("Demo data already present; nothing new created.")
        if settings.MICROSOFT_SANDBOX:
            calendar = load_demo_calendar(user=result.admin, workspace=result.workspace)
            transcripts = load_demo_transcripts(workspace=result.workspace)
            self.stdout.write(
                f"Sandbox calendar: {'connected and ' if calendar['connected'] else ''}"
                f"{'synced' if calendar['synced'] else 'already synced'} — {calendar['events']} meetings, "
                f"{transcripts} demo transcripts."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at {demo_base_url()}/accounts/login/ as {result.admin.email} "
                f"(or {result.member.email}) with password {DEMO_PASSWORD}"
            )
        )
