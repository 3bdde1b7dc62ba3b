from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CalendarSyncConfig(AppConfig):
    name = "calendar_sync"
    verbose_name = "Calendar sync"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from calendar_sync.db import raise_sqlite_parameter_limit
        from calendar_sync.receivers import reflag_internal_attendees
        from calendar_sync.services.support import support_group_after_migrate
        from ruby_site.signals import internal_domains_changed

        internal_domains_changed.connect(reflag_internal_attendees, dispatch_uid="calendar_sync_reflag_internal")
        post_migrate.connect(support_group_after_migrate, sender=self, dispatch_uid="calendar_sync_support_group")
        connection_created.connect(raise_sqlite_parameter_limit, dispatch_uid="calendar_sync_sqlite_params")
