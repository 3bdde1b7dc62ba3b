"""Create or update the "Ruby support" group: staff in it can run the support console without being
superusers (view connections, events, runs, deletion requests and the audit trail; record and run
deletion requests; disable and re-enable connections)."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

SUPPORT_GROUP = "Ruby support"
SUPPORT_PERMISSIONS = [
    "calendar_sync.view_calendarconnection",
    "calendar_sync.change_calendarconnection",
    "calendar_sync.support_connection",
    "calendar_sync.view_calendarevent",
    "calendar_sync.view_eventattendee",
    "calendar_sync.view_eventactivity",
    "calendar_sync.view_syncrun",
    "calendar_sync.view_datadeletionrequest",
    "calendar_sync.add_datadeletionrequest",
    "calendar_sync.change_datadeletionrequest",
    "ruby_site.view_auditentry",
    "ruby_site.view_user",
    "ruby_site.view_workspace",
    "ruby_site.view_membership",
]


def support_group_setup() -> Group:
    # Permissions are created after migrate; make sure they exist when run on a fresh database.
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0)
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    permissions = []
    for dotted in SUPPORT_PERMISSIONS:
        app_label, codename = dotted.split(".")
        try:
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist as exc:
            raise CommandError(f"Permission {dotted} does not exist; run migrate first.") from exc
    group.permissions.set(permissions)
    return group


class Command(BaseCommand):
    help = 'Create or update the "Ruby support" group with the support console permissions.'

    def handle(self, *args, **options):
        group = support_group_setup()
        self.stdout.write(f'Group "{group.name}" has {group.permissions.count()} permissions.')
