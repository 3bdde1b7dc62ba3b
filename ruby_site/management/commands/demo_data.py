from django.core.management.base import BaseCommand

from ruby_site.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create the demo workspace, users, accounts, contacts and deals (safe to run again)."

    def handle(self, *args, **options):
        result = load_demo()
        if result.created:
            self.stdout.write(f"Created {len(result.created)} demo records.")
        else:
            self.stdout.write("Demo data already present; nothing new created.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at http://127.0.0.1:8000/accounts/login/ as {result.admin.email} "
                f"(or {result.member.email}) with password {DEMO_PASSWORD}"
            )
        )
