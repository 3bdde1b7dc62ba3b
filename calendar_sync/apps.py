import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _support_group(sender, **kwargs) -> None:
    # After migrate, so a fresh deployment has the "Ruby support" group the README tells staff to use.
    from calendar_sync.services.privacy import PrivacyError, support_group_setup

    try:
        support_group_setup()
    except PrivacyError as exc:  # e.g. a partial migrate; `manage.py setup_support_group` can finish it
        logging.getLogger(__name__).warning("Ruby support group not set up: %s", exc)


class CalendarSyncConfig(AppConfig):
    name = "calendar_sync"
    verbose_name = "Calendar sync"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from calendar_sync.db import raise_sqlite_parameter_limit
        from calendar_sync.receivers import reflag_internal_attendees
        from ruby_site.signals import internal_domains_changed

        internal_domains_changed.connect(reflag_internal_attendees, dispatch_uid="calendar_sync_reflag_internal")
        post_migrate.connect(_support_group, sender=self, dispatch_uid="calendar_sync_support_group")
        connection_created.connect(raise_sqlite_parameter_limit, dispatch_uid="calendar_sync_sqlite_params")
