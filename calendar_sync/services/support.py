"""calendar_sync services: the "Ruby support" group — staff in it run the support console (connections,
events, runs, deletion requests, the audit trail) without being superusers."""

from __future__ import annotations

import logging

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from ruby_site.errors import UserFacingError

log = logging.getLogger(__name__)

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


class SupportGroupError(UserFacingError):
    """The group cannot be set up yet (its permissions are missing). The message says what to run."""

    code = "support_group"


def support_group_setup() -> Group:
    """Create or update the group. Idempotent; runs after every migrate and from `manage.py setup_support_group`."""
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
            raise SupportGroupError(f"Permission {dotted} does not exist; run migrate first.") from exc
    group.permissions.set(permissions)
    return group


def support_group_after_migrate(sender, **kwargs) -> None:
    """post_migrate: a fresh deployment has the group the README tells staff to use."""
    try:
        support_group_setup()
    except SupportGroupError as exc:  # e.g. a partial migrate; `manage.py setup_support_group` can finish it
        log.warning("Ruby support group not set up: %s", exc)
