"""Create or update the "Ruby support" group: staff in it can run the support console without being
superusers (view connections, events, runs, deletion requests and the audit trail; record and run
deletion requests; disable and re-enable connections)."""

from django.core.management.base import BaseCommand, CommandError

from calendar_sync.services.support import SupportGroupError, support_group_setup


class Command(BaseCommand):
    help = 'Create or update the "Ruby support" group with the support console permissions.'

    def handle(self, *args, **options):
        try:
            group = support_group_setup()
        except SupportGroupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f'Group "{group.name}" has {group.permissions.count()} permissions.')
